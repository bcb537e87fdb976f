import type { ExecutionQueries } from '../persistence/executionStore.js'
import { FINAL_STATUSES } from '../persistence/executionStore.js'
import { ServiceError } from '../errors.js'
import { buildReport, type Report, type ReportInput } from './buildReport.js'

export interface ReportOptions {
  readonly since: Date | null
  readonly symbol?: string
  readonly now?: Date
}

/**
 * The finished executions in the store (since a time, of a symbol) with their fills: what a report
 * reads. With `maxExecutions`, a window holding more executions than that (finished or not) is refused
 * (`SERVICE_INVALID_REQUEST` on `since`) rather than reported on a part of it.
 */
export async function loadReportInputs(
  store: ExecutionQueries,
  options: Omit<ReportOptions, 'now'> & { readonly maxExecutions?: number },
): Promise<ReportInput[]> {
  const max = options.maxExecutions
  const listed = await store.listExecutions({
    ...(options.symbol ? { symbol: options.symbol.toUpperCase() } : {}),
    ...(options.since ? { sinceMs: options.since.getTime() } : {}),
    limit: max === undefined ? Number.MAX_SAFE_INTEGER : max + 1,
  })
  if (max !== undefined && listed.length > max)
    throw new ServiceError('SERVICE_INVALID_REQUEST', 'Invalid request', {
      issues: [{ path: 'since', message: `more than ${max} executions in this window: choose a shorter one` }],
    })
  const records = listed.filter((r) => FINAL_STATUSES.has(r.status))
  return Promise.all(records.map(async (record) => ({ record, fills: await store.fills(record.id) })))
}

/** The report over finished executions in the store. */
export async function loadReport(store: ExecutionQueries, options: ReportOptions): Promise<Report> {
  return buildReport(await loadReportInputs(store, options), options.now ?? new Date(), options.since)
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
