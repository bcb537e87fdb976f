import type { Out, Report } from '../http/schemas.js'
import { buildReport, type ReportInput, type ReportRow } from '../report/buildReport.js'

/** One success criterion of the rollout guide for one strategy, with its figure and sample size. */
interface Criterion {
  readonly name: 'fill_rate' | 'execution_time' | 'market_fallback'
  readonly target: string
  /** The figure in `unit`; null without a sample. */
  readonly value: number | null
  readonly unit: '%' | 's'
  /** Executions the figure is over. */
  readonly sample: number
  /** null: nothing to judge. */
  readonly pass: boolean | null
}

const round2 = (x: number): number => Math.round(x * 100) / 100

/** The q-quantile of sorted values, interpolating linearly between neighbours. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo)
}

const shortfallOf = (input: ReportInput): number | null => {
  const r = input.record.result
  const v = r !== null && typeof r === 'object' && !Array.isArray(r) ? r.implementationShortfallBps : undefined
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

const secondsOf = (input: ReportInput): number | null => {
  const r = input.record.result
  const v = r !== null && typeof r === 'object' && !Array.isArray(r) ? r.executionTimeSeconds : undefined
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

function criteria(row: ReportRow, timed: number): Criterion[] {
  const n = row.executions
  const seconds = row.avgExecutionSeconds
  return [
    {
      name: 'fill_rate',
      target: '> 95%',
      value: row.fillRatePct,
      unit: '%',
      sample: n,
      pass: n ? row.fillRatePct > 95 : null,
    },
    {
      name: 'execution_time',
      target: '300–600 s (5–10 min)',
      value: seconds,
      unit: 's',
      sample: timed,
      pass: seconds === null ? null : seconds >= 300 && seconds <= 600,
    },
    {
      name: 'market_fallback',
      target: '< 10%',
      value: row.marketFallbackRatePct,
      unit: '%',
      sample: n,
      pass: n ? row.marketFallbackRatePct < 10 : null,
    },
  ]
}

/**
 * `GET /v1/report`: the rollout guide's success criteria per strategy over the window — fill rate
 * > 95 %, average execution time 5–10 min, market fallback < 10 % — each with its figure, sample size
 * and PASS/FAIL (null without a sample); Almgren–Chriss against walk-the-book on mean shortfall; and
 * each strategy's shortfall distribution. Figures come from the report `acx report` prints
 * (`buildReport`, all symbols); shortfalls are in bps against the arrival mid, positive = a cost.
 */
export function reportView(
  inputs: readonly ReportInput[],
  now: Date,
  since: Date | null,
  symbol: string | null,
): Out<typeof Report> {
  const report = buildReport(inputs, now, since)
  const byStrategy = new Map<string, ReportInput[]>()
  for (const input of inputs) {
    const s = input.record.strategy ?? 'unrouted'
    byStrategy.set(s, [...(byStrategy.get(s) ?? []), input])
  }
  const rows = report.rows.filter((r) => r.symbol === 'ALL' && r.strategy !== 'ALL')
  const strategies = rows.map((row) => {
    const group = byStrategy.get(row.strategy) ?? []
    const values = group.map(shortfallOf).filter((v): v is number => v !== null)
    const sorted = [...values].sort((a, b) => a - b)
    return {
      strategy: row.strategy,
      executions: row.executions,
      criteria: criteria(row, group.filter((g) => secondsOf(g) !== null).length),
      shortfall: {
        count: sorted.length,
        // the mean acx report prints (over executions with an arrival mid)
        meanBps: row.shortfallBps,
        quantilesBps: sorted.length
          ? {
              p5: round2(quantile(sorted, 0.05)),
              p25: round2(quantile(sorted, 0.25)),
              p50: round2(quantile(sorted, 0.5)),
              p75: round2(quantile(sorted, 0.75)),
              p95: round2(quantile(sorted, 0.95)),
            }
          : null,
        valuesBps: sorted.map(round2),
      },
    }
  })
  const mean = (name: string) => strategies.find((s) => s.strategy === name)?.shortfall
  const ac = mean('almgren_chriss')
  const wtb = mean('walk_the_book')
  const both = ac?.meanBps != null && wtb?.meanBps != null
  const difference = both ? round2(ac!.meanBps! - wtb!.meanBps!) : null
  return {
    generatedAt: report.generatedAt,
    since: report.since,
    symbol,
    executions: inputs.length,
    strategies,
    comparison: {
      name: 'price_improvement_vs_walk_the_book',
      target: 'almgren_chriss mean shortfall below walk_the_book (difference < 0 bps)',
      /** almgren_chriss minus walk_the_book mean shortfall, bps: negative = Almgren–Chriss cost less. */
      value: difference,
      unit: 'bps',
      almgrenChrissBps: ac?.meanBps ?? null,
      walkTheBookBps: wtb?.meanBps ?? null,
      almgrenChrissSample: ac?.count ?? 0,
      walkTheBookSample: wtb?.count ?? 0,
      pass: difference === null ? null : difference < 0,
    },
  }
}
