import { createWriteStream, type WriteStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { once } from 'node:events'
import { extname } from 'node:path'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import { ResearchError, isResearchError } from './researchError.js'
import { flagRows, gridLayout, gridPieces, type GridLayout } from './gridReader.js'
import {
  INPUT_COLUMNS,
  OUTPUT_COLUMNS,
  statusName,
  type BadRow,
  type EncodedResult,
  type FrontierChunk,
  type InputColumn,
  type OutputFormat,
} from './frontierRows.js'
import { ParquetLayout, type ColumnChunkPart } from './parquetWriter.js'
import { openParquet } from './parquetReader.js'
import { columnarChunk } from './columnarChunk.js'
import { createArrowWriter, openArrow, type ArrowWriter } from './arrowFormat.js'
import { frontierChartOption, writeChart } from './plot.js'
import type { RangeValues } from './rangeSpec.js'
import { createWorkerPool, type WorkerPool } from './workerPool.js'
import type { WorkerRequest } from './researchWorker.js'

/** Grid files acx reads: CSV text, Parquet, Arrow IPC (file or stream). */
export type GridFormat = 'csv' | 'parquet' | 'arrow'
export const GRID_FORMATS: readonly GridFormat[] = ['csv', 'parquet', 'arrow']
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['csv', 'json', 'jsonl', 'parquet', 'arrow']

const EXTENSIONS: Readonly<Record<string, OutputFormat>> = {
  '.csv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.arrow': 'arrow',
  '.arrows': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
}

/** The format a file's extension names, or undefined. */
export function formatOfPath(path: string): OutputFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()]
}

/** The file extension acx gives an output of a format (in a directory of outputs). */
export const EXTENSION_OF: Readonly<Record<OutputFormat, string>> = {
  csv: '.csv',
  json: '.json',
  jsonl: '.jsonl',
  parquet: '.parquet',
  arrow: '.arrow',
}

export interface FrontierProgress {
  /** Units done and in all: bytes of a CSV grid, else rows. */
  readonly done: number
  readonly total: number
  readonly rows: number
}

export interface FrontierBatchOptions {
  /** A grid file; without it one parameter set from `defaults` over `riskAversions`. */
  readonly grid?: string
  /** The grid's format; default by its extension (CSV when it has none of the known ones). */
  readonly gridFormat?: GridFormat
  /** Column values from flags (missing grid columns take these). */
  readonly defaults: Partial<Record<InputColumn, number>>
  /** Risk aversions for flags, or for a grid without a `risk_aversion` column. */
  readonly riskAversions?: RangeValues
  readonly format: OutputFormat
  /** Output file; default stdout. */
  readonly out?: string
  /** Arrow output in the IPC stream format; default for stdout and `.arrows` files (else the file format). */
  readonly arrowStream?: boolean
  /** Worker threads (ignored when `pool` is given). */
  readonly workers: number
  /** A pool to reuse across batches (a directory of grids); closed by its owner. */
  readonly pool?: WorkerPool
  /** `.svg` or `.png`. */
  readonly plot?: string
  /** The risk aversion to mark on the plot. */
  readonly mark?: number
  /** Rows per chunk (default 16,384 for text, 65,536 for columnar outputs: one Parquet row group each). */
  readonly chunkRows?: number
  /** Called as results are written, and once more at the end with `done === total`. */
  readonly onProgress?: (p: FrontierProgress) => void
  /** Lines for bad rows (default: stderr). */
  readonly onWarning?: (line: string) => void
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
  add(r: EncodedResult): void {
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

/** Where output bytes go: a file or stdout, with backpressure; stdout's reader may go away. */
interface ByteSink {
  readonly stream: Writable
  write(bytes: Uint8Array | string): Promise<void>
  end(): Promise<void>
  /** The reader went away (`acx frontier | head`): stop quietly. */
  readonly closed: boolean
}

function byteSinkFor(out: string | undefined): ByteSink {
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
      stream: process.stdout,
      get closed() {
        return broken
      },
      async write(bytes) {
        if (broken) return
        if (!process.stdout.write(bytes)) await Promise.race([once(process.stdout, 'drain'), gone])
      },
      async end() {
        if (!broken) process.stdout.off('error', onError) // after an EPIPE keep it: more may come
      },
    }
  }
  const stream: WriteStream = createWriteStream(out)
  const failed = once(stream, 'error').then(([e]) => {
    throw new ResearchError('RESEARCH_FILE', `cannot write ${out}: ${(e as Error).message}`, { cause: e })
  })
  failed.catch(() => undefined)
  return {
    stream,
    closed: false,
    async write(bytes) {
      if (!stream.write(bytes)) await Promise.race([once(stream, 'drain'), failed])
    },
    async end() {
      stream.end()
      await Promise.race([once(stream, 'finish'), failed])
    },
  }
}

