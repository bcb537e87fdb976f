import { Command, InvalidArgumentError, Option } from 'commander'
import cliProgress from 'cli-progress'
import {
  PROFILE_NAMES,
  STRATEGY_NAMES,
  acParamsFor,
  createAcConfig,
  createVirtualClock,
  isStrategyName,
  type AcConfigInput,
  type AcStrategyParams,
  type StrategyName,
} from '@acx/engine'
import { checkEngineConfig, readEngineEnv, variableFor, type EngineEnvProblem } from '../config/engineEnv.js'
import { PAPER_EXAMPLE } from '../paperExample.js'
import { runFrontierBatch } from './frontierBatch.js'
import type { InputColumn } from './frontierRows.js'
import { assertPlotFile, tcaChartOption, writeChart } from './plot.js'
import { lazyRange, parseRangeSpec, type RangeValues } from './rangeSpec.js'
import { computeSchedule, formatScheduleTable } from './schedule.js'
import {
  MARKET_KINDS,
  marketFor,
  runSimulations,
  summarize,
  type MarketKind,
  type SimulationSpec,
} from './simulation.js'
import { formatSimulationTable } from './simulationReport.js'
import { createWorkerPool, defaultWorkers } from './workerPool.js'

const number =
  (what: string, rule: (x: number) => boolean, ruleText: string) =>
  (v: string): number => {
    const x = v.trim() === '' ? Number.NaN : Number(v)
    if (!Number.isFinite(x) || !rule(x)) throw new InvalidArgumentError(`${what} must be ${ruleText}`)
    return x
  }
