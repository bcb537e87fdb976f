import { Dec, type ExecutionPlan } from '@acx/engine'
import type { Decimal } from 'decimal.js'
import type { ExecutionRecord, FillRecord, StoredJournalEntry } from '../persistence/executionStore.js'

/** The journal entry types progress is read from (the rest is in the child orders and fills). */
export const PROGRESS_ENTRY_TYPES = ['execution_started', 'arrival_quote', 'execution_planned'] as const

export interface ArrivalQuote {
  readonly bid: string
  readonly ask: string
  readonly mid: string
  readonly timestampMs: number
}

/** Where an execution stands, from its stored fills and journal: what a trader follows while it runs. */
export interface ExecutionProgress {
  /** When the current run chain started (epoch ms); null before it starts (queued, scheduled). */
  readonly startedAt: number | null
  /** The arrival quote the shortfall is measured against; null before it, or when there was none. */
  readonly arrival: ArrivalQuote | null
  /** The plan the execution follows (its pre-trade estimate); null before it planned. */
  readonly plan: ExecutionPlan | null
  readonly expectedFinishAt: number | null
  readonly finishedAt: number | null
  /** Over every stored fill, every run. */
  readonly filledQuantity: Decimal
  readonly avgFillPrice: Decimal | null
  /** (avg − arrival mid)/arrival mid in bps, positive = cost (negated for a SELL); null without both. */
  readonly shortfallBps: number | null
}

/**
 * Progress from the journal's start, arrival and plan entries (oldest first) and the fills. The run
 * chain starts at the latest fresh (not resumed) start: a run the close stopped before it sent anything
 * does not count, as in `runStart`.
 */
export function progressOf(
  record: ExecutionRecord,
  fills: readonly FillRecord[],
  entries: readonly StoredJournalEntry[],
): ExecutionProgress {
  let from = -1
  entries.forEach((e, i) => {
    if (e.type === 'execution_started' && (e.entry as { resumed?: boolean }).resumed !== true) from = i
  })
  const chain = from < 0 ? [] : entries.slice(from)
  const arrivalEntry = chain.find((e) => e.type === 'arrival_quote')
  const quote = (arrivalEntry?.entry as { quote?: ArrivalQuote | null } | undefined)?.quote ?? null
  const planned = chain.find((e) => e.type === 'execution_planned')?.entry as
    { plan: ExecutionPlan; expectedFinishAt: number } | undefined
  const filled = fills.reduce((s, f) => s.add(f.qty), new Dec(0))
  const value = fills.reduce((s, f) => s.add(new Dec(f.qty).mul(f.price)), new Dec(0))
  const avg = filled.isZero() ? null : value.div(filled)
  const mid = quote === null ? null : new Dec(quote.mid)
  let shortfallBps: number | null = null
  if (avg !== null && mid !== null && mid.gt(0)) {
    const diff = record.side === 'BUY' ? avg.sub(mid) : mid.sub(avg)
    shortfallBps = diff.div(mid).mul(10_000).toNumber()
  }
  const result = record.result as { finishedAt?: number } | null
  return {
    startedAt: from < 0 ? null : (entries[from] as StoredJournalEntry).atMs,
    arrival: quote,
    plan: planned?.plan ?? null,
    expectedFinishAt: planned?.expectedFinishAt ?? null,
    finishedAt: result?.finishedAt ?? null,
    filledQuantity: filled,
    avgFillPrice: avg,
    shortfallBps,
  }
}
