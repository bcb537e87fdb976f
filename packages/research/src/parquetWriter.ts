// Parquet output of a frontier batch. Each worker encodes its chunk as one row group (pages and all, so
// the encoding runs in parallel); the main thread appends the row groups in order and writes the footer.
// Numbers are DOUBLE columns, OPTIONAL (an empty cell — a value that did not parse, or an output of a bad
// row — is a null), PLAIN-encoded and uncompressed, so encoding is a copy; `status` is a dictionary-encoded
// UTF-8 string column.
import { Bytes } from './bytes.js'
import { ThriftWriter } from './thrift.js'

const TYPE_DOUBLE = 5
const TYPE_BYTE_ARRAY = 6
const REQUIRED = 0
const OPTIONAL = 1
const ENC_PLAIN = 0
const ENC_RLE = 3
const ENC_RLE_DICTIONARY = 8
const PAGE_DATA = 0
const PAGE_DICTIONARY = 2
const CODEC_UNCOMPRESSED = 0
const CONVERTED_UTF8 = 0

/** A column chunk of an encoded row group; offsets relative to the start of the row group's bytes. */
export interface ColumnChunkPart {
  readonly name: string
  readonly type: 'double' | 'string'
  readonly numValues: number
  readonly start: number
  readonly size: number
  readonly dataPageOffset: number
  readonly dictionaryPageOffset?: number
}

/** A row group encoded by a worker, ready to append. */
export interface RowGroupPart {
  readonly bytes: Uint8Array
  readonly rows: number
  readonly columns: readonly ColumnChunkPart[]
}

function pageHeader(
  type: number,
  size: number,
  values: number,
  encoding: number,
  dictionary: boolean,
  out: Bytes,
): void {
  const w = new ThriftWriter(out).i32(1, type).i32(2, size).i32(3, size)
  if (dictionary) w.struct(7, (d) => d.i32(1, values).i32(2, encoding))
  else w.struct(5, (d) => d.i32(1, values).i32(2, encoding).i32(3, ENC_RLE).i32(4, ENC_RLE))
  w.end()
}

/** RLE runs of a hybrid-encoded stream (`width` bits a value, at most 32): the run-length form only. */
function rleRuns(values: ArrayLike<number>, n: number, width: number, out: Bytes): void {
  const valueBytes = Math.ceil(width / 8)
  let i = 0
  while (i < n) {
    const v = values[i] as number
    let j = i + 1
    while (j < n && values[j] === v) j++
    out.varint((j - i) * 2)
    for (let k = 0; k < valueBytes; k++) out.byte((v >>> (8 * k)) & 0xff)
    i = j
  }
}

/** Definition levels (1 = a value, 0 = null) of a column whose nulls are NaN, with the V1 length prefix. */
function definitionLevels(col: Float64Array, n: number, out: Bytes): number {
  const at = out.length
  out.int32le(0)
  let nulls = 0
  let i = 0
  while (i < n) {
    const x = col[i] as number
    const isNull = x !== x // NaN: the one value not equal to itself (a tight loop over every value)
    let j = i + 1
    if (isNull) while (j < n && (col[j] as number) !== (col[j] as number)) j++
    else while (j < n && (col[j] as number) === (col[j] as number)) j++
    out.varint((j - i) * 2)
    out.byte(isNull ? 0 : 1)
    if (isNull) nulls += j - i
    i = j
  }
  new DataView(out.buf.buffer, out.buf.byteOffset).setInt32(at, out.length - at - 4, true)
  return nulls
}

function encodeDouble(name: string, col: Float64Array, n: number, out: Bytes): ColumnChunkPart {
  const start = out.length
  // The levels are a few bytes unless the column has many nulls; the values go straight into `out`.
  const levels = new Bytes(16)
  const nulls = definitionLevels(col, n, levels)
  pageHeader(PAGE_DATA, levels.length + (n - nulls) * 8, n, ENC_PLAIN, false, out)
  out.bytes(levels.view())
  out.ensure((n - nulls) * 8)
  if (nulls === 0) {
    out.buf.set(new Uint8Array(col.buffer, col.byteOffset, n * 8), out.length)
  } else {
    const dv = new DataView(out.buf.buffer, out.buf.byteOffset)
    let at = out.length
    for (let i = 0; i < n; i++) {
      const x = col[i] as number
      if (Number.isNaN(x)) continue
      dv.setFloat64(at, x, true)
      at += 8
    }
  }
  out.length += (n - nulls) * 8
  return { name, type: 'double', numValues: n, start, size: out.length - start, dataPageOffset: start }
}

