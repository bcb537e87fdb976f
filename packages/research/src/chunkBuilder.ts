import { Bytes } from './bytes.js'
import { INPUT_COLUMNS, PARSE_ERROR, type BadRow, type FrontierChunk, type InputColumn } from './frontierRows.js'

/** Rows to sweep, with the rows that failed to parse (their lines and messages). */
export interface ReadChunk {
  readonly chunk: FrontierChunk
  readonly parseErrors: readonly BadRow[]
}

/**
 * Fills chunks of at most `rows` rows, one row at a time. With `withText`, each row has its input cells
 * as CSV, a span of `text` given to `push`. With `reuse`, every chunk is a view of the same arrays and
 * text (for a reader whose chunks are used up one by one on its thread: a worker parsing a piece of
 * grid allocates them once); otherwise each chunk has arrays of its own, to send to a worker.
 */
export class ChunkBuilder {
  private cols: Float64Array[]
  private parseError: Uint8Array
  private lines: Float64Array
  private errors: BadRow[] = []
  private textStarts: Uint32Array
  private textEnds: Uint32Array
  /** Where rows' input cells are written as CSV, when the chunks carry them. */
  text: Bytes | null
  n = 0

  constructor(
    private readonly rows: number,
    private readonly withText: boolean,
    private readonly reuse: boolean,
  ) {
    this.cols = INPUT_COLUMNS.map(() => new Float64Array(rows))
    this.parseError = new Uint8Array(rows)
    this.lines = new Float64Array(rows)
    this.textStarts = new Uint32Array(withText ? rows : 0)
    this.textEnds = new Uint32Array(withText ? rows : 0)
    this.text = withText ? new Bytes(rows * 64) : null
  }

  /** Whether this builder makes chunks of `rows` rows, with text or not. */
  fits(rows: number, withText: boolean): boolean {
    return this.rows === rows && this.withText === withText
  }

  get full(): boolean {
    return this.n === this.rows
  }

  /** A row: its values in INPUT_COLUMNS order, its line, its parse error; its cells are `text[start, end)`. */
  push(values: Float64Array, line: number, error: string | undefined, textStart = 0, textEnd = 0): void {
    const i = this.n++
    for (let j = 0; j < INPUT_COLUMNS.length; j++) (this.cols[j] as Float64Array)[i] = values[j] as number
    this.lines[i] = line
    if (this.withText) {
      this.textStarts[i] = textStart
      this.textEnds[i] = textEnd
    }
    this.parseError[i] = error === undefined ? 0 : 1
    if (error !== undefined) this.errors.push({ line, status: PARSE_ERROR, message: error })
  }

  /** Drops the rows so far (a reused builder starts each piece empty, whatever became of the last). */
  clear(): void {
    this.errors = []
    this.n = 0
  }

  take(): ReadChunk {
    const n = this.n
    const view = <T extends Float64Array | Uint8Array | Uint32Array>(a: T): T =>
      (n === this.rows ? a : a.subarray(0, n)) as T
    const columns = Object.fromEntries(INPUT_COLUMNS.map((c, j) => [c, view(this.cols[j] as Float64Array)])) as Record<
      InputColumn,
      Float64Array
    >
    const chunk: FrontierChunk = {
      rows: n,
      columns,
      parseError: view(this.parseError),
      lines: view(this.lines),
      ...(this.text !== null
        ? { inputText: { bytes: this.text.view(), starts: view(this.textStarts), ends: view(this.textEnds) } }
        : {}),
    }
    const out: ReadChunk = { chunk, parseErrors: this.errors }
    if (this.reuse) this.clear()
    else {
      this.errors = []
      this.n = 0
      this.cols = INPUT_COLUMNS.map(() => new Float64Array(this.rows))
      this.parseError = new Uint8Array(this.rows)
      this.lines = new Float64Array(this.rows)
      if (this.text !== null) {
        this.textStarts = new Uint32Array(this.rows)
        this.textEnds = new Uint32Array(this.rows)
        this.text = new Bytes(Math.max(256, this.text.length))
      }
    }
    return out
  }
}