/** Writes encoded results in order, in the output's format. */
interface ResultSink {
  begin(): Promise<void>
  write(r: EncodedResult): Promise<void>
  end(): Promise<void>
  readonly closed: boolean
}

const PARQUET_COLUMNS: readonly ColumnChunkPart[] = OUTPUT_COLUMNS.map((name) => ({
  name,
  type: name === 'status' ? 'string' : 'double',
  numValues: 0,
  start: 0,
  size: 0,
  dataPageOffset: 0,
}))

const CREATED_BY = 'acx frontier (@acx/research)'

function resultSinkFor(format: OutputFormat, out: string | undefined, arrowStream: boolean): ResultSink {
  let bytes: ByteSink | undefined
  const sink = (): ByteSink => (bytes ??= byteSinkFor(out))
  if (format === 'parquet') {
    const layout = new ParquetLayout(CREATED_BY)
    return {
      get closed() {
        return bytes?.closed ?? false
      },
      begin: () => sink().write(layout.head()),
      async write(r) {
        for (const g of r.rowGroups ?? []) {
          layout.place(g)
          await sink().write(g.bytes)
        }
      },
      async end() {
        await sink().write(layout.footer(PARQUET_COLUMNS))
        await sink().end()
      },
    }
  }
  if (format === 'arrow') {
    let writer: ArrowWriter | undefined
    return {
      get closed() {
        return bytes?.closed ?? false
      },
      async begin() {
        writer = await createArrowWriter(sink().stream, !arrowStream)
      },
      async write(r) {
        if (sink().closed) return
        for (const b of r.batches ?? []) await writer?.write(b)
      },
      async end() {
        if (!sink().closed) await writer?.end()
        await sink().end()
      },
    }
  }
  const separator = format === 'json' ? ',\n' : '\n'
  let written = 0
  return {
    get closed() {
      return bytes?.closed ?? false
    },
    begin: () => sink().write(format === 'csv' ? `${OUTPUT_COLUMNS.join(',')}\n` : format === 'json' ? '[\n' : ''),
    async write(r) {
      if (!r.text || r.text.length === 0) return
      if (written++ > 0) await sink().write(separator)
      await sink().write(r.text)
    },
    async end() {
      const close = format === 'json' ? (written > 0 ? '\n]\n' : ']\n') : written > 0 ? '\n' : ''
      if (close) await sink().write(close)
      await sink().end()
    },
  }
}

/** One unit of work for the pool, with what the main thread knows of it. */
interface Work {
  readonly request: WorkerRequest
  readonly transfer: ArrayBuffer[]
  /** Units of progress it completes: bytes of a CSV grid, else rows. */
  readonly units: number
}

/** A grid or the flags, as units of work; `open` validates the header / schema before any output. */
interface Source {
  /** How messages name a row: `grid.csv line`, `grid.parquet row`, `row`. */
  readonly where: string
  readonly total: number
  /** Line numbers before the first row (CSV: the header and what preceded it). */
  readonly lineOffset: number
  work(): AsyncGenerator<Work>
  close(): Promise<void>
}

const columnsTransfer = (chunk: FrontierChunk): ArrayBuffer[] => [
  ...INPUT_COLUMNS.map((c) => chunk.columns[c].buffer as ArrayBuffer),
  chunk.parseError.buffer as ArrayBuffer,
  chunk.lines.buffer as ArrayBuffer,
  ...(chunk.inputText
    ? [chunk.inputText.bytes, chunk.inputText.starts, chunk.inputText.ends].map((a) => a.buffer as ArrayBuffer)
    : []),
]

