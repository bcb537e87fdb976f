import { SweepStatus, type SweepBatch, type WasmAcCore } from '@acx/ac-core-wasm'
import { Bytes } from './bytes.js'
import { NumberColumnText } from './numberColumnText.js'
import { encodeRowGroup, type RowGroupPart } from './parquetWriter.js'

/** Input columns of a frontier batch, as named in grid files and in the output. */
export const INPUT_COLUMNS = [
  'shares',
  'horizon',
  'slices',
  'volatility',
  'temporary_impact',
  'permanent_impact',
  'fixed_cost',
  'risk_aversion',
] as const
export type InputColumn = (typeof INPUT_COLUMNS)[number]

/** Every output column, in order. */
export const OUTPUT_COLUMNS = [...INPUT_COLUMNS, 'kappa', 'expected_cost', 'variance', 'std_dev', 'status'] as const

/** Status of a grid row that could not be parsed (not a kernel status). */
export const PARSE_ERROR = -1

/** Row status names, as written in the `status` column: `ok`, `invalid_shares`, …, `parse_error`. */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  [PARSE_ERROR]: 'parse_error',
  ...Object.fromEntries(Object.entries(SweepStatus).map(([name, code]) => [code, name.toLowerCase()])),
}

const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  [SweepStatus.INVALID_SHARES]: 'shares must be a finite number > 0',
  [SweepStatus.INVALID_HORIZON]: 'horizon must be a finite number > 0',
  [SweepStatus.INVALID_SLICES]: 'slices must be an integer from 1 to 1,000,000',
  [SweepStatus.INVALID_VOLATILITY]: 'volatility must be a finite number ≥ 0',
  [SweepStatus.INVALID_TEMPORARY_IMPACT]: 'temporary_impact must be a finite number > 0',
  [SweepStatus.INVALID_PERMANENT_IMPACT]: 'permanent_impact must be a finite number ≥ 0',
  [SweepStatus.INVALID_FIXED_COST]: 'fixed_cost must be a finite number ≥ 0',
  [SweepStatus.INVALID_RISK_AVERSION]: 'risk_aversion must be a finite number ≥ 0',
  [SweepStatus.ETA_TILDE_NONPOSITIVE]: 'temporary_impact − permanent_impact·τ/2 must be > 0',
  [SweepStatus.NON_FINITE_RESULT]: 'the result would overflow',
  [SweepStatus.OUT_OF_MEMORY]: 'out of WebAssembly memory',
}

export const statusName = (code: number): string => STATUS_NAMES[code] ?? `status_${code}`
const statusMessage = (code: number): string => STATUS_MESSAGES[code] ?? statusName(code)

/**
 * A chunk of parameter sets, struct-of-arrays. Rows that failed to parse carry NaN in the fields that
 * did not parse and `parseError[i] = 1`; their messages stay with the reader.
 */
export interface FrontierChunk {
  readonly rows: number
  readonly columns: Readonly<Record<InputColumn, Float64Array>>
  /** 1 where the grid row could not be parsed. */
  readonly parseError: Uint8Array
  /** Source line of each row (grid line number, or the 1-based row number for flags). */
  readonly lines: Float64Array
  /**
   * The input cells of each row as CSV, when the reader has them (a grid's cells as written, trimmed; an
   * unparseable cell empty): row i is `bytes` from `starts[i]` to `ends[i]`. CSV output copies them instead
   * of formatting 8 numbers again.
   */
  readonly inputText?: { readonly bytes: Uint8Array; readonly starts: Uint32Array; readonly ends: Uint32Array }
}

/** Text outputs are formatted by the workers; columnar ones are encoded there as row groups / batches. */
export type OutputFormat = TextFormat | 'parquet' | 'arrow'
type TextFormat = 'csv' | 'json' | 'jsonl'

/** A kernel-rejected row: its line and status. */
export interface BadRow {
  readonly line: number
  readonly status: number
  readonly message: string
}

/** Points kept for a plot: only rows with status ok. */
export interface FrontierPoints {
  readonly riskAversion: Float64Array
  readonly expectedCost: Float64Array
  readonly stdDev: Float64Array
}

