import { createReadStream } from 'node:fs'
import { ResearchError, isResearchError } from './researchError.js'
import type { RangeValues } from './rangeSpec.js'
import { toFloat64Array } from './rangeSpec.js'
import { INPUT_COLUMNS, type InputColumn } from './frontierRows.js'
import { asciiBytes } from './bytes.js'
import { ChunkBuilder, type ReadChunk } from './chunkBuilder.js'

export interface RowSourceOptions {
  /** Most rows per swept chunk. */
  readonly chunkRows: number
  /**
   * Values for columns a grid lacks (and, for flags, every column). `permanent_impact` and
   * `fixed_cost` default to 0.
   */
  readonly defaults: Partial<Record<InputColumn, number>>
  /**
   * Risk aversions to expand every row over when the grid has no `risk_aversion` column (and for
   * flags): each parameter set becomes one row per value, in this order.
   */
  readonly riskAversions?: RangeValues
}

/** How a grid's fields map to the input columns; sent to the workers with every text chunk. */
export interface GridLayout {
  /** Grid field k → index in INPUT_COLUMNS. */
  readonly fieldColumns: readonly number[]
  /** The header's names, for messages. */
  readonly fieldNames: readonly string[]
  /** Values of columns the grid lacks (NaN for those it has). */
  readonly base: readonly number[]
  /** Risk aversions to expand each row over (the grid has no risk_aversion column), or null. */
  readonly expand: Float64Array | null
}

