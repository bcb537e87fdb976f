import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow'
import { parquetReadObjects, asyncBufferFromFile } from 'hyparquet'
import { parquetWriteFile } from 'hyparquet-writer'
import { afterAll, describe, expect, it } from 'vitest'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import {
  OUTPUT_COLUMNS,
  PAPER_EXAMPLE,
  createWorkerPool,
  datasetFiles,
  formatOfPath,
  isResearchError,
  lazyRange,
  parseRangeSpec,
  parseShard,
  runFrontierBatch,
  runFrontierDataset,
  type FrontierBatchOptions,
  type WorkerPool,
} from '../src/index.js'
import { handleRequest } from '../src/researchWorker.js'
import { readParquetRows } from '../src/parquetRows.js'
import { gridLayout } from '../src/gridReader.js'

const core = loadAcCoreSync()
const dir = mkdtempSync(join(tmpdir(), 'acx-research-test-'))
const file = (name: string): string => join(dir, name)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The paper's example as grid columns. */
const PAPER = {
  shares: PAPER_EXAMPLE.shares,
  horizon: PAPER_EXAMPLE.horizon,
  slices: PAPER_EXAMPLE.slices,
  volatility: PAPER_EXAMPLE.volatility,
  temporary_impact: PAPER_EXAMPLE.temporaryImpact,
  permanent_impact: PAPER_EXAMPLE.permanentImpact,
  fixed_cost: PAPER_EXAMPLE.fixedCost,
}

/** A small deterministic grid as columns; row 3 has a negative volatility (a kernel-rejected row). */
function gridColumns(rows: number): Record<string, number[]> {
  let s = 777
  const u = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
  const cols: Record<string, number[]> = {
    shares: [],
    horizon: [],
    slices: [],
    volatility: [],
    temporary_impact: [],
    permanent_impact: [],
    fixed_cost: [],
    risk_aversion: [],
  }
  for (let i = 0; i < rows; i++) {
    cols.shares!.push(1e5 + Math.floor(u() * 1e6))
    cols.horizon!.push(1 + u() * 9)
    cols.slices!.push(10)
    cols.volatility!.push(i === 3 ? -0.5 : 0.1 + u())
    cols.temporary_impact!.push(1e-7 + u() * 1e-6)
    cols.permanent_impact!.push(0)
    cols.fixed_cost!.push(u() * 0.1)
    cols.risk_aversion!.push(u() * 1e-5)
  }
  return cols
}

function writeCsvGrid(path: string, cols: Record<string, number[]>): void {
  const names = Object.keys(cols)
  const n = cols[names[0]!]!.length
  const lines = [names.join(',')]
  for (let i = 0; i < n; i++) lines.push(names.map((c) => String(cols[c]![i])).join(','))
  writeFileSync(path, `${lines.join('\n')}\n`)
}

const quiet = { onWarning: () => undefined }
const flags = (over: Partial<FrontierBatchOptions> & Pick<FrontierBatchOptions, 'format'>): FrontierBatchOptions => {
  const spec = parseRangeSpec('1e-8:1e-5:9', true)
  if (!spec.ok) throw new Error('range')
  return { defaults: PAPER, riskAversions: lazyRange(spec.value), workers: 1, ...quiet, ...over }
}

/** CSV output as records of numbers (empty cells NaN) and the status. */
function csvRecords(text: string): Record<string, number | string>[] {
  const [head, ...lines] = text.trimEnd().split('\n')
  const names = head!.split(',')
  return lines.map((l) => {
    const cells = l.split(',')
    return Object.fromEntries(
      names.map((n, j) => [n, n === 'status' ? cells[j]! : cells[j] === '' ? Number.NaN : Number(cells[j])]),
    )
  })
}

/** Records read back from Parquet (hyparquet) with nulls as NaN, for comparison with CSV. */
async function parquetRecords(path: string): Promise<Record<string, number | string>[]> {
  const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(path) })) as Record<string, unknown>[]
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? Number.NaN : (v as number | string)])),
  )
}

function arrowRecords(bytes: Uint8Array): Record<string, number | string>[] {
  const table = tableFromIPC(bytes)
  const names = table.schema.fields.map((f) => f.name)
  expect(names).toEqual([...OUTPUT_COLUMNS])
  const out: Record<string, number | string>[] = []
  for (let i = 0; i < table.numRows; i++)
    out.push(
      Object.fromEntries(
        names.map((n) => {
          const v = table.getChild(n)!.get(i) as number | string | null
          return [n, v === null ? Number.NaN : v]
        }),
      ),
    )
  return out
}

