// Reads numeric columns of a Parquet file page by page, so memory holds one page per column whatever the
// file's size. The footer is parsed by hyparquet; pages are decoded here for the common layouts
// (PLAIN or dictionary encoding, uncompressed or Snappy, required or optional flat columns of DOUBLE,
// FLOAT, INT32 or INT64 — what pyarrow, polars, DuckDB and Spark write by default), straight into
// Float64Arrays. Other encodings (DELTA_*, BYTE_STREAM_SPLIT) are decoded by hyparquet a row group at
// a time.
import { readSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { parquetMetadata, parquetRead, snappyUncompress, type ColumnMetaData, type FileMetaData } from 'hyparquet'
import { ResearchError } from './researchError.js'
import { readThriftStruct, type ThriftStruct } from './thrift.js'

const PAGE_DATA = 0
const PAGE_DICTIONARY = 2
const PAGE_DATA_V2 = 3
const ENC_PLAIN = 0
const ENC_PLAIN_DICTIONARY = 2
const ENC_RLE_DICTIONARY = 8

const NUMERIC = new Set(['DOUBLE', 'FLOAT', 'INT32', 'INT64'])
const PAGE_ENCODINGS = new Set(['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'RLE', 'BIT_PACKED'])

/** A numeric leaf column of the file. */
interface ParquetColumn {
  readonly name: string
  /** Index among the row group's column chunks. */
  readonly index: number
  readonly type: string
  readonly optional: boolean
}

/** The open file: its columns and row groups. */
export interface ParquetSource {
  readonly path: string
  readonly rows: number
  readonly rowGroups: number
  /** Rows of each row group. */
  readonly rowGroupRows: readonly number[]
  readonly columns: readonly ParquetColumn[]
  /** Every leaf column's name and Parquet type, for messages about columns that are not numbers. */
  readonly allColumns: readonly { readonly name: string; readonly type: string }[]
  /** Reads the chosen columns of one row group, `rows` at a time; nulls are NaN with `nulls[i] = 1`. */
  rowGroup(index: number, columns: readonly ParquetColumn[]): RowGroupReader
  close(): Promise<void>
}

interface RowGroupReader {
  readonly rows: number
  /** Passes over the next `n` rows; whole pages are passed by their headers, without reading their values. */
  skip(n: number): Promise<void>
  /** Fills `targets[c][0..n)` with the next `n` values of each column; `nulls[c][i] = 1` where null. */
  read(n: number, targets: readonly Float64Array[], nulls: readonly Uint8Array[]): Promise<void>
}

const bad = (path: string, message: string, cause?: unknown): ResearchError =>
  new ResearchError('RESEARCH_BAD_INPUT', `${path}: ${message}`, cause === undefined ? undefined : { cause })

// Synchronous: a page is read by the thread that decodes it (a worker), which has nothing else to do
// meanwhile, and an asynchronous read costs a round trip through libuv's thread pool per page.
async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length)
  let at = 0
  while (at < length) {
    const bytesRead = readSync(fh.fd, out, at, length - at, position + at)
    if (bytesRead === 0) throw new RangeError(`unexpected end of file at byte ${position + at}`)
    at += bytesRead
  }
  return out
}

/** A Parquet file's footer (its schema and row groups); raises ResearchError when it is not Parquet. */
export async function readParquetFooter(path: string, fh: FileHandle): Promise<FileMetaData> {
  const size = (await fh.stat()).size
  try {
    if (size < 12) throw new Error('too short to be Parquet')
    const tail = await readAt(fh, size - 8, 8)
    const magic = new TextDecoder().decode(tail.subarray(4))
    if (magic !== 'PAR1') throw new Error('no PAR1 trailer (not a Parquet file, or an encrypted one)')
    const footerLength = new DataView(tail.buffer).getUint32(0, true)
    if (footerLength + 12 > size) throw new Error('footer longer than the file')
    const footer = await readAt(fh, size - 8 - footerLength, footerLength + 8)
    return parquetMetadata(footer.buffer as ArrayBuffer)
  } catch (e) {
    throw bad(path, `not a readable Parquet file: ${(e as Error).message}`, e)
  }
}

/**
 * Opens a Parquet file: its footer is read unless given (a worker reading row groups of a file it has
 * seen passes the footer it parsed before).
 */
export async function openParquet(path: string, fh: FileHandle, footer?: FileMetaData): Promise<ParquetSource> {
  const metadata = footer ?? (await readParquetFooter(path, fh))
  const size = (await fh.stat()).size
  const leaves = metadata.schema.slice(1)
  if (leaves.some((s) => (s.num_children ?? 0) > 0 || s.repetition_type === 'REPEATED'))
    throw bad(path, 'nested or repeated columns are not supported: use a flat table of numbers')
  const allColumns = leaves.map((s) => ({ name: s.name, type: s.type ?? 'GROUP' }))
  const columns: ParquetColumn[] = leaves
    .map((s, index) => ({
      name: s.name,
      index,
      type: s.type ?? '',
      optional: s.repetition_type === 'OPTIONAL',
      decimal: s.converted_type === 'DECIMAL' || s.logical_type?.type === 'DECIMAL',
    }))
    .filter((c) => NUMERIC.has(c.type) && !c.decimal)
    .map(({ decimal: _decimal, ...c }) => c)
  return {
    path,
    rows: Number(metadata.num_rows),
    rowGroups: metadata.row_groups.length,
    rowGroupRows: metadata.row_groups.map((g) => Number(g.num_rows)),
    columns,
    allColumns,
    rowGroup(index, chosen) {
      const group = metadata.row_groups[index]
      if (group === undefined) throw new RangeError(`row group ${index}`)
      const rows = Number(group.num_rows)
      const metas = chosen.map((c) => {
        const m = group.columns[c.index]?.meta_data
        if (m === undefined) throw bad(path, `row group ${index} has no metadata for column ${c.name}`)
        return m
      })
      const paged = metas.every(
        (m) => (m.codec === 'UNCOMPRESSED' || m.codec === 'SNAPPY') && m.encodings.every((e) => PAGE_ENCODINGS.has(e)),
      )
      if (paged) {
        const cursors = chosen.map((c, k) => new PageCursor(path, fh, c, metas[k] as ColumnMetaData))
        return {
          rows,
          async skip(n) {
            for (const c of cursors) await c.skip(n)
          },
          async read(n, targets, nulls) {
            for (let k = 0; k < cursors.length; k++)
              await (cursors[k] as PageCursor).read(n, targets[k] as Float64Array, nulls[k] as Uint8Array)
          },
        }
      }
      return wholeRowGroup(path, fh, size, metadata, index, chosen, rows)
    },
    close: () => fh.close(),
  }
}

/** Decodes one row group's columns with hyparquet (encodings the page reader does not know). */
function wholeRowGroup(
  path: string,
  fh: FileHandle,
  size: number,
  metadata: FileMetaData,
  index: number,
  chosen: readonly ParquetColumn[],
  rows: number,
): RowGroupReader {
  let data: (ArrayLike<unknown> | undefined)[] | undefined
  let at = 0
  const rowStart = metadata.row_groups.slice(0, index).reduce((n, g) => n + Number(g.num_rows), 0)
  return {
    rows,
    // the row group is decoded whole at the first read whatever is skipped (rare encodings only)
    async skip(n) {
      at += n
    },
    async read(n, targets, nulls) {
      if (data === undefined) {
        const cols: Record<string, ArrayLike<unknown>> = {}
        try {
          await parquetRead({
            file: {
              byteLength: size,
              slice: async (s, e) => (await readAt(fh, s, (e ?? size) - s)).buffer as ArrayBuffer,
            },
            metadata,
            columns: chosen.map((c) => c.name),
            rowStart,
            rowEnd: rowStart + rows,
            onChunk: (c) => {
              const prev = cols[c.columnName]
              cols[c.columnName] =
                prev === undefined ? c.columnData : [...Array.from(prev), ...Array.from(c.columnData)]
            },
          })
        } catch (e) {
          throw bad(path, `row group ${index}: ${(e as Error).message}`, e)
        }
        data = chosen.map((c) => cols[c.name])
      }
      for (let k = 0; k < chosen.length; k++) {
        const src = data[k]
        const t = targets[k] as Float64Array
        const z = nulls[k] as Uint8Array
        for (let i = 0; i < n; i++) {
          const v = src?.[at + i]
          const x = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number.NaN
          t[i] = x
          z[i] = v === null || v === undefined ? 1 : 0
        }
      }
      at += n
    },
  }
}

/** Reads the hybrid RLE / bit-packed encoding of `count` values of `width` bits. */
function readHybrid(bytes: Uint8Array, pos: number, end: number, width: number, count: number): Uint32Array {
  const out = new Uint32Array(count)
  const valueBytes = Math.ceil(width / 8)
  let filled = 0
  while (filled < count && pos < end) {
    let header = 0
    let mul = 1
    for (;;) {
      const b = bytes[pos++] as number
      header += (b & 0x7f) * mul
      if (b < 0x80) break
      mul *= 0x80
    }
    if (header % 2 === 0) {
      const run = header / 2
      let v = 0
      for (let k = 0; k < valueBytes; k++) v |= (bytes[pos++] as number) << (8 * k)
      out.fill(v >>> 0, filled, Math.min(count, filled + run))
      filled += run
    } else {
      const values = ((header - 1) / 2) * 8
      let bit = 0
      const mask = width === 32 ? 0xffffffff : (1 << width) - 1
      for (let i = 0; i < values; i++) {
        let v = 0
        for (let b = 0; b < width; b++, bit++) {
          const byte = bytes[pos + (bit >> 3)] as number
          v |= ((byte >> (bit & 7)) & 1) << b
        }
        if (filled < count) out[filled++] = (v & mask) >>> 0
      }
      pos += (values * width) / 8
    }
  }
  if (filled < count) throw new RangeError('hybrid-encoded levels or indices end early')
  return out
}

/** PLAIN values of a numeric type as float64. */
function plainValues(bytes: Uint8Array, pos: number, count: number, type: string): Float64Array {
  const width = type === 'DOUBLE' || type === 'INT64' ? 8 : 4
  if (pos + count * width > bytes.length) throw new RangeError('page shorter than its values')
  const aligned = new Uint8Array(count * width)
  aligned.set(bytes.subarray(pos, pos + count * width))
  if (type === 'DOUBLE') return new Float64Array(aligned.buffer)
  const out = new Float64Array(count)
  if (type === 'FLOAT') out.set(new Float32Array(aligned.buffer))
  else if (type === 'INT32') out.set(new Int32Array(aligned.buffer))
  else {
    const big = new BigInt64Array(aligned.buffer)
    for (let i = 0; i < count; i++) out[i] = Number(big[i])
  }
  return out
}

const num = (s: ThriftStruct | undefined, id: number): number => {
  const v = s?.[id]
  if (typeof v !== 'number') throw new RangeError(`page header field ${id} missing`)
  return v
}

/** One column chunk, page by page. */
class PageCursor {
  private pos: number
  private readonly end: number
  private dictionary: Float64Array | null = null
  private values: Float64Array = new Float64Array(0)
  private isNull = new Uint8Array(0)
  private at = 0

  constructor(
    private readonly path: string,
    private readonly fh: FileHandle,
    private readonly column: ParquetColumn,
    private readonly meta: ColumnMetaData,
  ) {
    const dict = meta.dictionary_page_offset
    const data = Number(meta.data_page_offset)
    this.pos = dict !== undefined && Number(dict) > 0 && Number(dict) < data ? Number(dict) : data
    this.end = this.pos + Number(meta.total_compressed_size)
  }

  async skip(n: number): Promise<void> {
    let left = n
    while (left > 0) {
      if (this.at === this.values.length) {
        left -= await this.nextPage(left)
        continue
      }
      const take = Math.min(left, this.values.length - this.at)
      this.at += take
      left -= take
    }
  }

  async read(n: number, target: Float64Array, nulls: Uint8Array): Promise<void> {
    let filled = 0
    while (filled < n) {
      if (this.at === this.values.length) await this.nextPage(0)
      const take = Math.min(n - filled, this.values.length - this.at)
      target.set(this.values.subarray(this.at, this.at + take), filled)
      nulls.set(this.isNull.subarray(this.at, this.at + take), filled)
      this.at += take
      filled += take
    }
  }

  private fail(message: string, cause?: unknown): ResearchError {
    return bad(this.path, `column ${this.column.name}: ${message}`, cause)
  }

  private async header(): Promise<{ header: ThriftStruct; length: number }> {
    for (let window = 256; ; window *= 4) {
      const bytes = await readAt(this.fh, this.pos, Math.min(window, this.end - this.pos))
      try {
        const { value, end } = readThriftStruct(bytes, 0)
        return { header: value, length: end }
      } catch (e) {
        if (!(e instanceof RangeError) || bytes.length >= this.end - this.pos) throw e
      }
    }
  }

  /**
   * Decodes the next data page (after a dictionary page, which is always decoded), or — when it holds at
   * most `passUpTo` values (rows: the columns are flat) — passes over it unread and returns its count.
   */
  private async nextPage(passUpTo: number): Promise<number> {
    for (;;) {
      if (this.pos >= this.end) throw this.fail('fewer values than the row group has rows')
      try {
        const { header, length } = await this.header()
        const type = num(header, 1)
        const uncompressed = num(header, 2)
        const compressed = num(header, 3)
        if (type === PAGE_DATA || type === PAGE_DATA_V2) {
          const values = num(header[type === PAGE_DATA ? 5 : 8] as ThriftStruct, 1)
          if (values <= passUpTo) {
            this.pos += length + compressed
            return values
          }
        }
        const raw = await readAt(this.fh, this.pos + length, compressed)
        this.pos += length + compressed
        if (type === PAGE_DICTIONARY) {
          const d = header[7] as ThriftStruct
          this.dictionary = plainValues(this.inflate(raw, uncompressed), 0, num(d, 1), this.column.type)
          continue
        }
        if (type === PAGE_DATA) this.dataPageV1(header[5] as ThriftStruct, this.inflate(raw, uncompressed))
        else if (type === PAGE_DATA_V2) this.dataPageV2(header[8] as ThriftStruct, raw, uncompressed)
        else continue // index pages and unknown page types carry no values
        return 0
      } catch (e) {
        if (e instanceof ResearchError) throw e
        throw this.fail(`cannot decode a page: ${(e as Error).message}`, e)
      }
    }
  }

  private inflate(raw: Uint8Array, size: number): Uint8Array {
    if (this.meta.codec === 'UNCOMPRESSED') return raw
    const out = new Uint8Array(size)
    snappyUncompress(raw, out)
    return out
  }

  private dataPageV1(h: ThriftStruct, page: Uint8Array): void {
    const count = num(h, 1)
    let pos = 0
    let defs: Uint32Array | null = null
    if (this.column.optional) {
      const len = new DataView(page.buffer, page.byteOffset).getInt32(0, true)
      defs = readHybrid(page, 4, 4 + len, 1, count)
      pos = 4 + len
    }
    this.decodeValues(num(h, 2), page, pos, count, defs)
  }

  private dataPageV2(h: ThriftStruct, raw: Uint8Array, uncompressed: number): void {
    const count = num(h, 1)
    const repLen = num(h, 6)
    const defLen = num(h, 5)
    const levels = repLen + defLen
    const defs = this.column.optional ? readHybrid(raw, repLen, levels, 1, count) : null
    const compressed = h[7] !== false
    const values = compressed ? this.inflate(raw.subarray(levels), uncompressed - levels) : raw.subarray(levels)
    this.decodeValues(num(h, 4), values, 0, count, defs)
  }

  private decodeValues(encoding: number, page: Uint8Array, pos: number, count: number, defs: Uint32Array | null): void {
    let present = count
    if (defs !== null) {
      present = 0
      for (let i = 0; i < count; i++) present += defs[i] as number
    }
    let dense: Float64Array
    if (encoding === ENC_PLAIN) dense = plainValues(page, pos, present, this.column.type)
    else if (encoding === ENC_PLAIN_DICTIONARY || encoding === ENC_RLE_DICTIONARY) {
      const dict = this.dictionary
      if (dict === null) throw new RangeError('dictionary-encoded page without a dictionary page')
      const width = page[pos] as number
      const idx = readHybrid(page, pos + 1, page.length, width, present)
      dense = new Float64Array(present)
      for (let i = 0; i < present; i++) {
        const j = idx[i] as number
        if (j >= dict.length) throw new RangeError(`dictionary index ${j} out of range`)
        dense[i] = dict[j] as number
      }
    } else throw new RangeError(`encoding ${encoding} in a data page`)
    this.at = 0
    if (defs === null || present === count) {
      this.values = dense
      this.isNull = new Uint8Array(count)
      return
    }
    this.values = new Float64Array(count)
    this.isNull = new Uint8Array(count)
    for (let i = 0, j = 0; i < count; i++) {
      if (defs[i] === 1) this.values[i] = dense[j++] as number
      else {
        this.values[i] = Number.NaN
        this.isNull[i] = 1
      }
    }
  }
}
