import type { StrategySummary } from './simulation.js'
import { table } from './schedule.js'

/** A number to `digits` decimals; — for null or NaN. */
export const f = (x: number | null, digits = 2): string => (x === null || Number.isNaN(x) ? '—' : x.toFixed(digits))

/** The per-strategy table of `acx simulate`. */
export function formatSimulationTable(
  rows: readonly StrategySummary[],
  s: {
    market: string
    side: string
    quantity: number
    price: number
    spread: number
    runs: number
    seed: number
    riskAversion: number
  },
): string {
  const head = `${s.runs} runs per strategy, seed ${s.seed}, ${s.market} market: ${s.side} ${s.quantity} at $${s.price} (spread $${s.spread}); objective E + λV with λ = ${s.riskAversion}\n\n`
  const body = table(
    [
      'strategy',
      'mean_is_bps',
      '±se',
      'std_is_bps',
      'model_mean',
      'model_std',
      'objective',
      'model_obj',
      'fill_%',
      'fallback_%',
      'avg_time_s',
    ],
    rows.map((r) => [
      r.strategy,
      f(r.meanShortfallBps, 3),
      f(r.stderrBps, 3),
      f(r.stdShortfallBps, 3),
      f(r.predictedMeanBps, 3),
      f(r.predictedStdBps, 3),
      f(r.objectiveBps, 3),
      f(r.predictedObjectiveBps, 3),
      f(r.fillRate * 100, 2),
      f(r.fallbackRate * 100, 1),
      f(r.avgExecutionSeconds, 1),
    ]),
  )
  return `${head}${body}\nis = implementation shortfall against the arrival mid, bps; positive = a cost to the trader\n`
}
