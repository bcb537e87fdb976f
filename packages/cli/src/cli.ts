// The `acx` command line. Each command's flags and action live in their own module, imported only when
// that command runs (or its help is asked for), so `acx frontier --help` loads neither the placement
// service nor the plotting libraries.
import { Command } from 'commander'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** What a command module provides: it adds its flags and action to the command it is given. */
export interface CommandModule {
  register(command: Command): void
}

interface CommandEntry {
  readonly summary: string
  readonly load: () => Promise<CommandModule>
}

/** Every command, in the order `acx --help` lists them. */
const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  frontier: {
    summary:
      'efficient frontiers in bulk: κ, E, V and √V per parameter set (flags, or a grid: CSV, Parquet, Arrow; a file or a directory), over worker threads',
    load: async () => (await import('./commands/frontier.js')).frontierCommand,
  },
  schedule: {
    summary:
      'the schedule an order gets under the AC_* configuration (environment, --profile, flags) and its pre-trade estimate',
    load: async () => (await import('./commands/research.js')).scheduleCommand,
  },
  simulate: {
    summary:
      'Monte Carlo of the engine on a simulated market in virtual time: shortfall, fill and fallback rates per strategy, model prediction beside',
    load: async () => (await import('./commands/research.js')).simulateCommand,
  },
  serve: {
    summary: 'run the placement service (settings from ACX_*, AC_*, APCA_* environment variables; needs @acx/service)',
    load: async () => (await import('./commands/service.js')).serveCommand,
  },
  report: {
    summary: 'execution quality from the store, per symbol and overall, strategies side by side (needs @acx/service)',
    load: async () => (await import('./commands/service.js')).reportCommand,
  },
  calibrate: {
    summary:
      "the impact model's η and γ per symbol and pooled, by regression on the store's Almgren–Chriss and TWAP executions; prints the AC_* settings it recommends (needs @acx/service)",
    load: async () => (await import('./commands/service.js')).calibrateCommand,
  },
  prune: {
    summary:
      'delete finished executions (with their child orders, fills and journal) created before a date; running and queued ones are never touched (needs @acx/service)',
    load: async () => (await import('./commands/service.js')).pruneCommand,
  },
  dynamodb: {
    summary: 'the DynamoDB store (ACX_STORE=dynamodb; needs @acx/service)',
    load: async () => (await import('./commands/service.js')).dynamodbCommand,
  },
  submit: {
    summary:
      'send one order intent to acx: its HTTP API (--url) or its intake queue (--queue-url), checked first by the service’s own parser (needs @acx/service)',
    load: async () => (await import('./commands/service.js')).submitCommand,
  },
}

/** This package's version, from its package.json (found from the source or the build). */
function version(): string {
  // import.meta is empty in the CommonJS build; __filename is defined there instead.
  const here = typeof import.meta.url === 'string' ? import.meta.url : pathToFileURL(__filename).href
  for (let dir = dirname(fileURLToPath(here)), i = 0; i < 4; dir = dirname(dir), i++) {
    const file = join(dir, 'package.json')
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
    if (pkg.name === '@acx/cli') return pkg.version ?? '0.0.0'
  }
  return '0.0.0'
}

/** The program, with the named command's module loaded (the others are listed by name only). */
async function createProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('acx')
    .description('Optimal trade execution on the Almgren–Chriss model')
    .version(version(), '-V, --version')
    .showHelpAfterError()
    .exitOverride()
  const wanted = argv.find((a) => !a.startsWith('-'))
  const target = wanted === 'help' ? argv.find((a, i) => i > argv.indexOf('help') && !a.startsWith('-')) : wanted
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const command = program.command(name).description(entry.summary)
    if (name === target) (await entry.load()).register(command)
  }
  return program
}

/** Runs `acx` with `argv` (user arguments only); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    const program = await createProgram(argv)
    await program.parseAsync([...argv], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    const e = err as { code?: string; exitCode?: number }
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 2
    process.stderr.write(`acx: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}