/** The columns of an Arrow record batch, built by a worker; the main thread wraps them without copies. */
export interface ArrowParts {
  readonly rows: number
  /** The 12 number columns in OUTPUT_COLUMNS order; NaN where the cell is empty. */
  readonly numbers: readonly Float64Array[]
  /** Arrow validity bitmap per number column, or null when it has no empty cell. */
  readonly validity: readonly (Uint8Array | null)[]
  readonly statusOffsets: Int32Array
  readonly statusData: Uint8Array
}

/** What a worker sends back for a unit of work, in the output's form. */
export interface EncodedResult {
  /** csv/json/jsonl: the rows as UTF-8, separated but without a trailing separator (empty for no rows). */
  readonly text?: Uint8Array
  readonly rowGroups?: readonly RowGroupPart[]
  readonly batches?: readonly ArrowParts[]
  readonly bad: readonly BadRow[]
  readonly points?: FrontierPoints
  readonly rows: number
  /** Grid text only: lines in the piece. */
  readonly lines?: number
}

export function chunkColumnsFor(rows: number): Record<InputColumn, Float64Array> {
  return {
    shares: new Float64Array(rows),
    horizon: new Float64Array(rows),
    slices: new Float64Array(rows),
    volatility: new Float64Array(rows),
    temporary_impact: new Float64Array(rows),
    permanent_impact: new Float64Array(rows),
    fixed_cost: new Float64Array(rows),
    risk_aversion: new Float64Array(rows),
  }
}

const utf8 = new TextEncoder()

/** Status codes, lowest first: the dictionary of the Parquet `status` column (index = code − PARSE_ERROR). */
const STATUS_CODES = Object.keys(STATUS_NAMES)
  .map(Number)
  .sort((a, b) => a - b)
const STATUS_BYTES = STATUS_CODES.map((c) => utf8.encode(statusName(c)))
const dictionaryIndex = (code: number): number => code - (STATUS_CODES[0] as number)

/** One sweep batch per worker, grown when a chunk needs more rows (the kernel's memory is never freed). */
export interface SweepState {
  batch?: SweepBatch
}

/** Results of one chunk: views over the batch (valid until the next run), status with parse errors. */
interface Swept {
  readonly kappa: Float64Array
  readonly expectedCost: Float64Array
  readonly variance: Float64Array
  readonly stdDev: Float64Array
  readonly status: Int32Array
}

function sweepChunk(core: WasmAcCore, state: SweepState, chunk: FrontierChunk): Swept {
  const n = chunk.rows
  let b = state.batch
  if (b === undefined || b.capacity < n) b = state.batch = core.createSweepBatch(Math.max(n, b?.capacity ?? 0, 1))
  const c = chunk.columns
  b.shares.set(c.shares)
  b.horizon.set(c.horizon)
  b.slices.set(c.slices)
  b.volatility.set(c.volatility)
  b.temporaryImpact.set(c.temporary_impact)
  b.permanentImpact.set(c.permanent_impact)
  b.fixedCost.set(c.fixed_cost)
  b.riskAversion.set(c.risk_aversion)
  if (n > 0) b.run(n)
  const status = b.status.slice(0, n)
  for (let i = 0; i < n; i++) if (chunk.parseError[i] === 1) status[i] = PARSE_ERROR
  const variance = b.variance.subarray(0, n)
  const stdDev = new Float64Array(n)
  for (let i = 0; i < n; i++) stdDev[i] = Math.sqrt(variance[i] as number)
  return {
    kappa: b.kappa.subarray(0, n),
    expectedCost: b.expectedCost.subarray(0, n),
    variance,
    stdDev,
    status,
  }
}

const COMMA = 44
const SEPARATORS: Readonly<Record<TextFormat, Uint8Array>> = {
  csv: utf8.encode('\n'),
  json: utf8.encode(',\n'),
  jsonl: utf8.encode('\n'),
}
/** `{"shares":`, `,"horizon":`, …, `,"std_dev":`: what precedes each number of a JSON row. */
const JSON_KEYS = OUTPUT_COLUMNS.slice(0, -1).map((c, j) => utf8.encode(`${j === 0 ? '{' : ','}"${c}":`))
const JSON_STATUS = utf8.encode(',"status":"')
const JSON_END = utf8.encode('"}')

function writeStatus(out: Bytes, code: number): void {
  const bytes = STATUS_BYTES[dictionaryIndex(code)]
  if (bytes === undefined) out.ascii(statusName(code))
  else out.bytes(bytes)
}

