// Throughput of the bulk API, in parameter sets per second on one core, in one process:
//   sweep (copying)   core.sweep(columns): copies in and out of WebAssembly memory, new result arrays
//   sweep (batch)     core.createSweepBatch(): columns filled in place, batch.run()
//   raw kernel        the module's `sweep` export called on pointers, no host code at all
//   plain JS          bench/jsPort.ts: the same algorithm in plain JavaScript, into preallocated columns
//   reference         the package's pure-TS reference (point by point from the paper: O(N) per set)
//   frontier          core.frontier and a frontier batch, over risk aversions of one parameter set
// Medians of warmed runs. Run: npm run bench -w @acx/ac-core-wasm   (prints; CI does not gate on it)
import { loadAcCoreSync, reference, type SweepInput } from '../src/index.js'
import { decodeBase64 } from '../src/loadAcCore.js'
import { wasmBase64 } from '../src/generated/acCore.wasm.js'
import { jsSweep } from './jsPort.js'

const SLICES = [1, 10, 100, 1000, 1_000_000]
const SETS = 100_000
const SIZES = [1_000, 10_000, 100_000, 1_000_000]

/** Random parameter sets of the kind a research sweep uses: κT from ~1e−5 to ~300, both regimes. */
function makeInput(m: number, slices: number): Required<SweepInput> {
  let seed = 42
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed / 4294967296
  }
  const col = (f: () => number) => Float64Array.from({ length: m }, f)
  const logUniform = (lo: number, hi: number) => () => 10 ** (lo + (hi - lo) * random())
  return {
    shares: col(logUniform(3, 7)),
    horizon: col(logUniform(-1, 1)),
    slices: col(() => slices),
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

/**
 * Median sets per second of `runs` timed runs of `fn` over `m` sets, after at least `warm` untimed
 * runs and 0.2 s of them: V8 starts WebAssembly in its baseline compiler and tiers hot functions up
 * in the background, which takes a few calls of a fresh instance.
 */
function rate(m: number, fn: () => unknown, runs: number, warm = 3): number {
  const until = performance.now() + 200
  for (let i = 0; i < warm || (performance.now() < until && i < 50); i++) fn()
  const rates: number[] = []
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    fn()
    rates.push(m / ((performance.now() - t0) / 1000))
  }
  return median(rates)
}

/** The few WebAssembly globals used here, typed without the DOM lib (as src/webAssembly.ts does). */
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object
      Instance: new (module: object, imports: object) => { exports: unknown }
    }
  }
).WebAssembly

/** The raw module: its own instance, columns laid out by hand past heapBase(). */
function rawKernel(m: number) {
  const { exports } = new wasm.Instance(new wasm.Module(decodeBase64(wasmBase64)), {})
  const k = exports as {
    memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }
    heapBase(): number
    sweep(count: number, ...ptrs: number[]): number
  }
  const base = k.heapBase()
  const bytes = m * (11 * 8 + 4)
  k.memory.grow(Math.ceil((base + bytes - k.memory.buffer.byteLength) / 65536) + 1)
  const ptrs = Array.from({ length: 12 }, (_, i) => base + i * m * 8)
  return {
    load(input: Required<SweepInput>) {
      Object.values(input).forEach((values, i) => new Float64Array(k.memory.buffer, ptrs[i], m).set(values))
    },
    run: () => k.sweep(m, ...ptrs),
  }
}

const core = loadAcCoreSync()
const fmt = (x: number) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(1)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(1)
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`
const row = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`)

console.log(
  `ac-core-wasm bulk throughput, sets/s on one core, Node ${process.version}, ${SETS.toLocaleString('en-US')} sets a run`,
)
console.log('(medians: 11 runs for WebAssembly, 7 for plain JS, 3–5 for the reference over fewer sets at large N)\n')
row([
  'N',
  'sweep (copying)',
  'sweep (batch)',
  'raw kernel',
  'plain JS',
  'reference',
  'copying ÷ JS',
  'batch ÷ JS',
  'frontier (copying)',
  'frontier (batch)',
])
row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:'])
const raw = rawKernel(SETS)
const batch = core.createSweepBatch(SETS)
const frontierBatch = core.createFrontierBatch(SETS)
const out = {
  kappa: new Float64Array(SETS),
  e: new Float64Array(SETS),
  v: new Float64Array(SETS),
  s: new Int32Array(SETS),
}
for (const N of SLICES) {
  const input = makeInput(SETS, N)
  for (const [name, values] of Object.entries(input)) batch[name as keyof typeof input].set(values)
  raw.load(input)
  const copying = rate(SETS, () => core.sweep(input), 11)
  const batched = rate(SETS, () => batch.run(), 11)
  const rawRate = rate(SETS, raw.run, 11)
  const js = rate(SETS, () => jsSweep(input, SETS, out.kappa, out.e, out.v, out.s), 7)
  // the reference is O(N) per set: fewer sets at large N
  const refSets = Math.max(3, Math.min(SETS, Math.floor(3e6 / N)))
  const refInput = makeInput(refSets, N)
  const ref = rate(refSets, () => reference.sweep(refInput), N >= 1e5 ? 3 : 5, 1)
  const base = {
    shares: 1e5,
    horizon: 1,
    slices: N,
    volatility: 0.3,
    temporaryImpact: 1e-6,
    permanentImpact: 5e-9,
    fixedCost: 0.0625,
  }
  frontierBatch.riskAversion.set(input.riskAversion)
  const frontier = rate(SETS, () => core.frontier(base, input.riskAversion), 11)
  const frontierBatched = rate(SETS, () => frontierBatch.run(base), 11)
  row([
    N.toLocaleString('en-US'),
    fmt(copying),
    fmt(batched),
    fmt(rawRate),
    fmt(js),
    fmt(ref),
    ratio(copying, js),
    ratio(batched, js),
    fmt(frontier),
    fmt(frontierBatched),
  ])
}

console.log(`\nsweep at N = 10 by the number of sets a call (copying: chunks of 4096 rows through L2)\n`)
row(['sets', 'sweep (copying)', 'sweep (batch)', 'plain JS', 'reference', 'copying ÷ JS', 'copying ÷ reference'])
row(['---:', '---:', '---:', '---:', '---:', '---:', '---:'])
for (const m of SIZES) {
  const input = makeInput(m, 10)
  const sized = core.createSweepBatch(m)
  for (const [name, values] of Object.entries(input)) sized[name as keyof typeof input].set(values)
  const outs = { kappa: new Float64Array(m), e: new Float64Array(m), v: new Float64Array(m), s: new Int32Array(m) }
  const runs = m >= 1e6 ? 7 : 11
  const copying = rate(m, () => core.sweep(input), runs)
  const batched = rate(m, () => sized.run(), runs)
  const js = rate(m, () => jsSweep(input, m, outs.kappa, outs.e, outs.v, outs.s), 7)
  const ref = rate(m, () => reference.sweep(input), 3, 1)
  row([
    m.toLocaleString('en-US'),
    fmt(copying),
    fmt(batched),
    fmt(js),
    fmt(ref),
    ratio(copying, js),
    ratio(copying, ref),
  ])
}
