// End-to-end frontier batches over 1,000,000 parameter sets (N = 10): CSV in and out, and Parquet in and
// out, on one worker thread and on all; where the Parquet run's time goes (read, kernel, the rest); the
// same jobs as a quant would write them (bench/quant.py: pyarrow + numpy for Parquet, numpy alone for CSV;
// each skipped with a message when python3 or its modules are missing); then simulated executions per
// second (`acx simulate`'s engine).
// Printed, not asserted. Run: npm run bench -w @acx/research (or node ../../scripts/runTs.mjs
// bench/frontier.bench.ts [rows] from this directory).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { parquetWriteFile } from 'hyparquet-writer'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import { openParquet } from '../src/parquetReader.js'
import { INPUT_COLUMNS } from '../src/frontierRows.js'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { runFrontierBatch } from '../src/frontierBatch.js'
import { runSimulations, type SimulationSpec } from '../src/simulation.js'
import { createWorkerPool, type WorkerPool } from '../src/workerPool.js'

const ROWS = Number(process.argv[2] ?? 1_000_000)
const dir = mkdtempSync(join(tmpdir(), 'acx-research-bench-'))
const grid = join(dir, 'grid.csv')
const out = join(dir, 'out.csv')
const pqGrid = join(dir, 'grid.parquet')
const pqOut = join(dir, 'out.parquet')
const all = availableParallelism()

function writeGrid(rows: number): void {
  let s = 42
  const u = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296
  const lines: string[] = [
    'shares,horizon,slices,volatility,temporary_impact,permanent_impact,fixed_cost,risk_aversion',
  ]
  for (let i = 0; i < rows; i++) {
    const x = 1e4 + Math.floor(u() * 1e6)
    lines.push(
      `${x},${(1 + u() * 9).toFixed(6)},10,${(0.1 + u()).toFixed(6)},${(1e-7 + u() * 1e-6).toExponential(6)},${(u() * 1e-8).toExponential(6)},${(u() * 0.1).toFixed(6)},${(u() * 1e-5).toExponential(6)}`,
    )
  }
  writeFileSync(grid, `${lines.join('\n')}\n`)
}

/** The same rows as the CSV grid (same generator and seed), as Parquet DOUBLE columns, uncompressed. */
async function writeParquetGrid(rows: number): Promise<void> {
  let s = 42
  const u = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296
  const names = INPUT_COLUMNS
  const cols = names.map(() => new Float64Array(rows))
  for (let i = 0; i < rows; i++) {
    const row = [
      1e4 + Math.floor(u() * 1e6),
      1 + u() * 9,
      10,
      0.1 + u(),
      1e-7 + u() * 1e-6,
      u() * 1e-8,
      u() * 0.1,
      u() * 1e-5,
    ]
    row.forEach((x, c) => ((cols[c] as Float64Array)[i] = x))
  }
  await parquetWriteFile({
    filename: pqGrid,
    columnData: names.map((name, c) => ({ name, data: cols[c] as Float64Array, type: 'DOUBLE' as const })),
    codec: 'UNCOMPRESSED',
    rowGroupSize: 65_536,
  })
}

async function frontier(workers: number, kind: 'csv' | 'parquet' = 'csv', pool?: WorkerPool): Promise<number> {
  const t0 = performance.now()
  const reuse = pool === undefined ? {} : { pool }
  if (kind === 'csv') await runFrontierBatch({ grid, out, format: 'csv', workers, defaults: {}, ...reuse })
  else await runFrontierBatch({ grid: pqGrid, out: pqOut, format: 'parquet', workers, defaults: {}, ...reuse })
  return (performance.now() - t0) / 1000
}

const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ')

/**
 * 1 worker against all, alternating over three rounds so both see the same (shared, noisy) machine, best
 * of three: each run as the command runs (its pool started inside), then on pools already started (a
 * directory of grids, or the steady state of a long run). Returns the best times as the command runs.
 */
