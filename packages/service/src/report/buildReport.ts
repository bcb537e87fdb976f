import { Dec } from '@acx/engine'
import type { ExecutionRecord, FillRecord } from '../persistence/executionStore.js'

/** What the report needs of one finished execution. */
export interface ReportInput {
  readonly record: ExecutionRecord
  readonly fills: readonly FillRecord[]
}

export interface ReportRow {
  /** A symbol, or `ALL`. */
  readonly symbol: string
  /** A strategy, or `ALL`. */
  readonly strategy: string
  readonly executions: number
  /** Filled over requested quantity, %, over the group. */
  readonly fillRatePct: number
  readonly avgExecutionSeconds: number | null
  /**
   * Mean implementation shortfall against the arrival mid, bps, positive = a cost to the trader (as in
   * the API and the logs); null without executions that had an arrival mid.
   */
  readonly shortfallBps: number | null
  /** Standard error of that mean, bps (null below two executions). */
  readonly shortfallStdErrBps: number | null
  readonly marketFallbackRatePct: number
  /** Share of the symbol's executions that used this strategy, %. */
  readonly usagePct: number
}

interface Criterion {
  readonly name: string
  readonly target: string
  readonly actual: string
  readonly pass: boolean | null
}

export interface Report {
  readonly generatedAt: string
  readonly since: string | null
  readonly rows: readonly ReportRow[]
  /** The success criteria, judged on Almgren–Chriss executions over all symbols. */
  readonly criteria: readonly Criterion[]
}

interface Acc {
  executions: number
  requested: Dec
  filled: Dec
  seconds: number[]
  shortfalls: number[]
  fallbacks: number
}

const resultField = (r: ExecutionRecord, key: string): unknown =>
  r.result !== null && typeof r.result === 'object' && !Array.isArray(r.result) ? r.result[key] : undefined

const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
const round = (x: number | null, digits = 2): number | null => (x === null ? null : Number(x.toFixed(digits)))
/** Standard error of the mean (sample standard deviation / √n); null below two values. */
const stdErr = (xs: readonly number[]): number | null => {
  if (xs.length < 2) return null
  const m = mean(xs)!
  const variance = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)
  return Math.sqrt(variance / xs.length)
}

/**
 * Per symbol and overall, per strategy and all strategies: executions, fill rate, average execution
 * time, shortfall versus the arrival mid (positive = cost), market fallback rate and strategy usage;
 * then the success criteria (fill rate > 95 %, execution time 5–10 min, fallback < 10 %, price
 * improvement versus walk-the-book: a lower mean shortfall) judged on the Almgren–Chriss rows over all
 * symbols.
 */
const withError = (r: ReportRow): string =>
  r.shortfallStdErrBps === null ? `${r.shortfallBps}` : `${r.shortfallBps} ± ${r.shortfallStdErrBps}`

export function buildReport(inputs: readonly ReportInput[], now: Date, since: Date | null): Report {
  const groups = new Map<string, Acc>()
  const acc = (symbol: string, strategy: string): Acc => {
    const key = `${symbol}\u0000${strategy}`
    let a = groups.get(key)
    if (!a)
      groups.set(
        key,
        (a = { executions: 0, requested: new Dec(0), filled: new Dec(0), seconds: [], shortfalls: [], fallbacks: 0 }),
      )
    return a
  }
  for (const { record, fills } of inputs) {
    const strategy = record.strategy ?? 'unrouted'
    const filled = fills.reduce((s, f) => s.add(f.qty), new Dec(0))
    const seconds = resultField(record, 'executionTimeSeconds')
    const shortfall = resultField(record, 'implementationShortfallBps')
    const fallback = resultField(record, 'marketFallbackUsed') === true
    for (const a of [
      acc(record.symbol, strategy),
      acc(record.symbol, 'ALL'),
      acc('ALL', strategy),
      acc('ALL', 'ALL'),
    ]) {
      a.executions++
      a.requested = a.requested.add(record.quantity)
      a.filled = a.filled.add(filled)
      if (typeof seconds === 'number') a.seconds.push(seconds)
      if (typeof shortfall === 'number') a.shortfalls.push(shortfall)
      if (fallback) a.fallbacks++
    }
  }
  const rows: ReportRow[] = [...groups.entries()].map(([key, a]) => {
    const [symbol, strategy] = key.split('\u0000') as [string, string]
    const all = groups.get(`${symbol}\u0000ALL`)!
    return {
      symbol,
      strategy,
      executions: a.executions,
      fillRatePct: a.requested.isZero() ? 0 : a.filled.div(a.requested).mul(100).toDecimalPlaces(2).toNumber(),
      avgExecutionSeconds: round(mean(a.seconds), 1),
      shortfallBps: round(mean(a.shortfalls)),
      shortfallStdErrBps: round(stdErr(a.shortfalls)),
      marketFallbackRatePct: round((100 * a.fallbacks) / a.executions)!,
      usagePct: round((100 * a.executions) / all.executions)!,
    }
  })
  const order = (s: string) => (s === 'ALL' ? '\uffff' : s)
  rows.sort(
    (x, y) => order(x.symbol).localeCompare(order(y.symbol)) || order(x.strategy).localeCompare(order(y.strategy)),
  )

  const ac = rows.find((r) => r.symbol === 'ALL' && r.strategy === 'almgren_chriss')
  const wtb = rows.find((r) => r.symbol === 'ALL' && r.strategy === 'walk_the_book')
  const criteria: Criterion[] = [
    {
      name: 'fill rate',
      target: '> 95%',
      actual: ac ? `${ac.fillRatePct}%` : 'no AC executions',
      pass: ac ? ac.fillRatePct > 95 : null,
    },
    {
      name: 'execution time',
      target: '5–10 min',
      actual: ac?.avgExecutionSeconds != null ? `${(ac.avgExecutionSeconds / 60).toFixed(1)} min` : 'no AC executions',
      pass: ac?.avgExecutionSeconds != null ? ac.avgExecutionSeconds >= 300 && ac.avgExecutionSeconds <= 600 : null,
    },
    {
      name: 'market fallback',
      target: '< 10%',
      actual: ac ? `${ac.marketFallbackRatePct}%` : 'no AC executions',
      pass: ac ? ac.marketFallbackRatePct < 10 : null,
    },
    {
      name: 'price improvement vs walk-the-book',
      target: 'AC shortfall < walk-the-book shortfall',
      actual:
        ac?.shortfallBps != null && wtb?.shortfallBps != null
          ? `AC ${withError(ac)} bps vs WTB ${withError(wtb)} bps (positive = cost): AC ${
              ac.shortfallBps <= wtb.shortfallBps ? 'better' : 'worse'
            } by ${Math.abs(round(wtb.shortfallBps - ac.shortfallBps)!)} bps`
          : 'needs both strategies',
      pass: ac?.shortfallBps != null && wtb?.shortfallBps != null ? ac.shortfallBps < wtb.shortfallBps : null,
    },
  ]
  return { generatedAt: now.toISOString(), since: since?.toISOString() ?? null, rows, criteria }
}