/** The 12 number columns as text, reused chunk after chunk (`writeText` runs to the end on its thread). */
const columnTexts = OUTPUT_COLUMNS.slice(0, -1).map(() => new NumberColumnText())

/** Appends a chunk's rows as text, each after a separator unless it is the first in `out`. */
function writeText(out: Bytes, chunk: FrontierChunk, r: Swept, format: TextFormat): void {
  const n = chunk.rows
  // an array literal, whose map is always the same (`map`'s result differs between tiers, deoptimizing this)
  const numbers = [...INPUT_COLUMNS.map((c) => chunk.columns[c]), r.kappa, r.expectedCost, r.variance, r.stdDev]
  const separator = SEPARATORS[format]
  const text = format === 'csv' ? chunk.inputText : undefined
  const textView = text && new DataView(text.bytes.buffer, text.bytes.byteOffset, text.bytes.byteLength)
  // CSV echoes the input cells when it has them; the rest is formatted here
  const first = text === undefined ? 0 : INPUT_COLUMNS.length
  for (let j = first; j < numbers.length; j++)
    (columnTexts[j] as NumberColumnText).format(numbers[j] as Float64Array, n)
  for (let i = 0; i < n; i++) {
    if (out.length > 0) out.bytes(separator)
    if (format === 'csv') {
      if (text !== undefined) {
        out.copy(text.bytes, text.starts[i] as number, text.ends[i] as number, textView)
        out.byte(COMMA)
      }
      for (let j = first; j < numbers.length; j++) {
        ;(columnTexts[j] as NumberColumnText).csv(out, (numbers[j] as Float64Array)[i] as number)
        out.byte(COMMA)
      }
      writeStatus(out, r.status[i] as number)
    } else {
      for (let j = 0; j < numbers.length; j++) {
        out.bytes(JSON_KEYS[j] as Uint8Array)
        ;(columnTexts[j] as NumberColumnText).json(out)
      }
      out.bytes(JSON_STATUS)
      writeStatus(out, r.status[i] as number)
      out.bytes(JSON_END)
    }
  }
}

function numberColumns(chunk: FrontierChunk, r: Swept): { name: string; values: Float64Array }[] {
  return [
    ...INPUT_COLUMNS.map((name) => ({ name, values: chunk.columns[name] })),
    { name: 'kappa', values: r.kappa },
    { name: 'expected_cost', values: r.expectedCost },
    { name: 'variance', values: r.variance },
    { name: 'std_dev', values: r.stdDev },
  ]
}

function arrowParts(chunk: FrontierChunk, r: Swept): ArrowParts {
  const n = chunk.rows
  const numbers = numberColumns(chunk, r).map((c) => c.values.slice(0, n))
  const validity = numbers.map((col) => {
    let bitmap: Uint8Array | null = null
    for (let i = 0; i < n; i++) {
      if (!Number.isNaN(col[i] as number)) continue
      if (bitmap === null) bitmap = new Uint8Array(Math.ceil(n / 8)).fill(0xff)
      bitmap[i >> 3] = (bitmap[i >> 3] as number) & ~(1 << (i & 7))
    }
    return bitmap
  })
  const statusOffsets = new Int32Array(n + 1)
  let size = 0
  for (let i = 0; i < n; i++) {
    size += (STATUS_BYTES[dictionaryIndex(r.status[i] as number)] as Uint8Array).length
    statusOffsets[i + 1] = size
  }
  const statusData = new Uint8Array(size)
  for (let i = 0; i < n; i++)
    statusData.set(STATUS_BYTES[dictionaryIndex(r.status[i] as number)] as Uint8Array, statusOffsets[i] as number)
  return { rows: n, numbers, validity, statusOffsets, statusData }
}

/** Parquet row groups, in order, as the output file's columns. */
const PARQUET_STATUS = { name: 'status', dictionary: STATUS_BYTES }

function pointsOf(chunk: FrontierChunk, r: Swept): FrontierPoints {
  let ok = 0
  for (let i = 0; i < chunk.rows; i++) if (r.status[i] === SweepStatus.OK) ok++
  const points: FrontierPoints = {
    riskAversion: new Float64Array(ok),
    expectedCost: new Float64Array(ok),
    stdDev: new Float64Array(ok),
  }
  for (let i = 0, j = 0; i < chunk.rows; i++) {
    if (r.status[i] !== SweepStatus.OK) continue
    points.riskAversion[j] = chunk.columns.risk_aversion[i] as number
    points.expectedCost[j] = r.expectedCost[i] as number
    points.stdDev[j] = r.stdDev[i] as number
    j++
  }
  return points
}