async function compare(kind: 'csv' | 'parquet'): Promise<{ single: number; multi: number }> {
  const cold: number[][] = [[], []]
  const warm: number[][] = [[], []]
  const pools = [await createWorkerPool(1), await createWorkerPool(all)]
  try {
    for (const p of pools) await frontier(p.size, kind, p) // JIT and worker warm-up
    for (let round = 0; round < 3; round++)
      for (const [i, w] of [1, all].entries()) {
        cold[i]?.push(await frontier(w, kind))
        warm[i]?.push(await frontier(w, kind, pools[i]))
      }
  } finally {
    await Promise.all(pools.map((p) => p.close()))
  }
  const best = (xs: number[] | undefined): number => Math.min(...(xs ?? []))
  for (const [label, runs] of [
    ['as the command runs (pool started in each run)', cold],
    ['on started pools', warm],
  ] as const) {
    const [one, many] = [best(runs[0]), best(runs[1])]
    console.log(`  ${label}:`)
    console.log(`    1 worker:   ${one.toFixed(2)} s, ${fmt(ROWS / one)} rows/s  (runs: ${list(runs[0] ?? [])} s)`)
    console.log(
      `    ${all} workers:  ${many.toFixed(2)} s, ${fmt(ROWS / many)} rows/s  (×${(one / many).toFixed(2)}; runs: ${list(runs[1] ?? [])} s)`,
    )
  }
  return { single: best(cold[0]), multi: best(cold[1]) }
}

/** Reading alone (what the workers do between them): every column of every row group into Float64Arrays. */
async function readOnly(): Promise<number> {
  const t0 = performance.now()
  const fh = await open(pqGrid, 'r')
  const src = await openParquet(pqGrid, fh)
  const targets = src.columns.map(() => new Float64Array(65_536))
  const nulls = src.columns.map(() => new Uint8Array(65_536))
  for (let g = 0; g < src.rowGroups; g++) {
    const rg = src.rowGroup(g, src.columns)
    for (let done = 0; done < rg.rows; done += 65_536) await rg.read(Math.min(65_536, rg.rows - done), targets, nulls)
  }
  await src.close()
  return (performance.now() - t0) / 1000
}

/** The kernel alone: one sweep of all rows in one batch (inputs already in wasm memory). */
function kernelOnly(rows: number): number {
  const b = loadAcCoreSync().createSweepBatch(rows)
  let s = 42
  const u = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296
  for (let i = 0; i < rows; i++) {
    b.shares[i] = 1e4 + Math.floor(u() * 1e6)
    b.horizon[i] = 1 + u() * 9
    b.slices[i] = 10
    b.volatility[i] = 0.1 + u()
    b.temporaryImpact[i] = 1e-7 + u() * 1e-6
    b.permanentImpact[i] = u() * 1e-8
    b.fixedCost[i] = u() * 0.1
    b.riskAversion[i] = u() * 1e-5
  }
  const t0 = performance.now()
  b.run(rows)
  return (performance.now() - t0) / 1000
}

/**
 * What a quant would run on the same file (bench/quant.py), best of 3: pyarrow + numpy for Parquet,
 * numpy alone for CSV; skipped (with why) when python3 or the modules are missing.
 */
function quant(kind: 'parquet' | 'csv'): { seconds: number } | { skipped: string } {
  const modules = kind === 'parquet' ? 'pyarrow, numpy' : 'numpy'
  const probe = spawnSync('python3', ['-c', `import ${modules}`], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0)
    return { skipped: probe.error ? 'python3 not found' : (probe.stderr.trim().split('\n').at(-1) ?? 'import failed') }
  // run from the package directory (npm run bench); this module itself runs from a bundle in a cache folder
  const script = join(process.cwd(), 'bench', 'quant.py')
  const [input, output] = kind === 'parquet' ? [pqGrid, join(dir, 'quant.parquet')] : [grid, join(dir, 'quant.csv')]
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const r = spawnSync('python3', [script, input, output], { encoding: 'utf8' })
    if (r.status !== 0) return { skipped: `quant.py failed: ${r.stderr.trim()}` }
    times.push(Number(r.stdout.trim()))
  }
  return { seconds: Math.min(...times) }
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')

