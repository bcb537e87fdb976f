// The service's part of the `acx` command line (`@acx/cli` parses the flags and calls these): each
// returns what the command prints, so the command line stays thin and these are tested here.
import { existsSync } from 'node:fs'
import { CONFIG_DEFAULTS, readEngineEnv } from '@acx/engine'
import { formatConfigProblems, loadConfig } from './config.js'
import { createStore } from './runtime.js'
import { intentFromJson, submitIntent, type SubmitTarget } from './submit/submitIntent.js'
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
export async function openCommandStore(
  db: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ExecutionStore> {
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
  const store = await openCommandStore(opts.db)
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
  const store = await openCommandStore(opts.db)
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
  const store = await openCommandStore(opts.db)
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

export interface SubmitCommandOptions {
  readonly side?: string
  readonly symbol?: string
  readonly quantity?: string
  readonly urgency?: string
  readonly correlationId?: string
  readonly strategy?: string
  readonly closeType?: string
  /** The whole intent as JSON instead of the fields above. */
  readonly json?: string
  /** The service (`POST /v1/orders`). */
  readonly url: string
  /** Bearer token; default `ACX_API_TOKEN`. Never printed. */
  readonly token?: string
  /** Send to this SQS queue instead of the HTTP API. */
  readonly queueUrl?: string
  readonly endpoint?: string
  readonly region?: string
}

/**
 * `acx submit`: one intent to a running acx, its HTTP API or its intake queue, checked first by the
 * service's own parser. What it prints (the API's or the queue's answer, as JSON) and its exit code: 0
 * sent and accepted, 1 refused by the service, 2 refused here (nothing sent).
 */
export async function submitCommand(
  opts: SubmitCommandOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ readonly output: string; readonly exitCode: number }> {
  const fromJson = opts.json === undefined ? undefined : intentFromJson(opts.json)
  if (fromJson && !fromJson.ok) return { output: `${JSON.stringify(fromJson.answer)}\n`, exitCode: 2 }
  const { side, symbol, quantity, urgency, correlationId, strategy, closeType } = opts
  const flags = { side, symbol, quantity, urgency, correlationId, strategy, closeType }
  const body = fromJson?.body ?? Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined))
  const target: SubmitTarget = opts.queueUrl
    ? { kind: 'sqs', queueUrl: opts.queueUrl, endpoint: opts.endpoint, region: opts.region }
    : { kind: 'http', url: opts.url, token: opts.token ?? env.ACX_API_TOKEN }
  const out = await submitIntent(body, target)
  return { output: `${JSON.stringify(out.answer)}\n`, exitCode: out.ok ? 0 : out.sent ? 1 : 2 }
}