function encodeDictionaryStrings(
  name: string,
  indices: ArrayLike<number>,
  n: number,
  dictionary: readonly Uint8Array[],
  out: Bytes,
): ColumnChunkPart {
  const start = out.length
  const dict = new Bytes()
  for (const s of dictionary) {
    dict.int32le(s.length)
    dict.bytes(s)
  }
  pageHeader(PAGE_DICTIONARY, dict.length, dictionary.length, ENC_PLAIN, true, out)
  out.bytes(dict.view())
  const dataPageOffset = out.length
  const width = Math.max(1, Math.ceil(Math.log2(dictionary.length)))
  const body = new Bytes(16)
  body.byte(width)
  rleRuns(indices, n, width, body)
  pageHeader(PAGE_DATA, body.length, n, ENC_RLE_DICTIONARY, false, out)
  out.bytes(body.view())
  return {
    name,
    type: 'string',
    numValues: n,
    start,
    size: out.length - start,
    dataPageOffset,
    dictionaryPageOffset: start,
  }
}

/**
 * Encodes one row group: `doubles` in order (NaN written as null), then a string column whose values
 * are `dictionary[indices[i]]`.
 */
export function encodeRowGroup(
  doubles: readonly { readonly name: string; readonly values: Float64Array }[],
  strings: { readonly name: string; readonly indices: ArrayLike<number>; readonly dictionary: readonly Uint8Array[] },
  rows: number,
): RowGroupPart {
  const out = new Bytes(rows * 8 * doubles.length + 4096)
  const columns: ColumnChunkPart[] = doubles.map((d) => encodeDouble(d.name, d.values, rows, out))
  columns.push(encodeDictionaryStrings(strings.name, strings.indices, rows, strings.dictionary, out))
  return { bytes: out.view(), rows, columns }
}

interface WrittenRowGroup {
  readonly rows: number
  readonly offset: number
  readonly columns: readonly ColumnChunkPart[]
}

/**
 * Lays out a Parquet file from row groups encoded elsewhere: `head()` is the magic, `place()` records
 * a row group about to be written at the current offset, `footer()` the file metadata and trailer.
 */
export class ParquetLayout {
  private offset = 4
  private readonly groups: WrittenRowGroup[] = []
  constructor(private readonly createdBy: string) {}

  head(): Uint8Array {
    return new TextEncoder().encode('PAR1')
  }

  place(part: RowGroupPart): void {
    this.groups.push({ rows: part.rows, offset: this.offset, columns: part.columns })
    this.offset += part.bytes.length
  }

  /** The footer for the row groups placed, in the column order of the first (or `empty` when none). */
  footer(empty: readonly ColumnChunkPart[]): Uint8Array {
    const first = this.groups[0]?.columns ?? empty
    const rows = this.groups.reduce((n, g) => n + g.rows, 0)
    const w = new ThriftWriter()
    w.i32(1, 1)
    w.listStruct(2, [{ name: 'schema', children: first.length }, ...first], (e, c) => {
      if ('children' in c) {
        e.string(4, c.name).i32(5, c.children)
        return
      }
      if (c.type === 'double') e.i32(1, TYPE_DOUBLE).i32(3, OPTIONAL).string(4, c.name)
      else
        e.i32(1, TYPE_BYTE_ARRAY)
          .i32(3, REQUIRED)
          .string(4, c.name)
          .i32(6, CONVERTED_UTF8)
          .struct(10, (l) => l.struct(1, () => undefined))
    })
    w.i64(3, rows)
    w.listStruct(4, this.groups, (g, group) => {
      g.listStruct(1, group.columns, (cc, c) => {
        cc.i64(2, group.offset + c.start)
        cc.struct(3, (m) => {
          m.i32(1, c.type === 'double' ? TYPE_DOUBLE : TYPE_BYTE_ARRAY)
          m.listI32(2, c.type === 'double' ? [ENC_PLAIN, ENC_RLE] : [ENC_PLAIN, ENC_RLE, ENC_RLE_DICTIONARY])
          m.listString(3, [c.name])
          m.i32(4, CODEC_UNCOMPRESSED)
          m.i64(5, c.numValues)
          m.i64(6, c.size)
          m.i64(7, c.size)
          m.i64(9, group.offset + c.dataPageOffset)
          if (c.dictionaryPageOffset !== undefined) m.i64(11, group.offset + c.dictionaryPageOffset)
        })
      })
      const size = group.columns.reduce((n, c) => n + c.size, 0)
      g.i64(2, size).i64(3, group.rows).i64(5, group.offset).i64(6, size)
    })
    w.string(6, this.createdBy)
    const meta = w.end()
    const out = new Bytes(meta.length + 8)
    out.bytes(meta)
    out.int32le(meta.length)
    out.bytes(new TextEncoder().encode('PAR1'))
    return out.view()
  }
}