console.log(
  `machine: ${cpus()[0]?.model ?? '?'} × ${all}, Node ${process.version}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
writeGrid(ROWS)
console.log(`grid: ${fmt(ROWS)} rows, ${(statSync(grid).size / 2 ** 20).toFixed(1)} MiB (N = 10)`)
console.log(`acx frontier --grid … --out …, CSV in and out, best of 3`)
const { multi } = await compare('csv')
console.log(`  (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB written)`)

// Parquet in, Parquet out: the same rows.
await writeParquetGrid(ROWS)
console.log(`parquet grid: ${(statSync(pqGrid).size / 2 ** 20).toFixed(1)} MiB (uncompressed DOUBLE columns)`)
console.log(`acx frontier, Parquet in and out, best of 3`)
const { single: pqSingle, multi: pqMulti } = await compare('parquet')
console.log(`  (${(statSync(pqOut).size / 2 ** 20).toFixed(1)} MiB written)`)
const read = Math.min(await readOnly(), await readOnly(), await readOnly())
const kernel = Math.min(kernelOnly(ROWS), kernelOnly(ROWS), kernelOnly(ROWS))
console.log(
  `  where 1 worker's time goes: read ${read.toFixed(2)} s (in the workers), kernel ${kernel.toFixed(2)} s (${fmt(ROWS / kernel)} sets/s), the rest (copies, messages, encoding, writing) ${(pqSingle - read - kernel).toFixed(2)} s`,
)
const q = quant('parquet')
if ('skipped' in q) console.log(`pyarrow + numpy (bench/quant.py), Parquet: skipped — ${q.skipped}`)
else
  console.log(
    `pyarrow + numpy (bench/quant.py), same Parquet file: ${q.seconds.toFixed(2)} s, ${fmt(ROWS / q.seconds)} rows/s; acx Parquet on ${all} workers is ×${(q.seconds / pqMulti).toFixed(2)} as fast`,
  )
const qc = quant('csv')
if ('skipped' in qc) console.log(`numpy (bench/quant.py), CSV: skipped — ${qc.skipped}`)
else
  console.log(
    `numpy loadtxt + savetxt (bench/quant.py), same CSV file: ${qc.seconds.toFixed(2)} s, ${fmt(ROWS / qc.seconds)} rows/s; acx CSV on ${all} workers is ×${(qc.seconds / multi).toFixed(2)} as fast`,
  )

const spec = (market: 'engine' | 'model'): SimulationSpec => ({
  strategy: 'almgren_chriss',
  config: {},
  market,
  side: 'BUY',
  quantity: 1000,
  price: 100,
  spread: 0.02,
  seed: 1,
})
const simRate = async (market: 'engine' | 'model', workers: number): Promise<number> => {
  const pool = await createWorkerPool(workers)
  try {
    await runSimulations([spec(market)], 500, { pool }) // warm-up
    const runs = 5_000
    const t0 = performance.now()
    const c0 = process.cpuUsage() // all threads of the process
    await runSimulations([spec(market)], runs, { pool })
    const c = process.cpuUsage(c0)
    cpuRates.get(workers)?.push(runs / ((c.user + c.system) / 1e6))
    return runs / ((performance.now() - t0) / 1000)
  } finally {
    await pool.close()
  }
}
const cpuRates = new Map<number, number[]>()
for (const market of ['engine', 'model'] as const) {
  cpuRates.set(1, []).set(all, [])
  const rates = new Map<number, number[]>([
    [1, []],
    [all, []],
  ])
  for (let round = 0; round < 3; round++) for (const w of rates.keys()) rates.get(w)?.push(await simRate(market, w))
  for (const [w, xs] of rates) {
    const cpu = Math.max(...(cpuRates.get(w) ?? []))
    console.log(
      `acx simulate (almgren_chriss, N = 5, ${market} market), ${w} worker${w > 1 ? 's' : ''}: ${fmt(Math.max(...xs))} executions/s best of 3 (runs: ${xs.map(fmt).join(', ')}); ${fmt(cpu)} per CPU-second`,
    )
  }
}
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
rmSync(dir, { recursive: true, force: true })
