// `serve`, `report`, `calibrate`, `prune`, `dynamodb` and `submit`: the placement service's commands. `@acx/service` is an
// optional peer dependency of the command line, loaded only when one of these runs.
import { Option, type Command } from 'commander'
import type { CommandModule } from '../cli.js'

type Service = typeof import('@acx/service')

/** `@acx/service`, or a clear message to install it. */
async function loadService(command: string): Promise<Service> {
  try {
    return await import('@acx/service')
  } catch (e) {
    const code = (e as { code?: unknown }).code
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(e).includes('@acx/service'))
      throw new Error(
        `acx ${command} is part of the placement service: install it beside @acx/cli (npm install @acx/service)`,
        { cause: e },
      )
    throw e
  }
}

export const serveCommand: CommandModule = {
  register(command: Command) {
    command.action(async () => (await loadService('serve')).serve())
  },
}

/** `--db`, `--since`, `--symbol` and `--format` of the commands that read the store. */
function storeReader(command: Command, formats: readonly string[]): Command {
  return command
    .option(
      '--db <path>',
      'SQLite store to read, which must exist (default: the store ACX_STORE / ACX_DB_PATH / ACX_DYNAMODB_TABLE name)',
    )
    .option('--since <when>', 'only executions created since: 7d, 24h, 30m or an ISO date')
    .option('--symbol <symbol>', 'one symbol only')
    .addOption(new Option('--format <format>', 'output format').choices(formats).default('table'))
}

export const reportCommand: CommandModule = {
  register(command: Command) {
    storeReader(command, ['table', 'json', 'csv']).action(
      async (opts: { db?: string; since?: string; symbol?: string; format: 'table' | 'json' | 'csv' }) => {
        process.stdout.write(await (await loadService('report')).reportCommand(opts))
      },
    )
  },
}

export const calibrateCommand: CommandModule = {
  register(command: Command) {
    storeReader(command, ['table', 'json']).action(
      async (opts: { db?: string; since?: string; symbol?: string; format: 'table' | 'json' }) => {
        process.stdout.write(await (await loadService('calibrate')).calibrateCommand(opts))
      },
    )
  },
}

export const pruneCommand: CommandModule = {
  register(command: Command) {
    command
      .requiredOption('--before <when>', 'cut-off: an ISO date (2026-01-01, 2026-01-01T00:00:00Z) or an age (90d, 12h)')
      .option(
        '--db <path>',
        'SQLite store, which must exist (default: the store ACX_STORE / ACX_DB_PATH / ACX_DYNAMODB_TABLE name)',
      )
      .action(async (opts: { before: string; db?: string }) => {
        process.stdout.write(await (await loadService('prune')).pruneCommand(opts))
      })
  },
}

export const dynamodbCommand: CommandModule = {
  register(command: Command) {
    command
      .command('create-table')
      .description('create the single table the DynamoDB store uses (an existing table is left as it is)')
      .requiredOption('--table <name>', 'table name (ACX_DYNAMODB_TABLE)')
      .option('--endpoint <url>', 'a local server such as dynalite (ACX_DYNAMODB_ENDPOINT)')
      .option('--region <region>', 'AWS region (default: AWS_REGION or the shared config)')
      .action(async (opts: { table: string; endpoint?: string; region?: string }) => {
        process.stdout.write(await (await loadService('dynamodb create-table')).createTableCommand(opts))
      })
  },
}

export const submitCommand: CommandModule = {
  register(command: Command) {
    command
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
      .action(async (opts: { url: string } & Record<string, string | undefined>) => {
        const { output, exitCode } = await (await loadService('submit')).submitCommand(opts)
        process.stdout.write(output)
        // 2: refused here, nothing sent; 1: refused by the service
        if (exitCode !== 0) process.exitCode = exitCode
      })
  },
}