function flagSource(opts: FrontierBatchOptions, chunkRows: number, format: OutputFormat, wantPoints: boolean): Source {
  const riskAversions = opts.riskAversions ?? { length: 0, value: () => Number.NaN }
  return {
    where: 'row',
    total: riskAversions.length,
    lineOffset: 0,
    async *work() {
      for (const rc of flagRows({ chunkRows, defaults: opts.defaults, riskAversions, withText: format === 'csv' })) {
        yield {
          request: { kind: 'frontier', chunk: rc.chunk, format, wantPoints },
          transfer: columnsTransfer(rc.chunk),
          units: rc.chunk.rows,
        }
      }
    },
    close: async () => undefined,
  }
}

async function csvSource(
  path: string,
  opts: FrontierBatchOptions,
  chunkRows: number,
  format: OutputFormat,
  wantPoints: boolean,
): Promise<Source> {
  let total: number
  try {
    total = (await stat(path)).size
  } catch (e) {
    throw new ResearchError('RESEARCH_FILE', `cannot read grid ${path}: ${(e as Error).message}`, { cause: e })
  }
  const expansion = opts.riskAversions?.length ?? 1
  const pieces = gridPieces(path, {
    chunkRows,
    defaults: opts.defaults,
    ...(opts.riskAversions ? { riskAversions: opts.riskAversions } : {}),
    pieceBytes: Math.max(256, Math.floor((chunkRows * 64) / expansion)),
  })
  // The header first: a bad one stops the batch before anything is written.
  const first = await pieces.next()
  if (first.done || first.value.kind !== 'layout') throw new ResearchError('RESEARCH_BAD_INPUT', `${path}: no header`)
  const layout: GridLayout = first.value.layout
  return {
    where: `${path} line`,
    total,
    lineOffset: first.value.lines,
    async *work() {
      for await (const piece of pieces) {
        if (piece.kind !== 'text') continue
        yield {
          request: { kind: 'grid', task: { bytes: piece.bytes, layout, chunkRows, format, wantPoints } },
          transfer: [piece.bytes.buffer as ArrayBuffer],
          units: piece.size,
        }
      }
    },
    close: async () => {
      await pieces.return(undefined)
    },
  }
}

/** A batch of columns from a columnar grid: the chosen columns, `rows` long, NaN where null. */
interface ColumnBatch {
  readonly rows: number
  read(n: number, targets: readonly Float64Array[], nulls: readonly Uint8Array[]): Promise<void>
}

/** Fewest rows of a Parquet grid a worker reads at once (one row group of acx's own output). */
const WORKER_READ_ROWS = 65_536

