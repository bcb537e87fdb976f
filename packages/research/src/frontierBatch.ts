import { createWriteStream, statSync, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import cliProgress from 'cli-progress'
import { ResearchError } from './researchError.js'
import { flagRows, gridPieces, type GridLayout, type ReadChunk } from './gridReader.js'
import {
  INPUT_COLUMNS,
  OUTPUT_COLUMNS,
  statusName,
  type BadRow,
  type FrontierChunkResult,
  type GridTextResult,
  type InputColumn,
  type OutputFormat,
} from './frontierRows.js'
import { frontierChartOption, writeChart } from './plot.js'
import type { RangeValues } from './rangeSpec.js'
import { createWorkerPool } from './workerPool.js'

export interface FrontierBatchOptions {
  /** A grid CSV; without it one parameter set from `defaults` over `riskAversions`. */
  readonly grid?: string
  /** Column values from flags (missing grid columns take these). */
  readonly defaults: Partial<Record<InputColumn, number>>
  /** Risk aversions for flags, or for a grid without a `risk_aversion` column. */
  readonly riskAversions?: RangeValues
  readonly format: OutputFormat
  /** Output file; default stdout (through `process.stdout.write`). */
  readonly out?: string
  readonly workers: number
  /** `.svg` or `.png`. */
  readonly plot?: string
  /** The risk aversion to mark on the plot. */
  readonly mark?: number
  /** Rows per chunk (default 16,384). */
  readonly chunkRows?: number
  /** Progress bar on stderr; default when stderr is a terminal. */
  readonly progress?: boolean
  /** Detailed bad-row messages before only counting (default 50). */
  readonly maxReported?: number
}

export interface FrontierBatchSummary {
  readonly rows: number
  readonly badRows: number
  readonly seconds: number
}

/** Points for the plot, thinned by doubling a stride so memory stays bounded on huge grids. */
class PointSample {
  stdDev: number[] = []
  expectedCost: number[] = []
  riskAversion: number[] = []
  private stride = 1
  private seen = 0
  constructor(private readonly max: number) {}
  add(r: FrontierChunkResult): void {
    const p = r.points
    if (!p) return
    for (let i = 0; i < p.stdDev.length; i++, this.seen++) {
      if (this.seen % this.stride !== 0) continue
      this.stdDev.push(p.stdDev[i] as number)
      this.expectedCost.push(p.expectedCost[i] as number)
      this.riskAversion.push(p.riskAversion[i] as number)
      if (this.stdDev.length >= this.max) {
        const keep = (xs: number[]): number[] => xs.filter((_, j) => j % 2 === 0)
        this.stdDev = keep(this.stdDev)
        this.expectedCost = keep(this.expectedCost)
        this.riskAversion = keep(this.riskAversion)
        this.stride *= 2
      }
    }
  }
}

interface Sink {
  write(text: string): Promise<void>
  end(): Promise<void>
  /** The reader went away (`acx frontier | head`): stop quietly. */
  readonly closed: boolean
}

function sinkFor(out: string | undefined): Sink {
  if (out === undefined) {
    let broken = false
    let onBroken: () => void = () => undefined
    const gone = new Promise<void>((resolve) => (onBroken = resolve))
    const onError = (e: NodeJS.ErrnoException): void => {
      if (e.code !== 'EPIPE') throw e
      broken = true
      onBroken()
    }
    process.stdout.on('error', onError)
    return {
      get closed() {
        return broken
      },
      async write(text) {
        if (broken) return
        if (!process.stdout.write(text)) await Promise.race([once(process.stdout, 'drain'), gone])
      },
      async end() {
        if (!broken) process.stdout.off('error', onError) // after an EPIPE keep it: more may come
      },
    }
  }
  const stream: WriteStream = createWriteStream(out)
  const failed = once(stream, 'error').then(([e]) => {
    throw e
  })
  failed.catch(() => undefined)
  return {
    closed: false,
    async write(text) {
      if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed])
    },
    async end() {
      stream.end()
      await Promise.race([once(stream, 'finish'), failed])
    },
  }
}

const transferOf = (rc: ReadChunk): ArrayBuffer[] => [
  ...INPUT_COLUMNS.map((c) => rc.chunk.columns[c].buffer as ArrayBuffer),
  rc.chunk.parseError.buffer as ArrayBuffer,
  rc.chunk.lines.buffer as ArrayBuffer,
]

