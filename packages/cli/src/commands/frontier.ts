// `acx frontier`: flags → @acx/research's frontier batch (one file) or dataset (a directory).
import { Option, type Command } from 'commander'
import type { CommandModule } from '../cli.js'
import { PAPER_EXAMPLE } from '@acx/ac-core-wasm'
import { positive, positiveInt, nonNegative } from './numbers.js'

interface FrontierFlags {
  grid?: string
  gridFormat?: 'csv' | 'parquet' | 'arrow'
  shares: number
  horizon: number
  slices: number
  volatility: number
  temporaryImpact: number
  permanentImpact: number
  fixedCost: number
  riskAversion?: string
  log?: boolean
  format?: 'csv' | 'json' | 'jsonl' | 'parquet' | 'arrow'
  out?: string
  shard?: string
  workers?: number
  plot?: string
  mark?: number
  chunkRows?: number
}

const FLAG_COLUMNS = [
  ['shares', 'shares'],
  ['horizon', 'horizon'],
  ['slices', 'slices'],
  ['volatility', 'volatility'],
  ['temporaryImpact', 'temporary_impact'],
  ['permanentImpact', 'permanent_impact'],
  ['fixedCost', 'fixed_cost'],
] as const

export const frontierCommand: CommandModule = {
  register(cmd: Command) {
    cmd
      .option(
        '--grid <path>',
        'grid of parameter sets, one a row, columns named like the flags (shares, horizon, …, risk_aversion): a .csv, .parquet or .arrow file, or a directory of them',
      )
      .addOption(
        new Option('--grid-format <format>', "the grid's format when its extension does not say").choices([
          'csv',
          'parquet',
          'arrow',
        ]),
      )
      .option('--shares <X>', 'X, shares to trade', positive, PAPER_EXAMPLE.shares)
      .option(
        '--horizon <T>',
        'T, time to complete (any time unit, used consistently)',
        positive,
        PAPER_EXAMPLE.horizon,
      )
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
      .addOption(
        new Option('--format <format>', 'output format (default: by the --out extension, else csv)').choices([
          'csv',
          'json',
          'jsonl',
          'parquet',
          'arrow',
        ]),
      )
      .option('--out <path>', 'write there instead of stdout: a file, or a directory when --grid is one')
      .option(
        '--shard <K/N>',
        'with a grid directory: only the files whose position in name order is K mod N (0 ≤ K < N), e.g. $JOB_COMPLETION_INDEX/4',
      )
      .addOption(
        new Option(
          '--workers <n>',
          'worker threads, each with its own WebAssembly core (default: the number of cores)',
        ).argParser(positiveInt),
      )
      .option('--plot <file>', 'also draw expected cost against standard deviation: .svg or .png (needs echarts)')
      .option(
        '--mark <lambda>',
        'the risk aversion to mark on the plot (default: the middle of --risk-aversion)',
        nonNegative,
      )
      .addOption(new Option('--chunk-rows <n>', 'rows per chunk sent to a worker').argParser(positiveInt).hideHelp())
      .action(async (o: FrontierFlags) => {
        const r = await import('@acx/research')
        r.assertPlotFile(o.plot)
        const explicit = (name: string): boolean => cmd.getOptionValueSource(name) !== 'default'
        const defaults: Partial<Record<(typeof FLAG_COLUMNS)[number][1], number>> = {}
        for (const [flag, col] of FLAG_COLUMNS) {
          // With a grid, a flag fills a missing column only when given; without, defaults are the paper's example.
          if (o.grid === undefined || explicit(flag)) defaults[col] = o[flag]
        }
        let riskAversions: import('@acx/research').RangeValues | undefined
        const spec = o.riskAversion ?? (o.grid === undefined ? '0:1e-5:11' : undefined)
        if (spec !== undefined) {
          const parsed = r.parseRangeSpec(spec, o.log === true)
          if (!parsed.ok) usage(cmd, `--risk-aversion: ${parsed.issues.map((i) => i.message).join('; ')}`)
          riskAversions = r.lazyRange(parsed.value)
        }
        const workers = o.workers ?? r.defaultWorkers()
        const common = {
          defaults,
          ...(riskAversions ? { riskAversions } : {}),
          ...(o.gridFormat ? { gridFormat: o.gridFormat } : {}),
          workers,
          ...(o.chunkRows === undefined ? {} : { chunkRows: o.chunkRows }),
        }
        if (o.grid !== undefined && (await r.isDirectory(o.grid))) {
          if (o.out === undefined) usage(cmd, `--grid ${o.grid} is a directory: give --out DIRECTORY`)
          if (o.plot !== undefined) usage(cmd, '--plot draws one grid: give --grid a file')
          let shard: import('@acx/research').Shard | undefined
          if (o.shard !== undefined) {
            const parsed = r.parseShard(o.shard)
            if (!parsed.ok) usage(cmd, `--shard: ${parsed.issues.map((i) => i.message).join('; ')}`)
            shard = parsed.value
          }
          const bar = await progressBar()
          const summary = await r.runFrontierDataset({
            ...common,
            grid: o.grid,
            out: o.out,
            ...(o.format ? { format: o.format } : {}),
            ...(shard ? { shard } : {}),
            onFile: (grid, out, i, n) => process.stderr.write(`acx frontier: [${i + 1}/${n}] ${grid} → ${out}\n`),
            ...(bar ? { onProgress: bar.update } : {}),
          })
          bar?.stop()
          process.stderr.write(
            `acx frontier: ${summary.files} file${summary.files === 1 ? '' : 's'}, ${summary.rows} rows in ${summary.seconds.toFixed(2)} s\n`,
          )
          return
        }
        if (o.shard !== undefined) usage(cmd, '--shard splits a directory of grids: give --grid a directory')
        const format = o.format ?? (o.out === undefined ? undefined : r.formatOfPath(o.out)) ?? 'csv'
        if ((format === 'parquet' || format === 'arrow') && o.out === undefined && process.stdout.isTTY === true)
          usage(cmd, `--format ${format} is binary: give --out FILE or redirect stdout`)
        const bar = await progressBar()
        try {
          await r.runFrontierBatch({
            ...common,
            ...(o.grid === undefined ? {} : { grid: o.grid }),
            format,
            ...(o.out === undefined ? {} : { out: o.out }),
            ...(o.plot === undefined ? {} : { plot: o.plot }),
            ...(o.mark === undefined ? {} : { mark: o.mark }),
            ...(bar ? { onProgress: bar.update } : {}),
          })
        } finally {
          bar?.stop()
        }
      })
  },
}

/** A progress bar on stderr when it is a terminal: bytes of a CSV grid or rows, ending at 100 %. */
async function progressBar(): Promise<
  { update: (p: import('@acx/research').FrontierProgress) => void; stop: () => void } | undefined
> {
  if (process.stderr.isTTY !== true) return undefined
  const { default: cliProgress } = await import('cli-progress')
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'acx frontier [{bar}] {percentage}% | {rows} rows | {eta_formatted} left',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(p) {
      if (!started) {
        bar.start(Math.max(1, p.total), 0, { rows: 0 })
        started = true
      }
      bar.setTotal(Math.max(1, p.total))
      bar.update(p.done, { rows: p.rows })
    },
    stop: () => bar.stop(),
  }
}

/** A usage error found in the action: printed like commander's own, exit code 1, nothing written. */
function usage(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 1, code: 'commander.invalidArgument' })
}