/** Header cell → column: `temporary_impact`, `temporary-impact` and `temporaryImpact` all name one. */
const normalize = (name: string): string =>
  name
    .trim()
    .replace(/^"|"$/g, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase()

const optionalDefault = (c: InputColumn): number | undefined =>
  c === 'permanent_impact' || c === 'fixed_cost' ? 0 : undefined

/**
 * The header line of a grid: columns named like the flags. An unknown or repeated column, or a
 * required column neither in the grid nor given as a flag, stops the batch before any row.
 */
function parseGridHeader(line: string, where: string, opts: RowSourceOptions): GridLayout {
  return gridLayout(line.split(','), where, opts)
}

/**
 * How a grid's columns (named like the flags, in any of their spellings) map to the input columns. An
 * unknown or repeated column, or a required column neither in the grid nor given as a flag, is an error
 * naming it.
 */
export function gridLayout(header: readonly string[], where: string, opts: RowSourceOptions): GridLayout {
  const names = header.map(normalize)
  const seen = new Set<number>()
  const fieldColumns = names.map((name) => {
    const j = INPUT_COLUMNS.indexOf(name as InputColumn)
    if (j < 0)
      throw new ResearchError(
        'RESEARCH_BAD_INPUT',
        `${where}: unknown column "${name}" (columns: ${INPUT_COLUMNS.join(', ')})`,
      )
    if (seen.has(j)) throw new ResearchError('RESEARCH_BAD_INPUT', `${where}: column "${name}" appears twice`)
    seen.add(j)
    return j
  })
  const base: number[] = []
  const missing: string[] = []
  let expand: Float64Array | null = null
  INPUT_COLUMNS.forEach((c, j) => {
    const d = seen.has(j) ? undefined : (opts.defaults[c] ?? optionalDefault(c))
    base.push(d ?? Number.NaN)
    if (seen.has(j)) return
    if (c === 'risk_aversion') {
      if (opts.riskAversions === undefined) missing.push(`${c} (or --risk-aversion)`)
      else expand = toFloat64Array(opts.riskAversions)
    } else if (d === undefined) missing.push(c)
  })
  if (missing.length > 0)
    throw new ResearchError('RESEARCH_BAD_INPUT', `${where}: no column or flag for ${missing.join(', ')}`)
  return { fieldColumns, fieldNames: names, base, expand }
}

const LAMBDA = INPUT_COLUMNS.indexOf('risk_aversion')

/** A number as a CSV cell: `String(x)`, NaN empty. */
export const cellText = (x: number): string => (Number.isNaN(x) ? '' : String(x))

/**
 * Rows from flags: one parameter set expanded over the risk aversions; lines are row numbers. With
 * `withText`, each row carries its input cells as CSV (for CSV output).
 */
export function* flagRows(
  opts: RowSourceOptions & { readonly riskAversions: RangeValues; readonly withText: boolean },
): Generator<ReadChunk> {
  const values = new Float64Array(INPUT_COLUMNS.length)
  INPUT_COLUMNS.forEach((c, j) => (values[j] = opts.defaults[c] ?? optionalDefault(c) ?? Number.NaN))
  const b = new ChunkBuilder(opts.chunkRows, opts.withText, false)
  // The fixed cells are formatted once, for CSV output to echo.
  const fixed = asciiBytes(`${Array.from(values.subarray(0, LAMBDA), cellText).join(',')},`)
  for (let i = 0; i < opts.riskAversions.length; i++) {
    values[LAMBDA] = opts.riskAversions.value(i)
    const text = b.text
    const start = text?.length ?? 0
    text?.bytes(fixed)
    text?.ascii(cellText(values[LAMBDA] as number))
    b.push(values, i + 1, undefined, start, text?.length ?? 0)
    if (b.full) yield b.take()
  }
  if (b.n > 0) yield b.take()
}

/** What the reader hands on: the layout, then pieces of whole lines with the grid line they start at. */
export type GridPiece =
  /** The header, and the lines it took (blank and comment lines before it included). */
  | { readonly kind: 'layout'; readonly layout: GridLayout; readonly lines: number }
  | { readonly kind: 'text'; readonly bytes: Uint8Array; readonly size: number }

/**
 * Reads a grid without holding it: the header is parsed here, the rest is cut at line ends into pieces
 * of about `pieceBytes`, which the workers parse. Raises ResearchError for an unreadable file or a bad
 * header.
 */
export async function* gridPieces(
  path: string,
  opts: RowSourceOptions & { readonly pieceBytes: number },
): AsyncGenerator<GridPiece> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 })
  let layout: GridLayout | undefined
  let pending: Buffer[] = []
  let pendingSize = 0
  let headerLines = 0
  const take = (upTo: number): Uint8Array => {
    // A standalone buffer (not Node's pool) so that it can be transferred to a worker.
    const out = new Uint8Array(upTo)
    let at = 0
    const rest: Buffer[] = []
    for (const b of pending) {
      if (at >= upTo) {
        rest.push(b)
        continue
      }
      const n = Math.min(b.length, upTo - at)
      out.set(b.subarray(0, n), at)
      at += n
      if (n < b.length) rest.push(b.subarray(n))
    }
    pending = rest
    pendingSize -= upTo
    return out
  }
  try {
    for await (const piece of stream) {
      pending.push(piece as Buffer)
      pendingSize += (piece as Buffer).length
      while (layout === undefined) {
        const all = Buffer.concat(pending)
        const nl = all.indexOf(10)
        if (nl < 0) break
        pending = [all.subarray(nl + 1)]
        pendingSize = all.length - nl - 1
        headerLines++
        const line = all
          .subarray(0, nl)
          .toString('utf8')
          .replace(/\r$/, '')
          .replace(/^\uFEFF/, '')
        if (line.trim() === '' || line.startsWith('#')) continue
        layout = parseGridHeader(line, `${path} line ${headerLines}`, opts)
        yield { kind: 'layout', layout, lines: headerLines }
      }
      if (layout === undefined || pendingSize < opts.pieceBytes) continue
      const last = pending[pending.length - 1] as Buffer
      const nl = last.lastIndexOf(10)
      if (nl < 0) continue // a very long line: keep reading
      const cut = pendingSize - (last.length - nl - 1)
      yield { kind: 'text', bytes: take(cut), size: cut }
    }
  } catch (e) {
    if (isResearchError(e)) throw e
    throw new ResearchError('RESEARCH_FILE', `cannot read grid ${path}: ${(e as Error).message}`, { cause: e })
  } finally {
    stream.destroy()
  }
  if (layout === undefined) {
    const line = Buffer.concat(pending)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim()
    if (line === '' || line.startsWith('#'))
      throw new ResearchError('RESEARCH_BAD_INPUT', `${path}: empty grid (no header line)`)
    layout = parseGridHeader(line, `${path} line ${headerLines + 1}`, opts)
    yield { kind: 'layout', layout, lines: headerLines + 1 }
    return
  }
  if (pendingSize > 0) yield { kind: 'text', bytes: take(pendingSize), size: pendingSize }
}
