import { SweepStatus, type AcCoreApi } from '@acx/ac-core-wasm'

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
   * The input cells of each row as CSV text, when the reader has them (a grid's cells as written,
   * trimmed; an unparseable cell empty): CSV output echoes them instead of formatting 8 numbers again.
   */
  readonly prefixes?: readonly string[]
}

export type OutputFormat = 'csv' | 'json'

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

export interface FrontierChunkResult {
  /** The chunk's rows, formatted: CSV lines, or JSON objects separated by `,\n`; no trailing newline. */
  readonly text: string
  readonly bad: readonly BadRow[]
  readonly points?: FrontierPoints
}

const csvNumber = (x: number): string => (Number.isNaN(x) ? '' : String(x))
const jsonNumber = (x: number): string => (Number.isFinite(x) ? String(x) : 'null')

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

/**
 * Sweeps one chunk and formats it: the work a frontier worker does. Row order is kept; a parse error
 * overrides the kernel's status; kernel-rejected rows come back in `bad` with their line.
 */
export function runFrontierChunk(
  core: AcCoreApi,
  chunk: FrontierChunk,
  format: OutputFormat,
  wantPoints: boolean,
): FrontierChunkResult {
  const c = chunk.columns
  const res = core.sweep({
    shares: c.shares,
    horizon: c.horizon,
    slices: c.slices,
    volatility: c.volatility,
    temporaryImpact: c.temporary_impact,
    permanentImpact: c.permanent_impact,
    fixedCost: c.fixed_cost,
    riskAversion: c.risk_aversion,
  })
  const bad: BadRow[] = []
  const parts: string[] = new Array<string>(chunk.rows)
  const cols = INPUT_COLUMNS.map((name) => c[name])
  let okCount = 0
  for (let i = 0; i < chunk.rows; i++) {
    const parseFailed = chunk.parseError[i] === 1
    const status = parseFailed ? PARSE_ERROR : (res.status[i] as number)
    if (status === SweepStatus.OK) okCount++
    else if (!parseFailed) bad.push({ line: chunk.lines[i] as number, status, message: statusMessage(status) })
    const kappa = res.kappa[i] as number
    const e = res.expectedCost[i] as number
    const v = res.variance[i] as number
    const values = [kappa, e, v, Math.sqrt(v)]
    if (format === 'csv') {
      let line = ''
      const prefix = chunk.prefixes?.[i]
      if (prefix !== undefined) line = `${prefix},`
      else for (const col of cols) line += `${csvNumber(col[i] as number)},`
      for (const x of values) line += `${csvNumber(x)},`
      parts[i] = line + statusName(status)
    } else {
      let obj = '{'
      for (let j = 0; j < cols.length; j++) obj += `"${INPUT_COLUMNS[j]}":${jsonNumber(cols[j]![i] as number)},`
      obj += `"kappa":${jsonNumber(kappa)},"expected_cost":${jsonNumber(e)},"variance":${jsonNumber(v)},"std_dev":${jsonNumber(Math.sqrt(v))},`
      parts[i] = `${obj}"status":"${statusName(status)}"}`
    }
  }
  const text = parts.join(format === 'csv' ? '\n' : ',\n')
  if (!wantPoints) return { text, bad }
  const points: FrontierPoints = {
    riskAversion: new Float64Array(okCount),
    expectedCost: new Float64Array(okCount),
    stdDev: new Float64Array(okCount),
  }
  for (let i = 0, j = 0; i < chunk.rows; i++) {
    if (chunk.parseError[i] === 1 || res.status[i] !== SweepStatus.OK) continue
    points.riskAversion[j] = c.risk_aversion[i] as number
    points.expectedCost[j] = res.expectedCost[i] as number
    points.stdDev[j] = Math.sqrt(res.variance[i] as number)
    j++
  }
  return { text, bad, points }
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

export interface GridTextResult extends FrontierChunkResult {
  /** Lines in the piece; bad rows' lines are numbered from 1 within it. */
  readonly lines: number
  readonly rows: number
}