describe('runFrontierBatch', () => {
  it('writes the frontier of one parameter set over a risk-aversion range as CSV, with the core values', async () => {
    const out = file('flags.csv')
    const summary = await runFrontierBatch(flags({ format: 'csv', out }))
    expect(summary).toMatchObject({ rows: 9, badRows: 0 })
    const rows = csvRecords(readFileSync(out, 'utf8'))
    expect(Object.keys(rows[0]!)).toEqual([...OUTPUT_COLUMNS])
    const f = core.frontier(PAPER_EXAMPLE, Float64Array.from(rows.map((r) => r.risk_aversion as number)))
    rows.forEach((r, i) => {
      expect(r.kappa).toBe(f.kappa[i])
      expect(r.expected_cost).toBe(f.expectedCost[i])
      expect(r.variance).toBe(f.variance[i])
      expect(r.status).toBe('ok')
    })
  })

  it('writes the same rows as CSV, JSON, JSON lines, Parquet and Arrow (file and stream), read back independently', async () => {
    const grid = file('mixed.csv')
    writeCsvGrid(grid, gridColumns(300))
    const run = async (format: FrontierBatchOptions['format'], name: string, extra = {}): Promise<string> => {
      const out = file(name)
      const s = await runFrontierBatch({
        grid,
        defaults: {},
        format,
        out,
        workers: 2,
        chunkRows: 64,
        ...quiet,
        ...extra,
      })
      expect(s).toMatchObject({ rows: 300, badRows: 1 })
      return out
    }
    const csv = csvRecords(readFileSync(await run('csv', 'mixed.out.csv'), 'utf8'))
    expect(csv[3]!.status).toBe('invalid_volatility')
    expect(csv[3]!.kappa).toBeNaN()
    const json = JSON.parse(readFileSync(await run('json', 'mixed.json'), 'utf8')) as Record<string, unknown>[]
    const jsonl = readFileSync(await run('jsonl', 'mixed.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const nullToNaN = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
      rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? Number.NaN : v])))
    expect(nullToNaN(json)).toEqual(csv)
    expect(nullToNaN(jsonl)).toEqual(csv)
    expect(await parquetRecords(await run('parquet', 'mixed.parquet'))).toEqual(csv)
    expect(arrowRecords(readFileSync(await run('arrow', 'mixed.arrow')))).toEqual(csv)
    expect(arrowRecords(readFileSync(await run('arrow', 'mixed.arrows', { arrowStream: true })))).toEqual(csv)
  })

  it('reads Parquet grids written by another writer (Snappy, several row groups) and Arrow IPC grids', async () => {
    const cols = gridColumns(250)
    const csvGrid = file('g.csv')
    writeCsvGrid(csvGrid, cols)
    const expected = readFileSync(
      (await runFrontierBatch({
        grid: csvGrid,
        defaults: {},
        format: 'csv',
        out: file('g.out.csv'),
        workers: 1,
        ...quiet,
      }),
      file('g.out.csv')),
      'utf8',
    )
    const pq = file('g.parquet')
    await parquetWriteFile({
      filename: pq,
      columnData: Object.entries(cols).map(([name, data]) => ({ name, data, type: 'DOUBLE' as const })),
      rowGroupSize: 100,
    })
    const arrowFile = file('g.arrow')
    writeFileSync(
      arrowFile,
      tableToIPC(
        tableFromArrays(Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, Float64Array.from(v)]))),
        'file',
      ),
    )
    for (const grid of [pq, arrowFile]) {
      const out = `${grid}.csv`
      const s = await runFrontierBatch({ grid, defaults: {}, format: 'csv', out, workers: 2, chunkRows: 40, ...quiet })
      expect(s).toMatchObject({ rows: 250, badRows: 1 })
      expect(readFileSync(out, 'utf8')).toBe(expected)
    }
  })

  /** A grid with empty cells, as CSV and as Parquet in pages of 16 values and row groups of 128 rows. */
  async function gappedGrid(name: string, rows: number, withLambda: boolean): Promise<{ csv: string; pq: string }> {
    const cols = gridColumns(rows)
    if (!withLambda) delete cols.risk_aversion
    const names = Object.keys(cols)
    const cell = (c: string, i: number): number | null =>
      (c === 'volatility' && i % 97 === 5) || (c === 'shares' && i === 250) ? null : cols[c]![i]!
    const csv = file(`${name}.csv`)
    const lines = Array.from({ length: rows }, (_, i) => names.map((c) => cell(c, i) ?? '').join(','))
    writeFileSync(csv, `${[names.join(','), ...lines].join('\n')}\n`)
    const pq = file(`${name}.parquet`)
    await parquetWriteFile({
      filename: pq,
      columnData: names.map((c) => ({ name: c, data: cols[c]!.map((_, i) => cell(c, i)), type: 'DOUBLE' as const })),
      rowGroupSize: 128,
      pageSize: 128,
    })
    return { csv, pq }
  }

  it('reads Parquet grids with empty cells as CSV ones: read by the workers, or expanded over the risk aversions', async () => {
    const lambdas = parseRangeSpec('1e-7:1e-5:3', false)
    if (!lambdas.ok) throw new Error('range')
    for (const expanded of [false, true]) {
      const { csv, pq } = await gappedGrid(expanded ? 'gaps3' : 'gaps', 300, !expanded)
      const common = {
        defaults: {},
        format: 'csv' as const,
        workers: 2,
        chunkRows: 40,
        ...(expanded ? { riskAversions: lazyRange(lambdas.value) } : {}),
      }
      await runFrontierBatch({ ...common, grid: csv, out: `${csv}.out`, ...quiet })
      const warnings: string[] = []
      const s = await runFrontierBatch({ ...common, grid: pq, out: `${pq}.out`, onWarning: (l) => warnings.push(l) })
      expect(s.rows).toBe(expanded ? 900 : 300)
      expect(readFileSync(`${pq}.out`, 'utf8')).toBe(readFileSync(`${csv}.out`, 'utf8'))
      expect(warnings).toContain(`acx frontier: ${pq} row 6: parse_error: empty volatility`)
      expect(warnings).toContain(`acx frontier: ${pq} row 251: parse_error: empty shares`)
    }
  })

  it('reads a row range of a Parquet grid in a worker, passing whole pages by their headers', async () => {
    const { pq } = await gappedGrid('range', 300, true)
    const { size, mtimeMs } = statSync(pq)
    const names = Object.keys(gridColumns(1))
    const layout = gridLayout(names, pq, { chunkRows: 10, defaults: {} })
    const all = await readParquetRows({
      path: pq,
      size,
      mtimeMs,
      group: 1,
      from: 0,
      count: 128,
      firstRow: 129,
      layout,
      chunkRows: 128,
    })
    const whole = all[0]!.chunk
    // rows 40… of row group 1: two pages of 16 passed unread, the third entered at its 9th value
    const task = { path: pq, size, mtimeMs, group: 1, from: 40, count: 50, firstRow: 169, layout, chunkRows: 30 }
    const chunks = await readParquetRows(task)
    expect(chunks.map((c) => c.chunk.rows)).toEqual([30, 20])
    for (const c of names as (keyof typeof whole.columns)[])
      expect(chunks.flatMap((x) => Array.from(x.chunk.columns[c]))).toEqual(
        Array.from(whole.columns[c].subarray(40, 90)),
      )
    expect(chunks.flatMap((x) => Array.from(x.chunk.lines))).toEqual(Array.from({ length: 50 }, (_, i) => 169 + i))
    expect(chunks.flatMap((x) => x.parseErrors)).toEqual(
      all[0]!.parseErrors.filter((e) => e.line >= 169 && e.line < 219),
    )
    await expect(readParquetRows({ ...task, mtimeMs: mtimeMs - 1000 })).rejects.toThrow(
      /changed while it was being read/,
    )
  })

  it('stops before writing anything on a misspelt grid header, naming the column', async () => {
    const grid = file('typo.csv')
    writeFileSync(grid, 'shares,horizon,slices,volatilty,temporary_impact\n1e6,5,5,0.95,2.5e-6\n')
    const out = file('typo.out.csv')
    const err = await runFrontierBatch({ grid, defaults: {}, format: 'csv', out, workers: 1, ...quiet }).catch(
      (e: unknown) => e,
    )
    expect(isResearchError(err)).toBe(true)
    expect(String(err)).toMatch(/volatilty/)
    expect(readdirSync(dir)).not.toContain('typo.out.csv')
  })

  it('ends its progress at the total', async () => {
    const seen: { done: number; total: number }[] = []
    await runFrontierBatch(flags({ format: 'csv', out: file('p.csv'), onProgress: (p) => seen.push(p) }))
    expect(seen.at(-1)).toMatchObject({ done: 9, total: 9 })
  })

  it('reuses a worker pool it is given', async () => {
    const pool = await createWorkerPool(1)
    try {
      for (const name of ['a.csv', 'b.csv']) await runFrontierBatch(flags({ format: 'csv', out: file(name), pool }))
      expect(readFileSync(file('a.csv'), 'utf8')).toBe(readFileSync(file('b.csv'), 'utf8'))
    } finally {
      await pool.close()
    }
  })
})