/** One unit of work in flight, in output order. */
interface Pending {
  readonly result: Promise<FrontierChunkResult & { readonly lines?: number; readonly rows?: number }>
  /** Flags: rows are known up front and have no parse errors. */
  readonly rows?: number
  /** Grid: bytes of input, for progress. */
  readonly bytes: number
}

/**
 * `acx frontier`: the main thread only reads and writes. A grid is cut at line ends into pieces of
 * about `chunkRows` lines that the worker threads parse, sweep (each its own WebAssembly core) and
 * format; flags are generated here in chunks. Results are written in input order as they complete,
 * with at most 2 × workers pieces in flight, so memory does not grow with the grid. Bad rows keep
 * their place with a status and are reported on stderr with their line number.
 */
export async function runFrontierBatch(opts: FrontierBatchOptions): Promise<FrontierBatchSummary> {
  const started = performance.now()
  const chunkRows = opts.chunkRows ?? 16_384
  const maxReported = opts.maxReported ?? 50
  const where = opts.grid === undefined ? 'row' : `${opts.grid} line`
  const wantPoints = opts.plot !== undefined
  const sample = new PointSample(20_000)
  const showProgress = opts.progress ?? process.stderr.isTTY === true
  let total = opts.riskAversions?.length ?? 0
  if (opts.grid !== undefined) {
    try {
      total = statSync(opts.grid).size
    } catch (e) {
      throw new ResearchError('RESEARCH_FILE', `cannot read grid ${opts.grid}: ${(e as Error).message}`, { cause: e })
    }
  }
  const bar = showProgress
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'acx frontier [{bar}] {percentage}% | {rows} rows | {eta_formatted} left',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  bar?.start(Math.max(1, total), 0, { rows: 0 })

  const pool = await createWorkerPool(opts.workers)
  const sink = sinkFor(opts.out)
  let rows = 0
  let badRows = 0
  let chunksWritten = 0
  let lineOffset = 0
  let bytesDone = 0
  const queue: Pending[] = []

  const report = (bad: readonly BadRow[]): void => {
    for (const b of bad) {
      if (badRows++ < maxReported)
        process.stderr.write(`acx frontier: ${where} ${b.line + lineOffset}: ${statusName(b.status)}: ${b.message}\n`)
    }
  }

  const drainOne = async (): Promise<void> => {
    const head = queue.shift()
    if (!head) return
    const r = await head.result
    if (r.text.length > 0) {
      const sep = chunksWritten === 0 ? '' : opts.format === 'csv' ? '\n' : ',\n'
      await sink.write(sep + r.text)
      chunksWritten++
    }
    report(r.bad)
    lineOffset += r.lines ?? 0
    if (wantPoints) sample.add(r)
    rows += r.rows ?? head.rows ?? 0
    bytesDone += head.bytes
    bar?.update(opts.grid === undefined ? rows : bytesDone, { rows })
  }

  // The writer drains the queue in order as results complete, so output keeps up with the input even
  // when the input pauses (a pipe); the reader waits while 2 × workers pieces are in flight.
  let readerDone = false
  let failure: unknown
  let wakeWriter: (() => void) | undefined
  let wakeReader: (() => void) | undefined
  const writer = (async () => {
    try {
      for (;;) {
        if (queue.length === 0) {
          if (readerDone) return
          await new Promise<void>((resolve) => (wakeWriter = resolve))
          continue
        }
        await drainOne()
        wakeReader?.()
      }
    } catch (e) {
      failure = e
      wakeReader?.()
    }
  })()
  const submit = async (p: Pending): Promise<void> => {
    p.result.catch(() => undefined) // awaited in order by the writer
    queue.push(p)
    wakeWriter?.()
    while (queue.length >= 2 * pool.size && failure === undefined)
      await new Promise<void>((resolve) => (wakeReader = resolve))
    if (failure !== undefined) throw failure
  }
  const finish = async (): Promise<void> => {
    readerDone = true
    wakeWriter?.()
    await writer
    if (failure !== undefined) throw failure
  }

  try {
    await sink.write(opts.format === 'csv' ? `${OUTPUT_COLUMNS.join(',')}\n` : '[\n')
    if (opts.grid === undefined) {
      for (const rc of flagRows({
        chunkRows,
        defaults: opts.defaults,
        riskAversions: opts.riskAversions ?? { length: 0, value: () => Number.NaN },
      })) {
        if (sink.closed) break
        // Flag rows cannot fail to parse; kernel-rejected ones come back from the worker.
        const result = pool.run<FrontierChunkResult>(
          { kind: 'frontier', chunk: rc.chunk, format: opts.format, wantPoints },
          transferOf(rc),
        )
        await submit({ result, rows: rc.chunk.rows, bytes: 0 })
      }
    } else {
      const expansion = opts.riskAversions?.length ?? 1
      let layout: GridLayout | undefined
      for await (const piece of gridPieces(opts.grid, {
        chunkRows,
        defaults: opts.defaults,
        ...(opts.riskAversions ? { riskAversions: opts.riskAversions } : {}),
        pieceBytes: Math.max(256, Math.floor((chunkRows * 64) / expansion)),
      })) {
        if (piece.kind === 'layout') {
          layout = piece.layout
          lineOffset = piece.lines
          continue
        }
        if (sink.closed) break
        const task = { bytes: piece.bytes, layout: layout as GridLayout, chunkRows, format: opts.format, wantPoints }
        const result = pool.run<GridTextResult>({ kind: 'grid', task }, [piece.bytes.buffer as ArrayBuffer])
        await submit({ result, bytes: piece.size })
      }
    }
    await finish()
    await sink.write(opts.format === 'csv' ? (chunksWritten > 0 ? '\n' : '') : chunksWritten > 0 ? '\n]\n' : ']\n')
    await sink.end()
  } catch (e) {
    readerDone = true
    queue.length = 0
    wakeWriter?.()
    await writer
    throw e
  } finally {
    bar?.stop()
    await pool.close()
  }
  if (badRows > maxReported) process.stderr.write(`acx frontier: ${badRows - maxReported} more bad rows not listed\n`)
  if (badRows > 0) process.stderr.write(`acx frontier: ${badRows} of ${rows} rows bad (see the status column)\n`)

  if (opts.plot !== undefined) await plotFrontier(opts, sample)
  return { rows, badRows, seconds: (performance.now() - started) / 1000 }
}

