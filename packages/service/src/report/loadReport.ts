import type { ExecutionQueries } from '../persistence/executionStore.js'
import { FINAL_STATUSES } from '../persistence/executionStore.js'
import { buildReport, type Report } from './buildReport.js'

export interface ReportOptions {
  readonly since: Date | null
  readonly symbol?: string
  readonly now?: Date
}

/** The report over finished executions in the store. */
export async function loadReport(store: ExecutionQueries, options: ReportOptions): Promise<Report> {
  const records = (
    await store.listExecutions({
      ...(options.symbol ? { symbol: options.symbol.toUpperCase() } : {}),
      ...(options.since ? { sinceMs: options.since.getTime() } : {}),
      limit: Number.MAX_SAFE_INTEGER,
    })
  ).filter((r) => FINAL_STATUSES.has(r.status))
  const inputs = await Promise.all(records.map(async (record) => ({ record, fills: await store.fills(record.id) })))
  return buildReport(inputs, options.now ?? new Date(), options.since)
}

/** `7d`, `24h`, `30m` before `now`, or an ISO date/time. Null when it is neither. */
export function parseSince(text: string, now: Date): Date | null {
  const rel = /^(\d+(?:\.\d+)?)([dhm])$/.exec(text.trim())
  if (rel) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as 'd' | 'h' | 'm']
    return new Date(now.getTime() - Number(rel[1]) * unit)
  }
  const at = new Date(text)
  return /^\d{4}-\d{2}-\d{2}/.test(text.trim()) && !Number.isNaN(at.getTime()) ? at : null
}
