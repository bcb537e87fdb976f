import type { StrategyName } from '@acx/engine'
import { table } from './schedule.js'
import { f } from './simulationReport.js'
import { runSimulations, summarize, type SimulationSpec, type StrategySummary } from './simulation.js'
import type { WorkerPool } from './workerPool.js'

/** Parses `0.01%,0.1%,1%,5%,10%` (the `%` optional) into percentages of ADV, each in (0, 100]. */
export function parseSizes(text: string): { ok: true; value: number[] } | { ok: false; message: string } {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  if (parts.length === 0) return { ok: false, message: 'give at least one size, e.g. 0.1%,1%,5%' }
  const value: number[] = []
  for (const p of parts) {
    const m = /^((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)%?$/.exec(p)
    const x = m ? Number(m[1]) : Number.NaN
    if (!(Number.isFinite(x) && x > 0 && x <= 100))
      return { ok: false, message: `"${p}": a size must be a % of ADV in (0, 100]` }
    value.push(x)
  }
  return { ok: true, value: [...new Set(value)].sort((a, b) => a - b) }
}

/** One order size of a sweep: the size, its quantity, and every strategy's summary on the same price paths. */
export interface SizeSweepPoint {
  /** % of ADV. */
  readonly sizePct: number
  /** Shares: sizePct/100 × ADV, rounded, at least 1. */
  readonly quantity: number
  readonly strategies: readonly StrategySummary[]
  /**
   * almgren_chriss minus walk_the_book mean shortfall (bps; negative = AC cheaper) and that difference
   * over its standard error √(se_AC² + se_WTB²); null unless both ran.
   */
  readonly acMinusWtbBps: number | null
  readonly acMinusWtbZ: number | null
}

/**
 * `acx simulate --sizes`: for each order size (a % of the market's ADV), `runs` executions of every
 * strategy on the same `runs` price paths, summarised per strategy — the data behind "where does
 * Almgren–Chriss beat walk-the-book?".
 */
export async function runSizeSweep(
  base: Omit<SimulationSpec, 'strategy' | 'quantity'> & { readonly adv: number },
  strategies: readonly StrategyName[],
  sizesPct: readonly number[],
  runs: number,
  opts: {
    readonly pool?: WorkerPool
    readonly onProgress?: (done: number) => void
    readonly riskAversion: number
  },
): Promise<SizeSweepPoint[]> {
  const quantities = sizesPct.map((pct) => Math.max(1, Math.round((pct / 100) * base.adv)))
  const specs: SimulationSpec[] = quantities.flatMap((quantity) =>
    strategies.map((strategy) => ({ ...base, strategy, quantity })),
  )
  const all = await runSimulations(specs, runs, {
    ...(opts.pool ? { pool: opts.pool } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  })
  return sizesPct.map((sizePct, i) => {
    const summaries = all
      .slice(i * strategies.length, (i + 1) * strategies.length)
      .map((r) => summarize(r, opts.riskAversion))
    const ac = summaries.find((s) => s.strategy === 'almgren_chriss')
    const wtb = summaries.find((s) => s.strategy === 'walk_the_book')
    const diff = ac && wtb ? ac.meanShortfallBps - wtb.meanShortfallBps : null
    const se = ac && wtb ? Math.sqrt(ac.stderrBps ** 2 + wtb.stderrBps ** 2) : null
    return {
      sizePct,
      quantity: quantities[i] as number,
      strategies: summaries,
      acMinusWtbBps: diff,
      acMinusWtbZ: diff !== null && se !== null && se > 0 ? diff / se : null,
    }
  })
}

/** The sweep as a table: one row per size and strategy, then AC − WTB per size. */
export function formatSizeSweepTable(
  points: readonly SizeSweepPoint[],
  s: {
    readonly market: string
    readonly adv: number
    readonly price: number
    readonly spread: number
    readonly runs: number
    readonly seed: number
  },
): string {
  const head = `${s.runs} runs per strategy and size, seed ${s.seed}, ${s.market} market: ADV ${s.adv} shares at $${s.price} (spread $${s.spread}); shortfall in bps of arrival notional, positive = cost\n\n`
  const rows = points.flatMap((p) =>
    p.strategies.map((r) => [
      `${p.sizePct}%`,
      String(p.quantity),
      r.strategy,
      f(r.meanShortfallBps, 2),
      f(r.stderrBps, 2),
      f(r.stdShortfallBps, 2),
      f(r.predictedMeanBps, 2),
      f(r.fillRate * 100, 1),
      f(r.fallbackRate * 100, 1),
      f(r.avgExecutionSeconds, 0),
    ]),
  )
  const body = table(
    [
      'size_adv',
      'quantity',
      'strategy',
      'mean_is_bps',
      '±se',
      'std_is_bps',
      'model_mean',
      'fill_%',
      'fallback_%',
      'avg_time_s',
    ],
    rows,
  )
  const verdict = table(
    ['size_adv', 'ac_minus_wtb_bps', 'z'],
    points.map((p) => [`${p.sizePct}%`, f(p.acMinusWtbBps, 2), f(p.acMinusWtbZ, 1)]),
  )
  return `${head}${body}\n\nalmgren_chriss − walk_the_book (negative: AC cheaper; z in standard errors)\n${verdict}\n`
}