/** Collects the encoded chunks of one unit of work. */
export class ResultBuilder {
  private readonly text: Bytes | null
  private readonly rowGroups: RowGroupPart[] = []
  private readonly batches: ArrowParts[] = []
  private readonly bad: BadRow[] = []
  private readonly points: FrontierPoints[] = []
  private rows = 0
  /** `textBytes`: a first guess at the size of the text output, for csv/json/jsonl. */
  constructor(
    private readonly format: OutputFormat,
    private readonly wantPoints: boolean,
    textBytes = 1 << 16,
  ) {
    this.text = format === 'parquet' || format === 'arrow' ? null : new Bytes(textBytes)
  }

  /**
   * Sweeps one chunk and encodes it: the work a frontier worker does. Row order is kept; a parse error
   * overrides the kernel's status; kernel-rejected rows are reported in `bad` with their line.
   */
  add(core: WasmAcCore, state: SweepState, chunk: FrontierChunk, parseErrors: readonly BadRow[] = []): void {
    const r = sweepChunk(core, state, chunk)
    const bad: BadRow[] = [...parseErrors]
    for (let i = 0; i < chunk.rows; i++) {
      const status = r.status[i] as number
      if (status !== SweepStatus.OK && status !== PARSE_ERROR)
        bad.push({ line: chunk.lines[i] as number, status, message: statusMessage(status) })
    }
    if (parseErrors.length > 0) bad.sort((a, b) => a.line - b.line)
    for (const b of bad) this.bad.push(b)
    if (this.format === 'parquet')
      this.rowGroups.push(
        encodeRowGroup(
          numberColumns(chunk, r),
          { ...PARQUET_STATUS, indices: r.status.map(dictionaryIndex) },
          chunk.rows,
        ),
      )
    else if (this.format === 'arrow') this.batches.push(arrowParts(chunk, r))
    else writeText(this.text as Bytes, chunk, r, this.format)
    if (this.wantPoints) this.points.push(pointsOf(chunk, r))
    this.rows += chunk.rows
  }

  finish(lines?: number): EncodedResult {
    const base = { bad: this.bad, rows: this.rows, ...(lines === undefined ? {} : { lines }) }
    const points = this.wantPoints
      ? {
          points: {
            riskAversion: concat(this.points.map((p) => p.riskAversion)),
            expectedCost: concat(this.points.map((p) => p.expectedCost)),
            stdDev: concat(this.points.map((p) => p.stdDev)),
          },
        }
      : {}
    if (this.format === 'parquet') return { ...base, ...points, rowGroups: this.rowGroups }
    if (this.format === 'arrow') return { ...base, ...points, batches: this.batches }
    return { ...base, ...points, text: (this.text as Bytes).view() }
  }
}

const concat = (parts: readonly Float64Array[]): Float64Array => {
  if (parts.length === 1) return parts[0] as Float64Array
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** The buffers of a result, to transfer rather than copy to the main thread. */
export function transferablesOf(r: EncodedResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = []
  if (r.text) out.push(r.text.buffer as ArrayBuffer)
  for (const g of r.rowGroups ?? []) out.push(g.bytes.buffer as ArrayBuffer)
  for (const b of r.batches ?? []) {
    for (const c of b.numbers) out.push(c.buffer as ArrayBuffer)
    for (const v of b.validity) if (v) out.push(v.buffer as ArrayBuffer)
    out.push(b.statusOffsets.buffer as ArrayBuffer, b.statusData.buffer as ArrayBuffer)
  }
  if (r.points)
    out.push(...[r.points.riskAversion, r.points.expectedCost, r.points.stdDev].map((a) => a.buffer as ArrayBuffer))
  return [...new Set(out)]
}

/** A piece of grid text as a worker gets it. */
export interface GridTextTask {
  /** UTF-8 bytes of whole grid lines (after the header). */
  readonly bytes: Uint8Array
  readonly layout: import('./gridReader.js').GridLayout
  readonly chunkRows: number
  readonly format: OutputFormat
  readonly wantPoints: boolean
}