async function plotFrontier(opts: FrontierBatchOptions, sample: PointSample): Promise<void> {
  let mark: { riskAversion: number; stdDev: number; expectedCost: number } | undefined
  const flags = opts.grid === undefined
  const lambdas = opts.riskAversions
  const chosen =
    opts.mark ??
    (flags && lambdas !== undefined && lambdas.length > 0 ? lambdas.value(Math.floor(lambdas.length / 2)) : undefined)
  if (chosen !== undefined && flags) {
    try {
      const d = opts.defaults
      const t = loadAcCoreSync().trajectory({
        shares: d.shares ?? Number.NaN,
        horizon: d.horizon ?? Number.NaN,
        slices: d.slices ?? Number.NaN,
        volatility: d.volatility ?? Number.NaN,
        temporaryImpact: d.temporary_impact ?? Number.NaN,
        permanentImpact: d.permanent_impact ?? 0,
        fixedCost: d.fixed_cost ?? 0,
        riskAversion: chosen,
      })
      mark = { riskAversion: chosen, stdDev: Math.sqrt(t.variance), expectedCost: t.expectedCost }
    } catch (e) {
      process.stderr.write(`acx frontier: cannot mark λ = ${chosen}: ${(e as Error).message}\n`)
    }
  } else if (chosen !== undefined && sample.riskAversion.length > 0) {
    let best = 0
    sample.riskAversion.forEach((l, i) => {
      if (Math.abs(l - chosen) < Math.abs((sample.riskAversion[best] as number) - chosen)) best = i
    })
    mark = {
      riskAversion: sample.riskAversion[best] as number,
      stdDev: sample.stdDev[best] as number,
      expectedCost: sample.expectedCost[best] as number,
    }
  }
  await writeChart(
    frontierChartOption({
      stdDev: sample.stdDev,
      expectedCost: sample.expectedCost,
      riskAversion: sample.riskAversion,
      ...(mark ? { mark } : {}),
      line: flags,
      title: flags ? 'Almgren–Chriss efficient frontier' : `Almgren–Chriss grid: ${opts.grid ?? ''}`,
    }),
    opts.plot as string,
  )
}
