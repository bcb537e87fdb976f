#!/usr/bin/env node
// The `acx` command line.
import { Command, InvalidArgumentError, Option } from 'commander'
import { existsSync } from 'node:fs'
import { formatReportCsv, formatReportTable } from './report/formatReport.js'
import { loadReport, parseSince } from './report/loadReport.js'
import { createSqliteStore } from './persistence/sqliteStore.js'
import { serve } from './serve.js'
import { formatConfigProblems, loadConfig } from './config.js'
import { createStore } from './runtime.js'
import type { ExecutionStore } from './persistence/executionStore.js'
import { registerDynamoCommands } from './persistence/dynamoTable.js'
import { registerResearchCommands } from './research/index.js'
import { intentFromJson, submitIntent, type SubmitTarget } from './submit/submitIntent.js'
import { calibrateFromStore, formatCalibration } from './research/calibrate.js'
import { readEngineEnv } from './config/engineEnv.js'
import { CONFIG_DEFAULTS } from '@acx/engine'

/** The store the service's settings name (ACX_STORE and its variables). */
function storeFromEnv(): Promise<ExecutionStore> {
  const loaded = loadConfig(process.env)
  if (!loaded.ok) throw new Error(`invalid configuration:\n${formatConfigProblems(loaded.problems)}`)
  return createStore(loaded.config)
}

/** A SQLite store named on the command line: it must exist (a typo must not create an empty store). */
function openExisting(path: string): ExecutionStore {
  if (!existsSync(path)) throw new Error(`--db ${path}: no such file`)
  return createSqliteStore({ path })
}

/** `--since 7d|24h|30m|ISO date`. */
function sinceArg(v: string): Date {
  const at = parseSince(v, new Date())
  if (!at) throw new InvalidArgumentError('use 7d, 24h, 30m or an ISO date such as 2026-11-01')
  return at
}