async function columnarSource(
  path: string,
  kind: 'parquet' | 'arrow',
  opts: FrontierBatchOptions,
  chunkRows: number,
  format: OutputFormat,
  wantPoints: boolean,
): Promise<Source> {
  let fh: import('node:fs/promises').FileHandle
  try {
    fh = await open(path, 'r')
  } catch (e) {
    throw new ResearchError('RESEARCH_FILE', `cannot read grid ${path}: ${(e as Error).message}`, { cause: e })
  }
  try {
    const src = kind === 'parquet' ? await openParquet(path, fh) : await openArrow(path, fh)
    const numeric = new Set(src.columns.map((c) => c.name))
    const other = src.allColumns.find((c) => !numeric.has(c.name))
    const layoutOpts = {
      chunkRows,
      defaults: opts.defaults,
      ...(opts.riskAversions ? { riskAversions: opts.riskAversions } : {}),
    }
    // Names first (an unknown column is the likelier mistake), then types.
    gridLayout(
      src.allColumns.map((c) => c.name),
      path,
      layoutOpts,
    )
    if (other !== undefined)
      throw new ResearchError('RESEARCH_BAD_INPUT', `${path}: column "${other.name}" is ${other.type}, not a number`)
    const layout = gridLayout(
      src.columns.map((c) => c.name),
      path,
      layoutOpts,
    )
    const names = src.columns.map((c) => c.name)
    const k = layout.expand?.length ?? 1
    const perChunk = Math.max(1, Math.floor(chunkRows / k))
    if (kind === 'parquet' && k === 1) {
      // One output row per input row: reading is a large share of the work, so the workers read and decode
      // their own row ranges and the main thread only writes. A range is at least WORKER_READ_ROWS rows
      // (swept in chunks of chunkRows) so that a page is seldom decoded by two workers.
      const p = src as Awaited<ReturnType<typeof openParquet>>
      const { size, mtimeMs } = await fh.stat()
      const unitRows = Math.max(chunkRows, WORKER_READ_ROWS)
      return {
        where: `${path} row`,
        total: p.rows,
        lineOffset: 0,
        async *work() {
          let row = 0
          for (let group = 0; group < p.rowGroups; group++) {
            const groupRows = p.rowGroupRows[group] as number
            for (let from = 0; from < groupRows; from += unitRows) {
              const count = Math.min(unitRows, groupRows - from)
              const task = { path, size, mtimeMs, group, from, count, firstRow: row + from + 1, layout, chunkRows }
              yield { request: { kind: 'parquet', task, format, wantPoints }, transfer: [], units: count }
            }
            row += groupRows
          }
        },
        close: () => fh.close(),
      }
    }
    // Arrow, and grids expanded over k risk aversions (each input row feeds k output rows, so reading is a
    // small share): the main thread reads, in input order, and sends chunks.
    const batches: () => AsyncGenerator<ColumnBatch> =
      kind === 'parquet'
        ? async function* () {
            const p = src as Awaited<ReturnType<typeof openParquet>>
            for (let g = 0; g < p.rowGroups; g++) yield p.rowGroup(g, p.columns)
          }
        : async function* () {
            const a = src as Awaited<ReturnType<typeof openArrow>>
            for await (const b of a.batches()) {
              let at = 0
              const cols = a.columns.map((c) => b.column(c.index))
              yield {
                rows: b.rows,
                async read(n, targets, nulls) {
                  cols.forEach((c, f) => {
                    ;(targets[f] as Float64Array).set(c.values.subarray(at, at + n))
                    if (c.nulls) (nulls[f] as Uint8Array).set(c.nulls.subarray(at, at + n))
                    else (nulls[f] as Uint8Array).fill(0, 0, n)
                  })
                  at += n
                },
              }
            }
          }
    return {
      where: `${path} row`,
      total: kind === 'parquet' ? (src as Awaited<ReturnType<typeof openParquet>>).rows * k : 0,
      lineOffset: 0,
      async *work() {
        let row = 0
        const targets = names.map(() => new Float64Array(perChunk))
        const nulls = names.map(() => new Uint8Array(perChunk))
        for await (const batch of batches()) {
          for (let at = 0; at < batch.rows; at += perChunk) {
            const n = Math.min(perChunk, batch.rows - at)
            await batch.read(n, targets, nulls)
            const { chunk, parseErrors } = columnarChunk(layout, names, targets, nulls, n, row + at + 1)
            yield {
              request: { kind: 'frontier', chunk, parseErrors, format, wantPoints },
              transfer: columnsTransfer(chunk),
              units: chunk.rows,
            }
          }
          row += batch.rows
        }
      },
      close: () => fh.close(),
    }
  } catch (e) {
    await fh.close()
    if (isResearchError(e)) throw e
    throw new ResearchError('RESEARCH_BAD_INPUT', `${path}: ${(e as Error).message}`, { cause: e })
  }
}

/** The grid's format: `gridFormat`, else its extension (CSV for anything else). */
export function gridFormatOf(path: string, explicit?: GridFormat): GridFormat {
  if (explicit !== undefined) return explicit
  const f = formatOfPath(path)
  return f === 'parquet' || f === 'arrow' ? f : 'csv'
}

/**
 * `acx frontier`: the main thread cuts the input into units (CSV text at line ends, Parquet row ranges
 * the workers read themselves, Arrow batches it reads) and writes; the worker threads parse (CSV), read
 * and decode (Parquet), sweep (each its own WebAssembly core, a batch whose columns are WebAssembly
 * memory) and encode (text, Parquet row groups, Arrow columns). Results are written in input order as they
 * complete, with at most 2 × workers units in flight, so memory does not grow with the grid. Bad rows keep their place with a status and are
 * reported with their line (CSV) or row (Parquet, Arrow) number. A grid whose header or schema is wrong
 * stops before anything is written.
 */
