/**
 * A growable byte buffer: Parquet pages and footers, and the text outputs, which are built as bytes so
 * that formatting millions of rows makes no string per row and needs no TextEncoder pass at the end.
 */
export class Bytes {
  buf: Uint8Array
  length = 0
  private data: DataView

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity)
    this.data = new DataView(this.buf.buffer)
  }

  ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + extra))
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.data = new DataView(next.buffer)
  }

  byte(b: number): void {
    this.ensure(1)
    this.buf[this.length++] = b
  }

  bytes(b: Uint8Array): void {
    this.copy(b, 0, b.length)
  }

  /**
   * `src[start, end)`. Short spans (a separator, a status) are copied a byte at a time: `set` is a call
   * into the runtime, slower below a few dozen bytes. For longer ones (a row's input cells) a DataView
   * of `src` copies four bytes at a time, twice as fast again.
   */
  copy(src: Uint8Array, start: number, end: number, srcView?: DataView): void {
    const n = end - start
    this.ensure(n)
    const out = this.buf
    let at = this.length
    let i = start
    if (n >= 64 && srcView === undefined) {
      out.set(src.subarray(start, end), at)
      this.length = at + n
      return
    }
    if (n >= 8 && srcView !== undefined)
      for (; i + 4 <= end; i += 4, at += 4) this.data.setUint32(at, srcView.getUint32(i, true), true)
    for (; i < end; i++) out[at++] = src[i] as number
    this.length = at
  }

  /** An ASCII string's chars, one byte each (numbers, names, punctuation). */
  ascii(s: string): void {
    const n = s.length
    this.ensure(n)
    const out = this.buf
    let at = this.length
    for (let i = 0; i < n; i++) out[at++] = s.charCodeAt(i)
    this.length = at
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varint(v: number): void {
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    this.byte(v)
  }

  int32le(v: number): void {
    this.ensure(4)
    this.data.setInt32(this.length, v, true)
    this.length += 4
  }

  /** The bytes written so far (a view: a later write may reallocate). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
}

/** An ASCII string's bytes. */
export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}
