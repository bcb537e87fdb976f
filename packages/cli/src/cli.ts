#!/usr/bin/env node
// The `acx` command line.
import { Command, InvalidArgumentError, Option } from 'commander'
import { existsSync } from 'node:fs'
import { formatReportCsv, formatReportTable } from './report/formatReport.js'
import { loadReport, parseSince } from './report/loadReport.js'
import { createSqliteStore } from './persistence/sqliteStore.js'
import { serve } from './serve.js'
import { formatConfigProblems, loadConfig } from './config.js'
import { createStore } from './createService.js'
import type { ExecutionStore } from './persistence/executionStore.js'
import { registerDynamoCommands } from './persistence/dynamoTable.js'
import { registerResearchCommands } from './research/index.js'

/** The store the service's settings name (ACX_STORE and its variables). */
function storeFromEnv(): ExecutionStore {
  const loaded = loadConfig(process.env)
  if (!loaded.ok) throw new Error(`invalid configuration:\n${formatConfigProblems(loaded.problems)}`)
  return createStore(loaded.config)
}

/** A SQLite store named on the command line: it must exist (a typo must not create an empty store). */
function openExisting(path: string): ExecutionStore {
  if (!existsSync(path)) throw new Error(`--db ${path}: no such file`)
  return createSqliteStore({ path })
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
    .option('--since <when>', 'only executions created since: 7d, 24h, 30m or an ISO date', (v) => {
      const at = parseSince(v, new Date())
      if (!at) throw new InvalidArgumentError('use 7d, 24h, 30m or an ISO date such as 2026-11-01')
      return at
    })
    .option('--symbol <symbol>', 'one symbol only')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action(async (opts: { db?: string; since?: Date; symbol?: string; format: 'table' | 'json' | 'csv' }) => {
      const store = opts.db ? openExisting(opts.db) : storeFromEnv()
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
      const store = opts.db ? openExisting(opts.db) : storeFromEnv()
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
