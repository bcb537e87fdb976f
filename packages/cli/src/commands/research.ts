// `acx schedule` and `acx simulate`: flags → @acx/research (which reads AC_* through the engine's parser).
import cliProgress from 'cli-progress'
import { InvalidArgumentError, Option, type Command } from 'commander'
import {
  PROFILE_NAMES,
  STRATEGY_NAMES,
  acParamsFor,
  createAcConfig,
  createVirtualClock,
  isStrategyName,
  type AcConfigInput,
  type EngineEnvProblem,
  type StrategyName,
} from '@acx/engine'
import {
  MARKET_KINDS,
  assertPlotFile,
  computeSchedule,
  createWorkerPool,
  defaultWorkers,
  formatScheduleTable,
  formatSimulationTable,
  formatSizeSweepTable,
  marketFor,
  parseSizes,
  researchConfig,
  runSimulations,
  runSizeSweep,
  sizeSweepChartOption,
  summarize,
  tcaChartOption,
  writeChart,
  type MarketKind,
  type SimulationSpec,
  type SizeSweepPoint,
  type WorkerPool,
} from '@acx/research'
import type { CommandModule } from '../cli.js'
import { anyNumber, nonNegative, nonNegativeInt, positive, positiveInt } from './numbers.js'

/** `acx` exits 2 on a configuration problem, like commander's usage errors. */
function configProblem(problems: readonly EngineEnvProblem[]): number {
  process.stderr.write(
    `acx: invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}\n`,
  )
  return 2
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

export const scheduleCommand: CommandModule = { register: registerSchedule }

function registerSchedule(command: Command): void {
  command
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
      const { input, problems } = researchConfig(process.env, o)
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
  adv?: number
  sizes?: number[]
  [flag: string]: unknown
}

const sizes = (v: string): number[] => {
  const r = parseSizes(v)
  if (!r.ok) throw new InvalidArgumentError(r.message)
  return r.value
}

/** Runs `work` on a worker pool with a progress bar on stderr (a terminal only); closes both. */
async function withPoolAndBar<T>(
  workers: number,
  total: number,
  work: (pool: WorkerPool, onProgress: (done: number) => void) => Promise<T>,
): Promise<{ value: T; seconds: number }> {
  const bar =
    process.stderr.isTTY === true
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: 'acx simulate [{bar}] {value}/{total} executions | {eta_formatted} left' },
          cliProgress.Presets.shades_classic,
        )
      : undefined
  bar?.start(total, 0)
  const pool = await createWorkerPool(workers)
  const t0 = performance.now()
  try {
    const value = await work(pool, (n) => bar?.update(n))
    bar?.update(total)
    return { value, seconds: (performance.now() - t0) / 1000 }
  } finally {
    bar?.stop()
    await pool.close()
  }
}

/** `acx simulate --sizes`: every strategy at every size, a table (or JSON) and the size chart. */
async function simulateSizes(
  o: SimulateFlags,
  input: AcConfigInput,
  sizesPct: number[],
  lambda: number,
): Promise<void> {
  const adv = o.adv ?? createAcConfig(input).marketStats.defaultAdv.toNumber()
  const base = { config: input, market: o.market, side: o.side, price: o.price, spread: o.spread, seed: o.seed, adv }
  marketFor({ ...base, strategy: 'market', quantity: 1 }, 0, createVirtualClock()) // a bad market setting fails here
  const total = sizesPct.length * o.strategy.length * o.runs
  const { value: points, seconds } = await withPoolAndBar(o.workers, total, (pool, onProgress) =>
    runSizeSweep(base, o.strategy, sizesPct, o.runs, { pool, onProgress, riskAversion: lambda }),
  )
  const settings = { market: o.market, side: o.side, adv, price: o.price, spread: o.spread, runs: o.runs, seed: o.seed }
  process.stdout.write(
    o.format === 'json'
      ? `${JSON.stringify({ settings, sizes: points }, null, 2)}\n`
      : formatSizeSweepTable(points, settings),
  )
  process.stderr.write(`acx simulate: ${total} executions in ${seconds.toFixed(2)} s\n`)
  if (o.plot !== undefined) {
    const series = o.strategy.map((strategy) => ({
      strategy,
      points: points.map((p: SizeSweepPoint) => {
        const s = p.strategies.find((x) => x.strategy === strategy)
        return { sizePct: p.sizePct, meanBps: s?.meanShortfallBps ?? Number.NaN, stderrBps: s?.stderrBps ?? 0 }
      }),
    }))
    await writeChart(
      sizeSweepChartOption(
        series,
        `Shortfall against order size, ${o.runs} runs each (${o.market} market, ADV ${adv})`,
      ),
      o.plot,
    )
  }
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

export const simulateCommand: CommandModule = { register: registerSimulate }

function registerSimulate(command: Command): void {
  command
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
    .option('--plot <file>', 'shortfall per strategy with the model mean (with --sizes: against size): .svg or .png')
    .option(
      '--adv <shares>',
      "the market's average daily volume, shares (participation model; default AC_DEFAULT_ADV)",
      positive,
    )
    .option(
      '--sizes <list>',
      'order sizes as % of ADV, e.g. 0.01%,0.1%,1%,5%,10%: every strategy at every size (replaces --quantity)',
      sizes,
    )
    .action(async (o: SimulateFlags) => {
      assertPlotFile(o.plot)
      const { input, problems } = researchConfig(process.env, o)
      if (problems.length > 0) {
        process.exitCode = configProblem(problems)
        return
      }
      const lambda = acParamsFor(createAcConfig(input), 'SIM').riskAversion
      if (o.sizes !== undefined) {
        await simulateSizes(o, input, o.sizes, lambda)
        return
      }
      const specs: SimulationSpec[] = o.strategy.map((strategy) => ({
        strategy,
        config: input,
        market: o.market,
        side: o.side,
        quantity: o.quantity,
        price: o.price,
        spread: o.spread,
        seed: o.seed,
        ...(o.adv === undefined ? {} : { adv: o.adv }),
      }))
      marketFor(specs[0] as SimulationSpec, 0, createVirtualClock()) // a bad market setting fails here, not in a worker
      const total = specs.length * o.runs
      const { value: runs, seconds } = await withPoolAndBar(o.workers, total, (pool, onProgress) =>
        runSimulations(specs, o.runs, { pool, onProgress }),
      )
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
