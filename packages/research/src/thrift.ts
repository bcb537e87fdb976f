// The Thrift compact protocol, as far as Parquet's page headers and footer need it: a writer for the
// structures acx writes, and a generic reader (field id → value) for page headers.
import { Bytes } from './bytes.js'

const T_TRUE = 1
const T_FALSE = 2
const T_BYTE = 3
const T_I16 = 4
const T_I32 = 5
const T_I64 = 6
const T_DOUBLE = 7
const T_BINARY = 8
const T_LIST = 9
const T_SET = 10
const T_MAP = 11
const T_STRUCT = 12

const utf8 = new TextEncoder()

const zigzag = (v: number): number => (v >= 0 ? 2 * v : -2 * v - 1)

/** Writes Thrift compact structs: call `field…` methods between `begin()` and `end()`. */
export class ThriftWriter {
  readonly out: Bytes
  private lastIds: number[] = [0]
  constructor(out = new Bytes()) {
    this.out = out
  }
  private header(id: number, type: number): void {
    const last = this.lastIds[this.lastIds.length - 1] as number
    const delta = id - last
    if (delta > 0 && delta <= 15) this.out.byte((delta << 4) | type)
    else {
      this.out.byte(type)
      this.out.varint(zigzag(id))
    }
    this.lastIds[this.lastIds.length - 1] = id
  }
  i32(id: number, v: number): this {
    this.header(id, T_I32)
    this.out.varint(zigzag(v))
    return this
  }
  i64(id: number, v: number): this {
    this.header(id, T_I64)
    this.out.varint(zigzag(v))
    return this
  }
  string(id: number, v: string): this {
    const b = utf8.encode(v)
    this.header(id, T_BINARY)
    this.out.varint(b.length)
    this.out.bytes(b)
    return this
  }
  struct(id: number, body: (w: this) => void): this {
    this.header(id, T_STRUCT)
    this.lastIds.push(0)
    body(this)
    this.out.byte(0)
    this.lastIds.pop()
    return this
  }
  private listHeader(size: number, type: number): void {
    if (size < 15) this.out.byte((size << 4) | type)
    else {
      this.out.byte(0xf0 | type)
      this.out.varint(size)
    }
  }
  listI32(id: number, values: readonly number[]): this {
    this.header(id, T_LIST)
    this.listHeader(values.length, T_I32)
    for (const v of values) this.out.varint(zigzag(v))
    return this
  }
  listString(id: number, values: readonly string[]): this {
    this.header(id, T_LIST)
    this.listHeader(values.length, T_BINARY)
    for (const v of values) {
      const b = utf8.encode(v)
      this.out.varint(b.length)
      this.out.bytes(b)
    }
    return this
  }
  listStruct<T>(id: number, items: readonly T[], body: (w: this, item: T) => void): this {
    this.header(id, T_LIST)
    this.listHeader(items.length, T_STRUCT)
    for (const item of items) {
      this.lastIds.push(0)
      body(this, item)
      this.out.byte(0)
      this.lastIds.pop()
    }
    return this
  }
  /** Ends the outermost struct. */
  end(): Uint8Array {
    this.out.byte(0)
    return this.out.view()
  }
}

/** A decoded struct: field id → value (numbers, booleans, byte strings, lists, structs). */
export type ThriftStruct = { readonly [id: number]: ThriftValue | undefined }
type ThriftValue = number | boolean | Uint8Array | ThriftStruct | readonly ThriftValue[]

/** Reads one compact-protocol struct from `bytes` at `offset`; returns it and where it ended. */
export function readThriftStruct(bytes: Uint8Array, offset: number): { value: ThriftStruct; end: number } {
  let pos = offset
  const byte = (): number => {
    if (pos >= bytes.length) throw new RangeError('thrift: truncated')
    return bytes[pos++] as number
  }
  const varint = (): number => {
    let v = 0
    let mul = 1
    for (;;) {
      const b = byte()
      v += (b & 0x7f) * mul
      if (b < 0x80) return v
      mul *= 0x80
    }
  }
  const zz = (): number => {
    const v = varint()
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2
  }
  const value = (type: number): ThriftValue => {
    switch (type) {
      case T_TRUE:
        return true
      case T_FALSE:
        return false
      case T_BYTE:
        return byte()
      case T_I16:
      case T_I32:
      case T_I64:
        return zz()
      case T_DOUBLE:
        pos += 8
        if (pos > bytes.length) throw new RangeError('thrift: truncated')
        return new DataView(bytes.buffer, bytes.byteOffset).getFloat64(pos - 8, true)
      case T_BINARY: {
        const n = varint()
        if (pos + n > bytes.length) throw new RangeError('thrift: truncated')
        pos += n
        return bytes.subarray(pos - n, pos)
      }
      case T_LIST:
      case T_SET: {
        const h = byte()
        const size = h >> 4 === 15 ? varint() : h >> 4
        const et = h & 0x0f
        const out: ThriftValue[] = []
        for (let i = 0; i < size; i++) out.push(et === T_TRUE || et === T_FALSE ? byte() === 1 : value(et))
        return out
      }
      case T_MAP: {
        const size = varint()
        if (size === 0) return []
        const kv = byte()
        const out: ThriftValue[] = []
        for (let i = 0; i < size; i++) out.push([value(kv >> 4), value(kv & 0x0f)])
        return out
      }
      case T_STRUCT:
        return struct()
      default:
        throw new RangeError(`thrift: unknown type ${type}`)
    }
  }
  const struct = (): ThriftStruct => {
    const out: Record<number, ThriftValue> = {}
    let last = 0
    for (;;) {
      const h = byte()
      if (h === 0) return out
      const type = h & 0x0f
      const id = h >> 4 === 0 ? zz() : last + (h >> 4)
      last = id
      out[id] = value(type)
    }
  }
  const v = struct()
  return { value: v, end: pos }
}