/** A pool that does each request on this thread (the worker's own handler), so coverage sees that code. */
const inThread: WorkerPool = {
  size: 1,
  run: async <T>(request: Parameters<WorkerPool['run']>[0]) => (await handleRequest(request)) as T,
  close: async () => undefined,
}

describe('the worker handler', () => {
  it('gives on this thread the same bytes as on worker threads, for every output format and grid kind', async () => {
    const cols = gridColumns(120)
    const csvGrid = file('t.csv')
    writeCsvGrid(csvGrid, cols)
    const arrowGrid = file('t.arrow')
    writeFileSync(
      arrowGrid,
      tableToIPC(tableFromArrays(Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, Float64Array.from(v)])))),
    )
    const pool = await createWorkerPool(2)
    try {
      for (const grid of [csvGrid, arrowGrid, undefined])
        for (const format of ['csv', 'json', 'jsonl', 'parquet', 'arrow'] as const) {
          const base = grid === undefined ? flags({ format }) : { grid, defaults: {}, format, workers: 1, ...quiet }
          const a = file(`here.${format}`)
          const b = file(`there.${format}`)
          const plot = grid === csvGrid && format === 'csv' ? { plot: file('here.svg') } : {}
          await runFrontierBatch({ ...base, out: a, pool: inThread, chunkRows: 50, ...plot })
          await runFrontierBatch({ ...base, out: b, pool, chunkRows: 50 })
          expect(readFileSync(a)).toEqual(readFileSync(b))
        }
    } finally {
      await pool.close()
    }
    expect(readFileSync(file('here.svg'), 'utf8')).toMatch(/^<svg/)
  })
})

