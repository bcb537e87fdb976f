// Partitioned datasets: a directory of grid files in, one output file per grid out, and a deterministic
// shard of the files for one of N machines — so a job runner's array of jobs (Kubernetes indexed Jobs,
// AWS Batch array jobs) spreads a sweep with no coordinator.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import type { Validation } from '@acx/engine'
import type { OutputFormat } from './frontierRows.js'
import {
  EXTENSION_OF,
  gridFormatOf,
  formatOfPath,
  runFrontierBatch,
  type FrontierBatchOptions,
  type FrontierBatchSummary,
} from './frontierBatch.js'
import { ResearchError } from './researchError.js'
import { createWorkerPool } from './workerPool.js'

/** Shard `index` of `count` (0 ≤ index < count): the files whose position in name order is index mod count. */
export interface Shard {
  readonly index: number
  readonly count: number
}

/** Parses `K/N` (0 ≤ K < N): `$JOB_COMPLETION_INDEX/4`, `$AWS_BATCH_JOB_ARRAY_INDEX/16`. */
export function parseShard(text: string): Validation<Shard> {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  const index = m ? Number(m[1]) : Number.NaN
  const count = m ? Number(m[2]) : Number.NaN
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count)
    return {
      ok: false,
      issues: [{ path: ['shard'], message: `use K/N with 0 ≤ K < N, e.g. 0/4 (got ${text})` }],
    }
  return { ok: true, value: { index, count } }
}

const GRID_EXTENSIONS = new Set(['.csv', '.parquet', '.pq', '.arrow', '.arrows', '.feather', '.ipc'])

/** The grid files of a directory in name order (the order shards are taken in), and this shard's. */
export async function datasetFiles(dir: string, shard?: Shard): Promise<{ all: string[]; mine: string[] }> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (e) {
    throw new ResearchError('RESEARCH_FILE', `cannot read grid directory ${dir}: ${(e as Error).message}`, { cause: e })
  }
  const all = names
    .filter((n) => GRID_EXTENSIONS.has(extname(n).toLowerCase()) && !n.startsWith('.'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  if (all.length === 0)
    throw new ResearchError(
      'RESEARCH_BAD_INPUT',
      `${dir}: no grid files (${[...GRID_EXTENSIONS].join(', ')}) in the directory`,
    )
  const mine = shard === undefined ? all : all.filter((_, i) => i % shard.count === shard.index)
  return { all: all.map((n) => join(dir, n)), mine: mine.map((n) => join(dir, n)) }
}

export const isDirectory = async (path: string): Promise<boolean> => {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

export interface FrontierDatasetOptions extends Omit<
  FrontierBatchOptions,
  'grid' | 'out' | 'format' | 'pool' | 'plot'
> {
  /** A directory of grid files. */
  readonly grid: string
  /** The directory outputs go to (created); one file per grid, named after it. */
  readonly out: string
  /** Output format; default each grid's own (CSV for CSV, Parquet for Parquet, Arrow for Arrow). */
  readonly format?: OutputFormat
  readonly shard?: Shard
  /** Called before each file. */
  readonly onFile?: (grid: string, out: string, index: number, count: number) => void
}

export interface FrontierDatasetSummary extends FrontierBatchSummary {
  readonly files: number
}

/**
 * Runs a frontier batch per grid file of this shard, one worker pool for all. Each output is written to
 * `NAME.partial` and renamed when complete, so an interrupted job leaves no half file and can be re-run.
 */
export async function runFrontierDataset(opts: FrontierDatasetOptions): Promise<FrontierDatasetSummary> {
  const started = performance.now()
  const { mine } = await datasetFiles(opts.grid, opts.shard)
  try {
    await mkdir(opts.out, { recursive: true })
  } catch (e) {
    throw new ResearchError('RESEARCH_FILE', `cannot create output directory ${opts.out}: ${(e as Error).message}`, {
      cause: e,
    })
  }
  const pool = await createWorkerPool(opts.workers)
  let rows = 0
  let badRows = 0
  try {
    for (const [i, grid] of mine.entries()) {
      const format: OutputFormat = opts.format ?? gridFormatOf(grid, opts.gridFormat)
      const sameKind = formatOfPath(grid) === format
      const name = sameKind ? basename(grid) : basename(grid, extname(grid)) + EXTENSION_OF[format]
      const out = join(opts.out, name)
      const partial = `${out}.partial`
      opts.onFile?.(grid, out, i, mine.length)
      try {
        const arrowStream = extname(out).toLowerCase() === '.arrows'
        const r = await runFrontierBatch({ ...opts, grid, out: partial, format, pool, arrowStream })
        await rename(partial, out)
        rows += r.rows
        badRows += r.badRows
      } catch (e) {
        await rm(partial, { force: true })
        throw e
      }
    }
  } finally {
    await pool.close()
  }
  return { files: mine.length, rows, badRows, seconds: (performance.now() - started) / 1000 }
}