const anyNumber = number('the value', () => true, 'a number')
const positiveInt = number('the value', (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1')
const nonNegativeInt = number('the value', (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0')
const positive = number('the value', (x) => x > 0, 'a number > 0')
const nonNegative = number('the value', (x) => x >= 0, 'a number ≥ 0')

/** `acx` exits 2 on a configuration problem, like commander's usage errors. */
function configProblem(problems: readonly EngineEnvProblem[]): number {
  process.stderr.write(
    `acx: invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}\n`,
  )
  return 2
}

/** The flags that set an `ac` field (their help texts name the variable each stands for). */
const AC_FLAGS: Readonly<Record<string, keyof AcStrategyParams>> = {
  profile: 'profile',
  riskAversion: 'riskAversion',
  volatility: 'volatility',
  dailyVolatility: 'volatility',
  temporaryImpact: 'temporaryImpact',
  permanentImpact: 'permanentImpact',
  slices: 'numSlices',
  horizon: 'totalTimeSeconds',
  sliceWait: 'sliceWaitSeconds',
  startAggression: 'startAggression',
  endAggression: 'endAggression',
  marketFallback: 'marketFallback',
}

const flagName = (flag: string): string => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`

/**
 * The engine's configuration for a research command: the environment's settings, read as the service
 * reads them, then the command's flags over the `ac` fields they name. Problems name the flag when a
 * flag set the field, else the variable.
 */
function researchConfig(o: Record<string, unknown>): {
  readonly input: AcConfigInput
  readonly problems: readonly EngineEnvProblem[]
} {
  const fromEnv = readEngineEnv(process.env)
  const flags: Record<string, unknown> = {}
  const flagOf = new Map<string, string>()
  for (const [flag, field] of Object.entries(AC_FLAGS)) {
    if (o[flag] === undefined) continue
    flags[field] = o[flag]
    flagOf.set(field, flagName(flag))
  }
  const input: AcConfigInput = { ...fromEnv.input, ac: { ...fromEnv.input.ac, ...flags } as AcConfigInput['ac'] }
  const checked = checkEngineConfig(
    input,
    (path) => (path[0] === 'ac' && flagOf.get(String(path[1]))) || variableFor(path),
  )
  return { input, problems: [...fromEnv.problems, ...(checked.ok ? [] : checked.problems)] }
}

/** Adds `frontier`, `schedule` and `simulate` to the `acx` program. */
export function registerResearchCommands(program: Command): void {
  registerFrontier(program)
  registerSchedule(program)
  registerSimulate(program)
}

interface FrontierFlags {
  grid?: string
  shares: number
  horizon: number
  slices: number
  volatility: number
  temporaryImpact: number
  permanentImpact: number
  fixedCost: number
  riskAversion?: string
  log?: boolean
  format: 'csv' | 'json'
  out?: string
  workers: number
  plot?: string
  mark?: number
  chunkRows: number
}

function registerFrontier(program: Command): void {
  const cmd: Command = program
    .command('frontier')
    .description(
      'efficient frontiers in bulk: κ, E, V and √V per parameter set (flags, or a grid CSV), over worker threads',
    )
    .option(
      '--grid <file>',
      'CSV with a header naming columns like the flags (shares,horizon,…,risk_aversion), one parameter set a row',
    )
    .option('--shares <X>', 'X, shares to trade', positive, PAPER_EXAMPLE.shares)
    .option('--horizon <T>', 'T, time to complete (any time unit, used consistently)', positive, PAPER_EXAMPLE.horizon)
    .option('--slices <N>', 'N, number of trading intervals', positiveInt, PAPER_EXAMPLE.slices)
    .option('--volatility <sigma>', 'σ, price per share per √time', nonNegative, PAPER_EXAMPLE.volatility)
    .option(
      '--temporary-impact <eta>',
      'η, price per share per (share per time)',
      positive,
      PAPER_EXAMPLE.temporaryImpact,
    )
    .option(
      '--permanent-impact <gamma>',
      'γ, price per share per share',
      nonNegative,
      PAPER_EXAMPLE.permanentImpact ?? 0,
    )
    .option(
      '--fixed-cost <epsilon>',
      'ε, price per share traded (half spread + fees)',
      nonNegative,
      PAPER_EXAMPLE.fixedCost ?? 0,
    )
    .option(
      '--risk-aversion <spec>',
      'λ per unit of cost: FROM:TO:COUNT or one value (default 0:1e-5:11; with a grid, only if it has no risk_aversion column)',
    )
    .option('--log', 'space the risk aversions logarithmically (FROM, TO > 0)')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to a file instead of stdout')
    .addOption(
      new Option('--workers <n>', 'worker threads, each with its own WebAssembly core')
        .argParser(positiveInt)
        .default(defaultWorkers(), 'the number of cores'),
    )
    .option('--plot <file>', 'also draw expected cost against standard deviation: .svg or .png')
    .option(
      '--mark <lambda>',
      'the risk aversion to mark on the plot (default: the middle of --risk-aversion)',
      nonNegative,
    )
    .addOption(
      new Option('--chunk-rows <n>', 'rows per chunk sent to a worker')
        .argParser(positiveInt)
        .default(16_384)
        .hideHelp(),
    )
  cmd.action(async (o: FrontierFlags) => {
    assertPlotFile(o.plot)
    const explicit = (name: string): boolean => cmd.getOptionValueSource(name) !== 'default'
    const flagColumns: [keyof FrontierFlags, InputColumn][] = [
      ['shares', 'shares'],
      ['horizon', 'horizon'],
      ['slices', 'slices'],
      ['volatility', 'volatility'],
      ['temporaryImpact', 'temporary_impact'],
      ['permanentImpact', 'permanent_impact'],
      ['fixedCost', 'fixed_cost'],
    ]
    const defaults: Partial<Record<InputColumn, number>> = {}
    for (const [flag, col] of flagColumns) {
      // With a grid, a flag fills a missing column only when given; without, defaults are the paper's example.
      if (o.grid === undefined || explicit(flag)) defaults[col] = o[flag] as number
    }
    let riskAversions: RangeValues | undefined
    const spec = o.riskAversion ?? (o.grid === undefined ? '0:1e-5:11' : undefined)
    if (spec !== undefined) {
      const parsed = parseRangeSpec(spec, o.log === true)
      if (!parsed.ok)
        cmd.error(`error: option '--risk-aversion <spec>': ${parsed.issues.map((i) => i.message).join('; ')}`, {
          exitCode: 1,
          code: 'commander.invalidArgument',
        })
      riskAversions = lazyRange(parsed.value)
    }
    await runFrontierBatch({
      ...(o.grid === undefined ? {} : { grid: o.grid }),
      defaults,
      ...(riskAversions ? { riskAversions } : {}),
      format: o.format,
      ...(o.out === undefined ? {} : { out: o.out }),
      workers: o.workers,
      ...(o.plot === undefined ? {} : { plot: o.plot }),
      ...(o.mark === undefined ? {} : { mark: o.mark }),
      chunkRows: o.chunkRows,
    })
  })
}

interface ScheduleFlags {
  profile?: string
  symbol?: string
  quantity: number
  price: number
  spread: number
  strategy: 'almgren_chriss' | 'twap'
  format: 'table' | 'json'
  [flag: string]: unknown
}

function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .description(
      'the schedule an order gets under the AC_* configuration (environment, --profile, flags) and its pre-trade estimate',
    )
    .addOption(new Option('--profile <name>', 'AC_PROFILE').choices([...PROFILE_NAMES]))
    .option('--symbol <symbol>', 'symbol (for AC_SYMBOL_PROFILES)', 'SIM')
    .option('--quantity <shares>', 'order quantity, shares', positive, 1000)
    .option('--price <dollars>', 'arrival price, dollars', positive, 100)
    .option(
      '--spread <dollars>',
      'quoted spread, dollars: ε = spread/(2·price) enters the expected cost',
      nonNegative,
      0,
    )
    .addOption(
      new Option('--strategy <name>', 'almgren_chriss or twap (λ = 0)')
        .choices(['almgren_chriss', 'twap'])
        .default('almgren_chriss'),
    )
    .option('--risk-aversion <lambda>', 'AC_RISK_AVERSION', anyNumber)
    .option('--volatility <sigma>', 'AC_VOLATILITY: daily volatility of returns', anyNumber)
    .option('--temporary-impact <eta>', 'AC_TEMP_IMPACT', anyNumber)
    .option('--permanent-impact <gamma>', 'AC_PERM_IMPACT', anyNumber)
    .option('--slices <N>', 'AC_NUM_SLICES', anyNumber)
    .option('--horizon <seconds>', 'AC_TOTAL_TIME_SECONDS', anyNumber)
    .option('--slice-wait <seconds>', 'AC_SLICE_WAIT_SECONDS', anyNumber)
    .option('--start-aggression <a>', 'AC_START_AGGRESSION', anyNumber)
    .option('--end-aggression <a>', 'AC_END_AGGRESSION', anyNumber)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action((o: ScheduleFlags) => {
      const { input, problems } = researchConfig(o)
      if (problems.length > 0) {
        process.exitCode = configProblem(problems)
        return
      }
      const report = computeSchedule({
        config: input,
        ...(o.symbol === undefined ? {} : { symbol: o.symbol.toUpperCase() }),
        quantity: o.quantity,
        price: o.price,
        spread: o.spread,
        strategy: o.strategy,
      })
      process.stdout.write(o.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatScheduleTable(report))
    })
}

interface SimulateFlags {
  strategy: StrategyName[]
  runs: number
  seed: number
  market: MarketKind
  side: 'BUY' | 'SELL'
  quantity: number
  price: number
  spread: number
  workers: number
  format: 'table' | 'json'
  plot?: string
  [flag: string]: unknown
}

const strategies = (v: string): StrategyName[] => {
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const bad = names.filter((s) => !isStrategyName(s))
  if (bad.length > 0 || names.length === 0)
    throw new InvalidArgumentError(`use a comma-separated list of ${STRATEGY_NAMES.join(', ')}`)
  return [...new Set(names)] as StrategyName[]
}

function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'Monte Carlo of the engine on a simulated market in virtual time: shortfall, fill and fallback rates per strategy, model prediction beside',
    )
    .addOption(
      new Option('--strategy <list>', `comma-separated: ${STRATEGY_NAMES.join(', ')}`)
        .argParser(strategies)
        .default(
          ['almgren_chriss', 'walk_the_book', 'twap', 'market'] as StrategyName[],
          'almgren_chriss,walk_the_book,twap,market',
        ),
    )
    .option('--runs <n>', 'executions per strategy', positiveInt, 1000)
    .option('--seed <n>', 'seed (run i uses the same market seed for every strategy)', nonNegativeInt, 1)
    .addOption(
      new Option(
        '--market <kind>',
        "engine: the engine's simulated market; model: the Almgren–Chriss model as a market",
      )
        .choices([...MARKET_KINDS])
        .default('engine'),
    )
    .addOption(new Option('--side <side>', 'order side').choices(['BUY', 'SELL']).default('BUY'))
    .option('--quantity <shares>', 'order quantity, shares', positiveInt, 1000)
    .option('--price <dollars>', 'arrival mid, dollars', positive, 100)
    .option('--spread <dollars>', 'quoted spread, dollars (a multiple of the tick)', nonNegative, 0.02)
    .option(
      '--daily-volatility <sigma>',
      'daily volatility of returns (AC_VOLATILITY; the market uses it too)',
      anyNumber,
    )
    .option(
      '--temporary-impact <eta>',
      'η as AC_TEMP_IMPACT (fraction of price per fraction of the order per second); the market uses η/(Q·τ) per share',
      anyNumber,
    )
    .option(
      '--permanent-impact <gamma>',
      'γ as AC_PERM_IMPACT (fraction of price per fraction of the order); the market uses γ/Q per share',
      anyNumber,
    )
    .addOption(
      new Option('--profile <name>', 'AC_PROFILE: model and market parameters from a preset').choices([
        ...PROFILE_NAMES,
      ]),
    )
    .option('--risk-aversion <lambda>', 'AC_RISK_AVERSION', anyNumber)
    .addOption(
      new Option('--workers <n>', 'worker threads')
        .argParser(positiveInt)
        .default(defaultWorkers(), 'the number of cores'),
    )
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--plot <file>', 'shortfall per strategy with the model mean: .svg or .png')
    .action(async (o: SimulateFlags) => {
      assertPlotFile(o.plot)
      const { input, problems } = researchConfig(o)
      if (problems.length > 0) {
        process.exitCode = configProblem(problems)
        return
      }
      const lambda = acParamsFor(createAcConfig(input), 'SIM').riskAversion
      const specs: SimulationSpec[] = o.strategy.map((strategy) => ({
        strategy,
        config: input,
        market: o.market,
        side: o.side,
        quantity: o.quantity,
        price: o.price,
        spread: o.spread,
        seed: o.seed,
      }))
      marketFor(specs[0] as SimulationSpec, 0, createVirtualClock()) // a bad market setting fails here, not in a worker
      const total = specs.length * o.runs
      const bar =
        process.stderr.isTTY === true
          ? new cliProgress.SingleBar(
              {
                stream: process.stderr,
                format: 'acx simulate [{bar}] {value}/{total} executions | {eta_formatted} left',
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined
      bar?.start(total, 0)
      const pool = await createWorkerPool(o.workers)
      let runs
      const t0 = performance.now()
      try {
        runs = await runSimulations(specs, o.runs, { pool, onProgress: (n) => bar?.update(n) })
      } finally {
        bar?.stop()
        await pool.close()
      }
      const seconds = (performance.now() - t0) / 1000
      const summaries = runs.map((r) => summarize(r, lambda))
      const settings = {
        market: o.market,
        side: o.side,
        quantity: o.quantity,
        price: o.price,
        spread: o.spread,
        runs: o.runs,
        seed: o.seed,
        riskAversion: lambda,
      }
      if (o.format === 'json') process.stdout.write(`${JSON.stringify({ settings, strategies: summaries }, null, 2)}\n`)
      else process.stdout.write(formatSimulationTable(summaries, settings))
      process.stderr.write(
        `acx simulate: ${total} executions in ${seconds.toFixed(2)} s (${Math.round(total / seconds)}/s)\n`,
      )
      if (o.plot !== undefined) {
        await writeChart(
          tcaChartOption(
            runs.map((r, i) => ({
              strategy: r.strategy,
              shortfallBps: r.shortfallBps,
              predictedMeanBps: summaries[i]?.predictedMeanBps ?? null,
            })),
            `Implementation shortfall, ${o.runs} runs per strategy (${o.market} market)`,
          ),
          o.plot,
        )
      }
    })
}
