import { asciiBytes, type Bytes } from './bytes.js'
import { ChunkBuilder, type ReadChunk } from './chunkBuilder.js'
import { INPUT_COLUMNS } from './frontierRows.js'
import { cellText, type GridLayout } from './gridReader.js'
import { numberFromBytes, scanDecimal, scanned } from './numberBytes.js'

const NEWLINE = 10
const COMMA = 44
const HASH = 35
const LAMBDA = INPUT_COLUMNS.indexOf('risk_aversion')

const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

/** ASCII whitespace within a line (tab, VT, FF, CR, space), as `String.prototype.trim` sees it. */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13 && c !== NEWLINE)

/** Where the line at `p` ends: its newline, or the end of the bytes. */
function lineEnd(bytes: Uint8Array, p: number): number {
  const nl = bytes.indexOf(NEWLINE, p)
  return nl < 0 ? bytes.length : nl
}

/**
 * Parses a piece of a grid (UTF-8 bytes of whole lines, after the header) into chunks of at most
 * `chunkRows` rows, straight from the bytes: no string per line or cell unless the cell is unusual.
 * Lines are numbered from 1 within the piece; blank lines, whitespace-only lines and lines starting
 * with `#` are skipped but counted. A line with the wrong number of fields or a field that is not a
 * number becomes a row with status `parse_error` (NaN where a field did not parse). A cell is trimmed
 * of whitespace and read as `Number` reads it. When the builder keeps text, each row carries its input
 * cells as CSV (as written, trimmed; an unparseable cell empty) for CSV output to echo. Returns the lines
 * in the piece. Runs on the workers.
 */
export function* parseGridBytes(bytes: Uint8Array, layout: GridLayout, b: ChunkBuilder): Generator<ReadChunk, number> {
  const lines = yield* fullChunks(bytes, layout, b)
  // The last rows are taken here, out of the hot function: reached once per piece, after that function
  // was optimized, this would deoptimize it at the end of every piece.
  if (b.n > 0) yield b.take()
  return lines
}