export async function runFrontierBatch(opts: FrontierBatchOptions): Promise<FrontierBatchSummary> {
  const started = performance.now()
  const columnarOut = opts.format === 'parquet' || opts.format === 'arrow'
  const chunkRows = opts.chunkRows ?? (columnarOut ? 65_536 : 16_384)
  const maxReported = opts.maxReported ?? 50
  const warn = opts.onWarning ?? ((line: string) => void process.stderr.write(`${line}\n`))
  const wantPoints = opts.plot !== undefined
  const sample = new PointSample(20_000)
  const gridFormat = opts.grid === undefined ? undefined : gridFormatOf(opts.grid, opts.gridFormat)
  const source =
    opts.grid === undefined
      ? flagSource(opts, chunkRows, opts.format, wantPoints)
      : gridFormat === 'csv'
        ? await csvSource(opts.grid, opts, chunkRows, opts.format, wantPoints)
        : await columnarSource(opts.grid, gridFormat as 'parquet' | 'arrow', opts, chunkRows, opts.format, wantPoints)

  const ownPool = opts.pool === undefined
  let pool: WorkerPool
  try {
    pool = opts.pool ?? (await createWorkerPool(opts.workers))
  } catch (e) {
    await source.close()
    throw e
  }
  const sink = resultSinkFor(
    opts.format,
    opts.out,
    opts.arrowStream ?? (opts.out === undefined || extname(opts.out).toLowerCase() === '.arrows'),
  )
  let rows = 0
  let badRows = 0
  let lineOffset = source.lineOffset
  let done = 0
  const queue: { result: Promise<EncodedResult>; units: number }[] = []

  const report = (bad: readonly BadRow[]): void => {
    for (const b of bad) {
      if (badRows++ < maxReported)
        warn(`acx frontier: ${source.where} ${b.line + lineOffset}: ${statusName(b.status)}: ${b.message}`)
    }
  }

  const drainOne = async (): Promise<void> => {
    const head = queue.shift()
    if (!head) return
    const r = await head.result
    await sink.write(r)
    report(r.bad)
    if (r.lines !== undefined) lineOffset += r.lines
    if (wantPoints) sample.add(r)
    rows += r.rows
    done += head.units
    opts.onProgress?.({ done, total: Math.max(source.total, done), rows })
  }

  // The writer drains the queue in order as results complete, so output keeps up with the input even
  // when the input pauses (a pipe); the reader waits while 2 × workers units are in flight.
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

  try {
    await sink.begin()
    for await (const w of source.work()) {
      if (sink.closed) break
      const result = pool.run<EncodedResult>(w.request, w.transfer)
      result.catch(() => undefined) // awaited in order by the writer
      queue.push({ result, units: w.units })
      wakeWriter?.()
      while (queue.length >= 2 * pool.size && failure === undefined)
        await new Promise<void>((resolve) => (wakeReader = resolve))
      if (failure !== undefined) throw failure
    }
    readerDone = true
    wakeWriter?.()
    await writer
    if (failure !== undefined) throw failure
    await sink.end()
  } catch (e) {
    readerDone = true
    queue.length = 0
    wakeWriter?.()
    await writer
    throw e
  } finally {
    await source.close()
    if (ownPool) await pool.close()
  }
  opts.onProgress?.({ done: Math.max(source.total, done), total: Math.max(source.total, done), rows })
  if (badRows > maxReported) warn(`acx frontier: ${badRows - maxReported} more bad rows not listed`)
  if (badRows > 0) warn(`acx frontier: ${badRows} of ${rows} rows bad (see the status column)`)

  if (opts.plot !== undefined) await plotFrontier(opts, sample, warn)
  return { rows, badRows, seconds: (performance.now() - started) / 1000 }
}

async function plotFrontier(opts: FrontierBatchOptions, sample: PointSample, warn: (l: string) => void): Promise<void> {
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
      warn(`acx frontier: cannot mark λ = ${chosen}: ${(e as Error).message}`)
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
