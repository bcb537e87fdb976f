// Arrow IPC grids and outputs through apache-arrow: record batches are read one at a time (random access
// for the file format, in order for a stream), and written one at a time from the columns a worker built.
import type { FileHandle } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { once } from 'node:events'
import { ResearchError } from './researchError.js'
import { OUTPUT_COLUMNS, type ArrowParts } from './frontierRows.js'

type Arrow = typeof import('apache-arrow')

let arrow: Promise<Arrow> | undefined
/** apache-arrow, loaded when an Arrow file is read or written. */
const loadArrow = (): Promise<Arrow> => (arrow ??= import('apache-arrow'))

/** A numeric column of an Arrow grid. */
interface ArrowColumn {
  readonly name: string
  readonly index: number
}

interface ArrowBatch {
  readonly rows: number
  /** The chosen columns as float64 (NaN where null), and 1 where null. */
  column(index: number): { readonly values: Float64Array; readonly nulls: Uint8Array | null }
}

export interface ArrowSource {
  readonly columns: readonly ArrowColumn[]
  readonly allColumns: readonly { readonly name: string; readonly type: string }[]
  batches(): AsyncGenerator<ArrowBatch>
}

const isNumeric = (A: Arrow, t: import('apache-arrow').DataType): boolean =>
  A.DataType.isFloat(t) || A.DataType.isInt(t)

/** Opens an Arrow IPC file or stream. */
export async function openArrow(path: string, fh: FileHandle): Promise<ArrowSource> {
  const A = await loadArrow()
  let reader: import('apache-arrow').AsyncRecordBatchFileReader | import('apache-arrow').AsyncRecordBatchStreamReader
  try {
    reader = await A.RecordBatchReader.from(fh)
    await reader.open()
  } catch (e) {
    throw new ResearchError('RESEARCH_BAD_INPUT', `${path}: not a readable Arrow IPC file: ${(e as Error).message}`, {
      cause: e,
    })
  }
  const fields = reader.schema?.fields ?? []
  return {
    columns: fields.flatMap((f, index) => (isNumeric(A, f.type) ? [{ name: f.name, index }] : [])),
    allColumns: fields.map((f) => ({ name: f.name, type: String(f.type) })),
    async *batches() {
      try {
        for await (const batch of reader) {
          yield {
            rows: batch.numRows,
            column(index) {
              const v = batch.getChildAt(index)
              if (v === null) throw new RangeError(`column ${index}`)
              const raw = v.toArray() as ArrayLike<number | bigint>
              const values =
                raw instanceof Float64Array ? raw : Float64Array.from(raw as ArrayLike<number>, (x) => Number(x))
              if (v.nullCount === 0) return { values, nulls: null }
              const nulls = new Uint8Array(batch.numRows)
              const copy = values === raw ? values.slice() : values
              for (let i = 0; i < batch.numRows; i++)
                if (!v.isValid(i)) {
                  nulls[i] = 1
                  copy[i] = Number.NaN
                }
              return { values: copy, nulls }
            },
          }
        }
      } catch (e) {
        if (e instanceof ResearchError) throw e
        throw new ResearchError('RESEARCH_BAD_INPUT', `${path}: cannot read a record batch: ${(e as Error).message}`, {
          cause: e,
        })
      }
    },
  }
}

/** Writes record batches built from workers' columns to `out`, waiting for it to drain. */
export interface ArrowWriter {
  write(parts: ArrowParts): Promise<void>
  end(): Promise<void>
}

/** `file`: the IPC file format (random access, `.arrow`/`.feather`); otherwise the IPC stream format. */
export async function createArrowWriter(out: Writable, file: boolean): Promise<ArrowWriter> {
  const A = await loadArrow()
  const fields = OUTPUT_COLUMNS.map((name) =>
    name === 'status' ? new A.Field(name, new A.Utf8(), false) : new A.Field(name, new A.Float64(), true),
  )
  const schema = new A.Schema(fields)
  const writer = file ? new A.RecordBatchFileWriter() : new A.RecordBatchStreamWriter()
  const readable = writer.toNodeStream()
  readable.pipe(out, { end: false })
  const failed = once(out, 'error').then(([e]) => {
    throw e
  })
  failed.catch(() => undefined)
  const flushed = (): Promise<unknown> =>
    out.writableNeedDrain ? Promise.race([once(out, 'drain'), failed]) : Promise.resolve()
  let wrote = false
  const batchOf = (p: ArrowParts): import('apache-arrow').RecordBatch => {
    const children = [
      ...p.numbers.map((values, k) =>
        A.makeData({
          type: new A.Float64(),
          length: p.rows,
          data: values,
          nullBitmap: p.validity[k] ?? undefined,
          nullCount: p.validity[k] ? -1 : 0,
        }),
      ),
      A.makeData({ type: new A.Utf8(), length: p.rows, valueOffsets: p.statusOffsets, data: p.statusData }),
    ]
    return new A.RecordBatch(schema, A.makeData({ type: new A.Struct(fields), length: p.rows, children }))
  }
  return {
    async write(parts) {
      writer.write(batchOf(parts))
      wrote = true
      await flushed()
    },
    async end() {
      if (!wrote)
        writer.write(
          new A.RecordBatch(
            schema,
            A.makeData({
              type: new A.Struct(fields),
              length: 0,
              children: fields.map((f) => A.makeData({ type: f.type, length: 0 })),
            }),
          ),
        )
      writer.finish()
      writer.close()
      await Promise.race([once(readable, 'end'), failed])
    },
  }
}