function createProgram(): Command {
  const program = new Command('acx')
    .description('Optimal trade execution on the Almgren–Chriss model')
    .showHelpAfterError()
    .exitOverride()

  program
    .command('serve')
    .description('run the placement service (settings from ACX_*, AC_*, APCA_* environment variables)')
    .action(async () => serve())

  program
    .command('report')
    .description('execution quality from the store, per symbol and overall, strategies side by side')
    .option(
      '--db <path>',
      'SQLite store to read (default: the store ACX_STORE / ACX_DB_PATH / ACX_DYNAMODB_TABLE name)',
    )
    .option('--since <when>', 'only executions created since: 7d, 24h, 30m or an ISO date', sinceArg)
    .option('--symbol <symbol>', 'one symbol only')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action(async (opts: { db?: string; since?: Date; symbol?: string; format: 'table' | 'json' | 'csv' }) => {
      const store = opts.db ? openExisting(opts.db) : await storeFromEnv()
      try {
        const report = await loadReport(store, {
          since: opts.since ?? null,
          ...(opts.symbol ? { symbol: opts.symbol } : {}),
        })
        const out =
          opts.format === 'json'
            ? `${JSON.stringify(report, null, 2)}\n`
            : opts.format === 'csv'
              ? formatReportCsv(report)
              : formatReportTable(report)
        process.stdout.write(out)
      } finally {
        await store.close()
      }
    })

  program
    .command('prune')
    .description(
      'delete finished executions (with their child orders, fills and journal) created before a date; running and queued ones are never touched',
    )
    .requiredOption(
      '--before <when>',
      'cut-off: an ISO date (2026-01-01, 2026-01-01T00:00:00Z) or an age (90d, 12h)',
      (v) => {
        const at = parseSince(v, new Date())
        if (at === null)
          throw new InvalidArgumentError('use an ISO date such as 2026-01-01, or an age such as 90d, 12h, 30m')
        return at
      },
    )
    .option('--db <path>', 'SQLite store (default: the store ACX_STORE / ACX_DB_PATH / ACX_DYNAMODB_TABLE name)')
    .action(async (opts: { before: Date; db?: string }) => {
      const store = opts.db ? openExisting(opts.db) : await storeFromEnv()
      try {
        let total = 0
        for (let n = -1; n !== 0; total += n) n = await store.prune(opts.before.getTime(), 500)
        process.stdout.write(
          `pruned ${total} finished execution${total === 1 ? '' : 's'} created before ${opts.before.toISOString()}\n`,
        )
      } finally {
        await store.close()
      }
    })

  program
    .command('submit')
    .description('send one order intent to acx: its HTTP API (--url) or its intake queue (--queue-url)')
    .option('--side <side>', 'BUY or SELL')
    .option('--symbol <symbol>', 'e.g. AAPL')
    .option('--quantity <quantity>', 'a decimal, e.g. 10')
    .option('--urgency <urgency>', 'LOW, MEDIUM or HIGH')
    .option('--correlation-id <id>', 'the idempotency key, e.g. test-ac-001')
    .option('--strategy <strategy>', 'force a strategy (almgren_chriss, twap, walk_the_book, market)')
    .option('--close-type <type>', 'close a position instead of opening one')
    .option('--json <intent>', 'the whole intent as JSON instead of the flags above')
    .option('--url <url>', 'the service (POST /v1/orders)', 'http://127.0.0.1:8080')
    .option('--token <token>', 'bearer token (default: ACX_API_TOKEN); never printed')
    .option('--queue-url <url>', 'send to this SQS queue instead of the HTTP API')
    .option('--endpoint <url>', 'with --queue-url: a local SQS server')
    .option('--region <region>', 'with --queue-url: AWS region (default: AWS_REGION)')
    .action(async (o: Record<string, string | undefined>) => {
      const fromJson = o.json === undefined ? undefined : intentFromJson(o.json)
      if (fromJson && !fromJson.ok) {
        process.stdout.write(`${JSON.stringify(fromJson.answer)}\n`)
        process.exitCode = 2
        return
      }
      const { side, symbol, quantity, urgency, correlationId, strategy, closeType } = o
      const flags = { side, symbol, quantity, urgency, correlationId, strategy, closeType }
      const body = fromJson?.body ?? Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined))
      const token = o.token ?? process.env.ACX_API_TOKEN
      const target: SubmitTarget = o.queueUrl
        ? { kind: 'sqs', queueUrl: o.queueUrl, endpoint: o.endpoint, region: o.region }
        : { kind: 'http', url: o.url!, token }
      const out = await submitIntent(body, target)
      process.stdout.write(`${JSON.stringify(out.answer)}\n`)
      // 2: refused here, nothing sent; 1: refused by the service
      if (!out.ok) process.exitCode = out.sent ? 1 : 2
    })

  program
    .command('calibrate')
    .description(
      "the impact model's η and γ per symbol and pooled, by regression on the store's Almgren–Chriss and TWAP executions; prints the AC_* settings it recommends",
    )
    .option(
      '--db <path>',
      'SQLite store to read (default: the store ACX_STORE / ACX_DB_PATH / ACX_DYNAMODB_TABLE name)',
    )
    .option('--since <when>', 'only executions created since: 7d, 24h, 30m or an ISO date', sinceArg)
    .option('--symbol <symbol>', 'one symbol only')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: { db?: string; since?: Date; symbol?: string; format: 'table' | 'json' }) => {
      const store = opts.db ? openExisting(opts.db) : await storeFromEnv()
      try {
        const report = await calibrateFromStore(store, {
          tradingDaySeconds: readEngineEnv(process.env).input.tradingDaySeconds ?? CONFIG_DEFAULTS.tradingDaySeconds,
          ...(opts.since ? { sinceMs: opts.since.getTime() } : {}),
          ...(opts.symbol ? { symbol: opts.symbol } : {}),
        })
        process.stdout.write(
          opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatCalibration(report),
        )
      } finally {
        await store.close()
      }
    })

  registerResearchCommands(program)
  registerDynamoCommands(program)

  return program
}

/** Runs `acx` with `argv` (user arguments only); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    const e = err as { code?: string; exitCode?: number }
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 2
    process.stderr.write(`acx: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}
