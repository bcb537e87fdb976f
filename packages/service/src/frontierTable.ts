import type { Frontier } from '@acx/ac-core-wasm'

/** One row per risk aversion: λ, κ, E, √V and E + λV, aligned for a terminal. */
export function formatFrontierTable(frontier: Frontier): string {
  const header = ['risk_aversion', 'kappa', 'expected_cost', 'std_dev', 'objective']
  const rows = Array.from(frontier.riskAversion, (lambda, i) => {
    const e = frontier.expectedCost[i]!
    const v = frontier.variance[i]!
    return [lambda, frontier.kappa[i]!, e, Math.sqrt(v), e + lambda * v].map(formatNumber)
  })
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  return [header, ...rows].map((r) => r.map((cell, c) => cell.padStart(widths[c]!)).join('  ')).join('\n')
}

/** Six significant digits; plain notation from 1e-3 to 1e9, exponent notation outside. */
function formatNumber(x: number): string {
  const abs = Math.abs(x)
  if (x === 0) return '0'
  return abs >= 1e-3 && abs < 1e9 ? String(Number(x.toPrecision(6))) : x.toExponential(5)
}
