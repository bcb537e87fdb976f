// Bulk sweep throughput: the WebAssembly kernel against the pure-TS reference in the same process.
// Run: npm run bench -w @acx/ac-core-wasm   (prints; CI does not gate on it)
import { loadAcCoreSync, reference, SweepStatus, type AcCoreApi, type SweepInput } from '../src/index.js'
import { createRandom } from '../test/support/random.js'

const SLICES = 10
const SIZES = [1_000, 10_000, 100_000, 1_000_000]
const RUNS = { wasm: 9, reference: 5 }

function makeInput(m: number): SweepInput {
  const random = createRandom(42)
  const col = (f: () => number) => Float64Array.from({ length: m }, f)
  const logUniform = (lo: number, hi: number) => () => 10 ** (lo + (hi - lo) * random())
  return {
    shares: col(logUniform(3, 7)),
    horizon: col(logUniform(-1, 1)),
    slices: col(() => SLICES),
    volatility: col(logUniform(-2, 0)),
    temporaryImpact: col(logUniform(-7, -5)),
    permanentImpact: col(logUniform(-9, -8)),
    fixedCost: col(() => 0.0625),
    riskAversion: col(logUniform(-9, -4)),
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** Median sets per second over `runs` timed runs, after one warm-up run. */
function measure(core: AcCoreApi, input: SweepInput, runs: number): number {
  const m = input.shares.length
  const warm = core.sweep(input)
  if (!warm.status.every((s) => s === SweepStatus.OK)) throw new Error('bench input has bad rows')
  const rates: number[] = []
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    core.sweep(input)
    rates.push(m / ((performance.now() - t0) / 1000))
  }
  return median(rates)
}

const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 })
const wasm = loadAcCoreSync()
console.log(`sweep, N = ${SLICES}, median of ${RUNS.wasm} (wasm) / ${RUNS.reference} (reference) runs, one core, Node ${process.version}`)
console.log(['sets'.padStart(10), 'wasm sets/s'.padStart(14), 'reference sets/s'.padStart(18), 'ratio'.padStart(7)].join(''))
for (const m of SIZES) {
  const input = makeInput(m)
  const w = measure(wasm, input, RUNS.wasm)
  const r = measure(reference, input, RUNS.reference)
  console.log([fmt(m).padStart(10), fmt(w).padStart(14), fmt(r).padStart(18), `${(w / r).toFixed(2)}x`.padStart(7)].join(''))
}
