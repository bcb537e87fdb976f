import type { Bytes } from './bytes.js'

const encoder = new TextEncoder()
const COMMA = 44
const CLOSE = 93 // ']'
/**
 * The longest text of a number: 25 chars, `-0.0000012345678901234567` (17 digits after the 5 zeros V8
 * writes before switching to an exponent; `-1.2345678901234567e-308` is 24, `null` 4).
 */
const LONGEST = 25

/**
 * A column of numbers as text, each written as `String(x)` writes it, read back one number at a time.
 *
 * The column is formatted with one `JSON.stringify` of an array: JSON writes a finite number as
 * ToString(x) (ECMA-262, SerializeJSONProperty), the characters `String(x)` gives, and a non-finite one
 * as `null`. One string per column instead of one per number matters at millions of rows: V8 keeps the
 * strings `String(x)` makes in its number-string cache, long enough to be promoted, so formatting the
 * results number by number filled the old generation and had the garbage collector mark it over and
 * over on helper threads, which competed with the other workers (formatting took a third more CPU).
 */
export class NumberColumnText {
  // a double array from the start: had its elements kind changed later, code using it would deoptimize
  private readonly values: number[] = [0.5]
  private bytes = new Uint8Array(1024)
  private at = 0

  /** Formats `col[0, n)`; `json` and `csv` then give the numbers in order. */
  format(col: Float64Array, n: number): void {
    const values = this.values
    if (values.length > n) values.length = n
    for (let i = 0; i < n; i++) values[i] = col[i] as number
    const text = JSON.stringify(values)
    // ASCII: one byte a char
    if (this.bytes.length < text.length) this.bytes = new Uint8Array(text.length * 1.25)
    encoder.encodeInto(text, this.bytes)
    this.at = 1
  }

  /** The next number as JSON writes it (`null` when not finite). */
  json(out: Bytes): void {
    out.ensure(LONGEST)
    const bytes = this.bytes
    const to = out.buf
    let at = out.length
    let p = this.at
    for (let c = bytes[p] as number; c !== COMMA && c !== CLOSE; c = bytes[++p] as number) to[at++] = c
    out.length = at
    this.at = p + 1
  }

  /** The next number, which is `x`, as a CSV cell: `String(x)`, nothing for NaN. */
  csv(out: Bytes, x: number): void {
    if (Number.isFinite(x)) this.json(out)
    else {
      const bytes = this.bytes
      let p = this.at
      while (bytes[p] !== COMMA && bytes[p] !== CLOSE) p++
      this.at = p + 1
      if (!Number.isNaN(x)) out.ascii(String(x))
    }
  }
}