/** The chunks of a piece that fill the builder; the rest stays in it. */
function* fullChunks(bytes: Uint8Array, layout: GridLayout, b: ChunkBuilder): Generator<ReadChunk, number> {
  const len = bytes.length
  const expand = layout.expand
  const values = new Float64Array(INPUT_COLUMNS.length)
  const base = Float64Array.from(layout.base)
  const fieldCount = layout.fieldColumns.length
  const fieldColumns = Int32Array.from(layout.fieldColumns)
  /** Input column → grid field, or −1 for a column the grid lacks. */
  const fieldOf = new Int32Array(INPUT_COLUMNS.length).fill(-1)
  fieldColumns.forEach((col, k) => (fieldOf[col] = k))

  // A row's input cells as CSV: the piece's bytes come first, so that a line whose cells are all the
  // columns in order, written without spaces, is its own text; other rows' texts are written after.
  b.clear()
  const text = b.text
  if (text !== null) {
    text.length = 0
    text.bytes(bytes)
  }
  const inOrder = expand === null && fieldCount === INPUT_COLUMNS.length && fieldColumns.every((c, k) => c === k)
  // Columns the grid lacks are formatted once; an expanded row's own λ replaces the last cell.
  const baseText = layout.base.map((x) => asciiBytes(cellText(x)))
  const lambdaText = expand === null ? [] : Array.from(expand, (x) => asciiBytes(cellText(x)))
  const echoed = expand === null ? INPUT_COLUMNS.length : LAMBDA
  // The current line's cells: spans of the trimmed cells (empty when the cell is not a number).
  const cellStart = new Int32Array(fieldCount)
  const cellEnd = new Int32Array(fieldCount)
  let fields = 0

  const writeCells = (out: Bytes): void => {
    for (let j = 0; j < echoed; j++) {
      if (j > 0) out.byte(COMMA)
      const k = fieldOf[j] as number
      if (k < 0) {
        const t = baseText[j] as Uint8Array
        out.copy(t, 0, t.length)
      } else if (k < fields) out.copy(bytes, cellStart[k] as number, cellEnd[k] as number)
    }
  }

  let lineNo = 0
  // A byte order mark starting a piece is dropped, as TextDecoder drops it (the header's is dropped too).
  let p = len >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  while (p < len) {
    lineNo++
    const lineStart = p
    if (bytes[p] === HASH) {
      p = lineEnd(bytes, p) + 1
      continue
    }
    let q = p
    while (q < len && isSpace(bytes[q] as number)) q++
    if (q === len || bytes[q] === NEWLINE) {
      p = q + 1
      continue
    }
    if ((bytes[q] as number) >= 0x80) {
      // Other whitespace (no-break space, …) is not ASCII: rare enough to decode.
      const end = lineEnd(bytes, q)
      if (decoder.decode(bytes.subarray(lineStart, end)).trim() === '') {
        p = end + 1
        continue
      }
    }

    for (let j = 0; j < values.length; j++) values[j] = base[j] as number
    let badCell: string | undefined
    let k = 0
    q = lineStart
    for (;;) {
      let c = -1
      if (k < fieldCount) {
        while (q < len && isSpace(bytes[q] as number)) q++
        let s = q
        let v = scanDecimal(bytes, s)
        q = scanned.end
        let e = q
        while (q < len && isSpace((c = bytes[q] as number))) q++
        c = q < len ? (bytes[q] as number) : NEWLINE
        if (Number.isNaN(v) || (c !== COMMA && c !== NEWLINE)) {
          // Not a plain number (or one past the fast path): the whole field, as `Number` reads it.
          let high = 0
          while (q < len && (c = bytes[q] as number) !== COMMA && c !== NEWLINE) {
            high |= c
            q++
          }
          e = q
          while (e > s && isSpace(bytes[e - 1] as number)) e--
          if (s === e) v = Number.NaN
          else if (high < 0x80) v = numberFromBytes(bytes, s, e)
          else {
            // Trimmed as a string, for the whitespace that is not ASCII. A number is ASCII, and what the
            // trim dropped around it is whitespace, so its bytes are the ASCII non-space run inside.
            const cell = decoder.decode(bytes.subarray(s, e)).trim()
            v = cell === '' ? Number.NaN : Number(cell)
            if (!Number.isNaN(v)) {
              while ((bytes[s] as number) >= 0x80 || isSpace(bytes[s] as number)) s++
              while ((bytes[e - 1] as number) >= 0x80 || isSpace(bytes[e - 1] as number)) e--
            }
          }
          if (Number.isNaN(v)) {
            if (badCell === undefined) {
              const cell = decoder.decode(bytes.subarray(s, e)).trim()
              badCell = `${layout.fieldNames[k] as string} is not a number ("${cell}")`
            }
            e = s
          }
        }
        values[fieldColumns[k] as number] = v
        cellStart[k] = s
        cellEnd[k] = e
      } else while (q < len && (c = bytes[q] as number) !== COMMA && c !== NEWLINE) q++
      k++
      if (q >= len || bytes[q] === NEWLINE) break
      q++
    }
    p = q + 1
    fields = k
    const error = fields !== fieldCount ? `expected ${fieldCount} fields, found ${fields}` : badCell
    if (expand === null) {
      let start = 0
      let end = 0
      if (text !== null) {
        let own = inOrder && fields >= fieldCount
        for (let j = 1; own && j < fieldCount; j++) own = cellStart[j] === (cellEnd[j - 1] as number) + 1
        if (own) {
          start = cellStart[0] as number
          end = cellEnd[fieldCount - 1] as number
        } else {
          start = text.length
          writeCells(text)
          end = text.length
        }
      }
      b.push(values, lineNo, error, start, end)
      if (b.full) yield b.take()
      continue
    }
    for (let i = 0; i < expand.length; i++) {
      const start = text?.length ?? 0
      if (text !== null) {
        writeCells(text)
        const t = lambdaText[i] as Uint8Array
        text.byte(COMMA)
        text.copy(t, 0, t.length)
      }
      values[LAMBDA] = expand[i] as number
      b.push(values, lineNo, error, start, text?.length ?? 0)
      if (b.full) yield b.take()
    }
  }
  return lineNo
}
