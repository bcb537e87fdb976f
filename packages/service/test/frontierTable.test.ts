import { loadAcCoreSync } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { formatFrontierTable, PAPER_EXAMPLE, PAPER_RISK_AVERSIONS } from '../src/index.js'

describe('formatFrontierTable', () => {
  const frontier = loadAcCoreSync().frontier(PAPER_EXAMPLE, PAPER_RISK_AVERSIONS)
  const lines = formatFrontierTable(frontier).split('\n')

  it('prints a header and one aligned row per risk aversion', () => {
    expect(lines[0]!.trim().split(/\s+/)).toEqual(['risk_aversion', 'kappa', 'expected_cost', 'std_dev', 'objective'])
    expect(lines).toHaveLength(PAPER_RISK_AVERSIONS.length + 1)
    expect(new Set(lines.map((l) => l.length)).size).toBe(1)
  })

  it('shows the paper’s λ = 1e-6 point: E ≈ $911,227 and √V ≈ $603,431', () => {
    const row = lines.find((l) => l.trim().startsWith('1.00000e-6'))!.trim().split(/\s+/)
    expect(row.slice(0, 4)).toEqual(['1.00000e-6', '0.607076', '911227', '603431'])
  })

  it('shows the straight line at λ = 0: E = $662,500', () => {
    expect(lines[1]!.trim().split(/\s+/).slice(0, 3)).toEqual(['0', '0', '662500'])
  })
})