describe('runFrontierDataset', () => {
  it('writes one output per grid of its shard, named after the grid, and the shards cover the grids once', async () => {
    const grids = file('grids')
    mkdirSync(grids)
    for (let i = 0; i < 5; i++) writeCsvGrid(join(grids, `part-${i}.csv`), gridColumns(20 + i))
    writeFileSync(join(grids, 'README.txt'), 'not a grid')
    const outs: string[] = []
    for (let k = 0; k < 2; k++) {
      const out = file(`outs-${k}`)
      const s = await runFrontierDataset({
        grid: grids,
        out,
        format: 'parquet',
        shard: { index: k, count: 2 },
        defaults: {},
        workers: 1,
        ...quiet,
      })
      const names = readdirSync(out).sort()
      expect(names.every((n) => n.endsWith('.parquet'))).toBe(true)
      expect(s.files).toBe(names.length)
      outs.push(...names)
      for (const n of names) {
        const i = Number(/part-(\d)/.exec(n)![1])
        expect(await parquetRecords(join(out, n))).toHaveLength(20 + i)
      }
    }
    expect(outs.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `part-${i}.parquet`))
    expect((await datasetFiles(grids, { index: 0, count: 2 })).mine.map((p) => p.slice(-10))).toEqual([
      'part-0.csv',
      'part-2.csv',
      'part-4.csv',
    ])
  })

  it('parses K/N shards and rejects the rest', () => {
    expect(parseShard('3/4')).toEqual({ ok: true, value: { index: 3, count: 4 } })
    for (const bad of ['4/4', '1', '-1/2', '0/0', 'a/b']) expect(parseShard(bad).ok).toBe(false)
    expect(formatOfPath('x.PARQUET')).toBe('parquet')
    expect(formatOfPath('x.feather')).toBe('arrow')
    expect(formatOfPath('x.txt')).toBeUndefined()
  })
})
