// The service's part of the `acx` command line (`@acx/cli` parses the flags and calls these): each
// returns what the command prints, so the command line stays thin and these are tested here.
import { existsSync } from 'node:fs'
import { CONFIG_DEFAULTS, readEngineEnv } from '@acx/engine'
import { formatConfigProblems, loadConfig } from './config.js'
import { createStore } from './createService.js'
import { createDynamoTable } from './persistence/dynamoTable.js'
import type { ExecutionStore } from './persistence/executionStore.js'
import { createSqliteStore } from './persistence/sqliteStore.js'
import { formatReportCsv, formatReportTable } from './report/formatReport.js'
import { loadReport, parseSince } from './report/loadReport.js'
import { calibrateFromStore, formatCalibration } from './report/calibrate.js'
import { ServiceError } from './errors.js'

export { serve } from './serve.js'

/**
 * The store a command reads: a SQLite file named with `--db` (it must exist: a typo must never create
 * an empty store), else the one the service's settings name (ACX_STORE and its variables).
 */
export function openCommandStore(
  db: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ExecutionStore {
  if (db !== undefined) {
    if (!existsSync(db)) throw new ServiceError('SERVICE_INVALID_REQUEST', `--db ${db}: no such file`)
    return createSqliteStore({ path: db })
  }
  const loaded = loadConfig(env)
  if (!loaded.ok)
    throw new ServiceError(
      'SERVICE_INVALID_REQUEST',
      `invalid configuration:\n${formatConfigProblems(loaded.problems)}`,
    )
  return createStore(loaded.config)
}

/** A `--since`/`--before` value: `7d`, `24h`, `30m` or an ISO date; a clear error naming the flag otherwise. */
export function parseWhen(flag: string, text: string, now: Date = new Date()): Date {
  const at = parseSince(text, now)
  if (at === null)
    throw new ServiceError(
      'SERVICE_INVALID_REQUEST',
      `${flag} ${text}: use an ISO date such as 2026-11-01, or an age such as 7d, 24h, 30m`,
    )
  return at
}

export interface ReportCommandOptions {
  readonly db?: string
  readonly since?: string
  readonly symbol?: string
  readonly format: 'table' | 'json' | 'csv'
}

/** `acx report`: execution quality from the store, as text in the chosen format. */
export async function reportCommand(opts: ReportCommandOptions): Promise<string> {
  const since = opts.since === undefined ? null : parseWhen('--since', opts.since)
  const store = openCommandStore(opts.db)
  try {
    const report = await loadReport(store, { since, ...(opts.symbol ? { symbol: opts.symbol } : {}) })
    if (opts.format === 'json') return `${JSON.stringify(report, null, 2)}\n`
    return opts.format === 'csv' ? formatReportCsv(report) : formatReportTable(report)
  } finally {
    await store.close()
  }
}

/** `acx prune`: deletes finished executions created before `--before`; returns the line it prints. */
export async function pruneCommand(opts: { readonly before: string; readonly db?: string }): Promise<string> {
  const before = parseWhen('--before', opts.before)
  const store = openCommandStore(opts.db)
  try {
    let total = 0
    for (let n = -1; n !== 0; total += n) n = await store.prune(before.getTime(), 500)
    return `pruned ${total} finished execution${total === 1 ? '' : 's'} created before ${before.toISOString()}\n`
  } finally {
    await store.close()
  }
}

/** `acx dynamodb create-table`: the table, idempotently; returns the line it prints. */
export async function createTableCommand(opts: {
  readonly table: string
  readonly endpoint?: string
  readonly region?: string
}): Promise<string> {
  const { created } = await createDynamoTable({
    tableName: opts.table,
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    ...(opts.region !== undefined ? { region: opts.region } : {}),
  })
  return `${created ? 'created' : 'exists already'}: table ${opts.table} is ACTIVE\n`
}

export interface CalibrateCommandOptions {
  readonly db?: string
  readonly since?: string
  readonly symbol?: string
  readonly format: 'table' | 'json'
}

/** `acx calibrate`: η and γ by regression on the store's executions, as a table (or JSON) with the settings. */
export async function calibrateCommand(opts: CalibrateCommandOptions): Promise<string> {
  const since = opts.since === undefined ? null : parseWhen('--since', opts.since)
  const store = openCommandStore(opts.db)
  try {
    const report = await calibrateFromStore(store, {
      tradingDaySeconds: readEngineEnv(process.env).input.tradingDaySeconds ?? CONFIG_DEFAULTS.tradingDaySeconds,
      ...(since ? { sinceMs: since.getTime() } : {}),
      ...(opts.symbol ? { symbol: opts.symbol } : {}),
    })
    return opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatCalibration(report)
  } finally {
    await store.close()
  }
}
