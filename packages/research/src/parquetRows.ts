import { open } from 'node:fs/promises'
import type { FileMetaData } from 'hyparquet'
import { openParquet, readParquetFooter } from './parquetReader.js'
import { columnarChunk } from './columnarChunk.js'
import type { GridLayout } from './gridReader.js'
import type { ReadChunk } from './chunkBuilder.js'
import { ResearchError } from './researchError.js'

/**
 * Rows of a Parquet grid (one output row each) for a worker to read itself: `count` rows of row group
 * `group` from its row `from`.
 */
export interface ParquetRowsTask {
  readonly path: string
  /** The file as the main thread opened it: a worker refuses a file that changed since. */
  readonly size: number
  readonly mtimeMs: number
  readonly group: number
  readonly from: number
  readonly count: number
  /** The grid row number (1-based) of the first row, for messages. */
  readonly firstRow: number
  readonly layout: GridLayout
  /** Most rows a chunk to sweep (the range is swept in chunks of this size). */
  readonly chunkRows: number
}

/** Footers a worker has parsed, by file and version: a few, since a batch reads one file at a time. */
const footers = new Map<string, FileMetaData>()
const MAX_FOOTERS = 4

/**
 * Reads and decodes a task's rows in the worker (so the main thread only writes): the file is opened
 * for the task and closed after it, its footer parsed once per worker.
 */
export async function readParquetRows(task: ParquetRowsTask): Promise<ReadChunk[]> {
  const fh = await open(task.path, 'r').catch((e: unknown) => {
    throw new ResearchError('RESEARCH_FILE', `cannot read grid ${task.path}: ${(e as Error).message}`, { cause: e })
  })
  try {
    const st = await fh.stat()
    if (st.size !== task.size || st.mtimeMs !== task.mtimeMs)
      throw new ResearchError('RESEARCH_FILE', `${task.path} changed while it was being read`)
    const key = `${task.path}\0${task.size}\0${task.mtimeMs}`
    let footer = footers.get(key)
    if (footer === undefined) {
      footer = await readParquetFooter(task.path, fh)
      if (footers.size >= MAX_FOOTERS) footers.delete(footers.keys().next().value as string)
      footers.set(key, footer)
    }
    const src = await openParquet(task.path, fh, footer)
    const reader = src.rowGroup(task.group, src.columns)
    const targets = src.columns.map(() => new Float64Array(task.count))
    const nulls = src.columns.map(() => new Uint8Array(task.count))
    await reader.skip(task.from)
    await reader.read(task.count, targets, nulls)
    const names = src.columns.map((c) => c.name)
    const chunks: ReadChunk[] = []
    for (let at = 0; at < task.count; at += task.chunkRows) {
      const n = Math.min(task.chunkRows, task.count - at)
      const part = <T extends Float64Array | Uint8Array>(a: T): T => a.subarray(at, at + n) as T
      chunks.push(columnarChunk(task.layout, names, targets.map(part), nulls.map(part), n, task.firstRow + at))
    }
    return chunks
  } finally {
    await fh.close()
  }
}
