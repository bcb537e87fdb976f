// End-to-end `acx frontier` over 1,000,000 parameter sets (N = 10) read from a grid CSV and written as
// CSV, on one worker thread and on all; then simulated executions per second (`acx simulate`'s engine).
// Printed, not asserted. Run: node ../../scripts/runTs.mjs bench/research.bench.ts [rows]
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { runFrontierBatch } from '../src/frontierBatch.js'
import { runSimulations, type SimulationSpec } from '../src/simulation.js'
import { createWorkerPool } from '../src/workerPool.js'

const ROWS = Number(process.argv[2] ?? 1_000_000)
const dir = mkdtempSync(join(tmpdir(), 'acx-research-bench-'))
const grid = join(dir, 'grid.csv')
const out = join(dir, 'out.csv')
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

async function frontier(workers: number): Promise<number> {
  const t0 = performance.now()
  await runFrontierBatch({ grid, out, format: 'csv', workers, defaults: {} })
  return (performance.now() - t0) / 1000
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')

console.log(
  `machine: ${cpus()[0]?.model ?? '?'} × ${all}, Node ${process.version}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
writeGrid(ROWS)
console.log(`grid: ${fmt(ROWS)} rows, ${(statSync(grid).size / 2 ** 20).toFixed(1)} MiB (N = 10)`)
writeGrid(20_000)
await frontier(1) // warm-up (worker bundle, JIT)
writeGrid(ROWS)
// Alternate single and multi, three rounds, so both see the same (shared, noisy) machine; best of three.
const singles: number[] = []
const multis: number[] = []
for (let round = 0; round < 3; round++) {
  singles.push(await frontier(1))
  multis.push(await frontier(all))
}
const single = Math.min(...singles)
const multi = Math.min(...multis)
const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ')
console.log(
  `acx frontier --grid … --out … (CSV in and out, ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB written), best of 3`,
)
console.log(`  1 worker:   ${single.toFixed(2)} s, ${fmt(ROWS / single)} rows/s  (runs: ${list(singles)} s)`)
console.log(
  `  ${all} workers:  ${multi.toFixed(2)} s, ${fmt(ROWS / multi)} rows/s  (×${(single / multi).toFixed(2)}; runs: ${list(multis)} s)`,
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
