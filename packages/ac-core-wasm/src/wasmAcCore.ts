import { instantiateSync } from '@assemblyscript/loader'
import { checkFrontierInput, checkSweepInput } from './checkInput.js'
import { AcCoreError } from './errors.js'
import { errorForStatus, SweepStatus } from './status.js'
import { PARAM_FIELDS, resolveParams, type ResolvedParams } from './validate.js'
import { webAssembly, type WasmModule } from './webAssembly.js'
import type {
  AcBaseParams,
  AcCoreApi,
  AcParams,
  Frontier,
  FrontierBatch,
  SweepBatch,
  SweepInput,
  SweepResult,
  Trajectory,
} from './types.js'

/** The exports of assembly/index.ts. */
interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number }
  heapBase(): number
  trajectory(
    X: number,
    T: number,
    N: number,
    sigma: number,
    eta: number,
    gamma: number,
    eps: number,
    lambda: number,
    holdingsPtr: number,
    tradesPtr: number,
    scalarsPtr: number,
  ): number
  sweep(
    count: number,
    sharesPtr: number,
    horizonPtr: number,
    slicesPtr: number,
    volatilityPtr: number,
    temporaryImpactPtr: number,
    permanentImpactPtr: number,
    fixedCostPtr: number,
    riskAversionPtr: number,
    kappaPtr: number,
    expectedCostPtr: number,
    variancePtr: number,
    statusPtr: number,
  ): number
  frontier(
    X: number,
    T: number,
    N: number,
    sigma: number,
    eta: number,
    gamma: number,
    eps: number,
    count: number,
    riskAversionPtr: number,
    kappaPtr: number,
    expectedCostPtr: number,
    variancePtr: number,
    statusPtr: number,
  ): number
  outOfMemoryStatus(): number
}

/**
 * Rows per kernel call in the copying `sweep` and `frontier`. A chunk's columns (92 bytes a row for a
 * sweep) then take ~0.4 MiB and stay in L2 between the copy in, the kernel and the copy out.
 */
export const CHUNK_ROWS = 4096

/** κ, E and V: the output columns of both kernels, after their inputs. */
const OUTPUTS = ['kappa', 'expectedCost', 'variance'] as const
/** The float64 columns of a sweep region, in the kernel's argument order; an int32 status column follows. */
const SWEEP_COLUMNS = [...PARAM_FIELDS, ...OUTPUTS] as const
/** The float64 columns of a frontier region, likewise. */
const FRONTIER_COLUMNS = ['riskAversion', ...OUTPUTS] as const
const PAGE = 65_536

function instantiate(module: WasmModule): KernelExports {
  return instantiateSync(module as never, {}).exports as unknown as KernelExports
}

/** Bytes for `rows` rows of `f64Columns` float64 columns and one int32 column, 16-byte aligned. */
const regionBytes = (rows: number, f64Columns: number) => rows * (f64Columns * 8 + 4) + 16

/**
 * Views over a region of wasm memory holding `rows` rows of float64 columns and one int32 status
 * column; recreated whenever the memory buffer has moved (growth detaches the old one).
 */
class Columns {
  #buffer: ArrayBuffer | undefined
  #f64: Float64Array[] = []
  #status: Int32Array | undefined

  constructor(
    private readonly memory: { readonly buffer: ArrayBuffer },
    readonly ptr: number,
    readonly rows: number,
    private readonly f64Columns: number,
  ) {}

  #refresh(): void {
    const buffer = this.memory.buffer
    if (buffer === this.#buffer) return
    this.#buffer = buffer
    this.#f64 = Array.from(
      { length: this.f64Columns },
      (_, i) => new Float64Array(buffer, this.ptr + i * this.rows * 8, this.rows),
    )
    this.#status = new Int32Array(buffer, this.statusPtr, this.rows)
  }

  f64(i: number): Float64Array {
    this.#refresh()
    return this.#f64[i]!
  }

  status(): Int32Array {
    this.#refresh()
    return this.#status!
  }

  f64Ptr(i: number): number {
    return this.ptr + i * this.rows * 8
  }

  get statusPtr(): number {
    return this.ptr + this.f64Columns * this.rows * 8
  }
}

/** The Almgren–Chriss core backed by one WebAssembly instance. Not safe to share across threads. */
export class WasmAcCore implements AcCoreApi {
  readonly #module: WasmModule
  #kernel: KernelExports
  /** First free byte: the host lays regions out from heapBase() upwards and never frees them. */
  #top = 0
  /** The region reused by trajectory and the copying sweep/frontier. */
  #scratch = { ptr: 0, bytes: 0 }

  /** Prefer `loadAcCore()`/`loadAcCoreSync()`, which compile the embedded module once. */
  constructor(module: WasmModule) {
    this.#module = module
    this.#kernel = this.#instantiate()
  }

  #instantiate(): KernelExports {
    const kernel = instantiate(this.#module)
    if (kernel.outOfMemoryStatus() !== SweepStatus.OUT_OF_MEMORY) {
      throw new Error('ac-core-wasm: the embedded kernel does not match this host (status table differs)')
    }
    this.#top = kernel.heapBase()
    this.#scratch = { ptr: 0, bytes: 0 }
    return kernel
  }

  /** Runs `fn` against the kernel; after a trap the instance is replaced, since its state is unknown. */
  #run<T>(fn: (kernel: KernelExports) => T): T {
    const kernel = this.#kernel
    try {
      return fn(kernel)
    } catch (err) {
      if (err instanceof webAssembly.RuntimeError) {
        this.#kernel = this.#instantiate()
        throw new AcCoreError('AC_KERNEL_TRAP', undefined, { cause: err })
      }
      throw err
    }
  }

  /** `bytes` more bytes past the top, 16-byte aligned, growing memory as needed. */
  #allocate(kernel: KernelExports, bytes: number): number {
    const ptr = (this.#top + 15) & ~15
    this.#ensure(kernel, ptr + bytes)
    this.#top = ptr + bytes
    return ptr
  }

  #ensure(kernel: KernelExports, end: number): void {
    const have = kernel.memory.buffer.byteLength
    if (end <= have) return
    if (end > 2 ** 32) throw new AcCoreError('AC_OUT_OF_MEMORY', `${end} bytes exceed the 4 GiB of wasm32 memory`)
    try {
      kernel.memory.grow(Math.ceil((end - have) / PAGE))
    } catch (err) {
      throw new AcCoreError('AC_OUT_OF_MEMORY', `could not grow WebAssembly memory to ${end} bytes`, { cause: err })
    }
  }

  /** The scratch region, at least `bytes` long: extended in place when it is on top, else moved up. */
  #scratchOf(kernel: KernelExports, bytes: number): number {
    const s = this.#scratch
    if (bytes <= s.bytes) return s.ptr
    const size = Math.max(bytes, 2 * s.bytes) // amortises growth; at most half of it is ever idle
    if (s.bytes > 0 && s.ptr + s.bytes === this.#top) {
      this.#ensure(kernel, s.ptr + size)
      this.#top = s.ptr + size
      s.bytes = size
      return s.ptr
    }
    this.#scratch = { ptr: this.#allocate(kernel, size), bytes: size }
    return this.#scratch.ptr
  }

  trajectory(params: AcParams): Trajectory {
    const p = resolveParams(params)
    const n = p.slices
    return this.#run((kernel) => {
      const base = this.#scratchOf(kernel, (2 * n + 1 + 4) * 8)
      const holdingsPtr = base
      const tradesPtr = holdingsPtr + (n + 1) * 8
      const scalarsPtr = tradesPtr + n * 8
      const status = kernel.trajectory(
        p.shares,
        p.horizon,
        n,
        p.volatility,
        p.temporaryImpact,
        p.permanentImpact,
        p.fixedCost,
        p.riskAversion,
        holdingsPtr,
        tradesPtr,
        scalarsPtr,
      )
      if (status !== SweepStatus.OK) throw errorForStatus(status)
      const buffer = kernel.memory.buffer
      const [kappa, kappaTilde, expectedCost, variance] = new Float64Array(buffer, scalarsPtr, 4) as unknown as [
        number,
        number,
        number,
        number,
      ]
      return {
        kappa,
        kappaTilde,
        halfLife: 1 / kappa,
        holdings: new Float64Array(buffer, holdingsPtr, n + 1).slice(),
        trades: new Float64Array(buffer, tradesPtr, n).slice(),
        expectedCost,
        variance,
      }
    })
  }

  sweep(input: SweepInput): SweepResult {
    const m = checkSweepInput(input)
    const result: SweepResult = {
      kappa: new Float64Array(m),
      expectedCost: new Float64Array(m),
      variance: new Float64Array(m),
      status: new Int32Array(m),
    }
    this.#inChunks(m, SWEEP_COLUMNS, (kernel, columns, start, count) => {
      PARAM_FIELDS.forEach((name, i) => {
        const values = input[name]
        if (values === undefined) columns.f64(i).fill(0, 0, count)
        else columns.f64(i).set(count === m ? values : values.subarray(start, start + count))
      })
      sweepKernel(kernel, count, columns)
      copyOutputs(columns, SWEEP_COLUMNS, count, result, start)
      result.status.set(columns.status().subarray(0, count), start)
    })
    return result
  }

  frontier(base: AcBaseParams, riskAversions: Float64Array): Frontier {
    const p = checkFrontierInput(base, riskAversions)
    const m = riskAversions.length
    const result: Frontier = {
      riskAversion: riskAversions.slice(),
      kappa: new Float64Array(m),
      expectedCost: new Float64Array(m),
      variance: new Float64Array(m),
    }
    this.#inChunks(m, FRONTIER_COLUMNS, (kernel, columns, start, count) => {
      columns.f64(0).set(riskAversions.subarray(start, start + count))
      if (frontierKernel(kernel, p, count, columns) > 0) {
        const status = columns.status().subarray(0, count)
        const i = status.findIndex((s) => s !== SweepStatus.OK)
        const err = errorForStatus(status[i]!)
        throw new AcCoreError(err.code, `riskAversions[${start + i}]: ${err.message}`, {
          field: `riskAversions[${start + i}]`,
        })
      }
      copyOutputs(columns, FRONTIER_COLUMNS, count, result, start)
    })
    return result
  }

  /**
   * The copying API's loop: `m` rows through the scratch region, laid out as `layout`, in chunks of at
   * most CHUNK_ROWS rows; `chunk` copies one chunk's inputs in, runs the kernel and copies the results out.
   */
  #inChunks(
    m: number,
    layout: readonly string[],
    chunk: (kernel: KernelExports, columns: Columns, start: number, count: number) => void,
  ): void {
    if (m === 0) return
    const rows = Math.min(m + (m & 1), CHUNK_ROWS)
    this.#run((kernel) => {
      const n = layout.length
      const columns = new Columns(kernel.memory, this.#scratchOf(kernel, regionBytes(rows, n)), rows, n)
      // the kernel never grows memory, so the columns' views stay valid for every chunk
      for (let start = 0; start < m; start += rows) chunk(kernel, columns, start, Math.min(rows, m - start))
    })
  }

  /**
   * Input and output columns of `capacity` rows in WebAssembly memory, for sweeps without copies.
   * See `SweepBatch` for the lifetime of its views. The memory is not returned to the core: create
   * batches once and reuse them.
   */
  createSweepBatch(capacity: number): SweepBatch {
    const { rows, live, freeze } = this.#newBatch<SweepBatch>(capacity, SWEEP_COLUMNS)
    live().f64(5).fill(0) // permanentImpact and fixedCost start at zero, like omitted sweep columns
    live().f64(6).fill(0)
    return freeze((count = rows) =>
      this.#run((k) => {
        const columns = live()
        return sweepKernel(k, checkCount(count, rows), columns)
      }),
    )
  }

  /** A risk-aversion column and output columns of `capacity` rows, for frontiers without copies. */
  createFrontierBatch(capacity: number): FrontierBatch {
    const { rows, live, freeze } = this.#newBatch<FrontierBatch>(capacity, FRONTIER_COLUMNS)
    return freeze((base, count = rows) => {
      const p = resolveParams({ ...base, riskAversion: 0 })
      return this.#run((k) => {
        const columns = live()
        return frontierKernel(k, p, checkCount(count, rows), columns)
      })
    })
  }

  /**
   * A batch's region: the float64 columns `layout` and a status column for `capacity` rows (padded to
   * an even count) in memory of its own. `live()` hands out the columns while this instance lasts;
   * `freeze(run)` makes the batch, whose properties are fresh views of the first `capacity` rows.
   */
  #newBatch<B extends SweepBatch | FrontierBatch>(capacity: number, layout: readonly (keyof B & string)[]) {
    const rows = checkCapacity(capacity)
    const kernel = this.#kernel
    const padded = rows + (rows & 1)
    const n = layout.length
    const columns = this.#run((k) => new Columns(k.memory, this.#allocate(k, regionBytes(padded, n)), padded, n))
    const live = () => {
      if (this.#kernel !== kernel) throw staleBatch()
      return columns
    }
    const views: PropertyDescriptorMap = {}
    layout.forEach((name, i) => {
      views[name] = { get: () => live().f64(i).subarray(0, rows), enumerable: true }
    })
    views.status = { get: () => live().status().subarray(0, rows), enumerable: true }
    const freeze = (run: B['run']): B =>
      Object.freeze(Object.defineProperties({ capacity: rows, run } as unknown as B, views))
    return { rows, live, freeze }
  }
}

/** The kernel's sweep over rows 0 … count − 1 of a region laid out as SWEEP_COLUMNS; returns the bad rows. */
function sweepKernel(kernel: KernelExports, count: number, columns: Columns): number {
  return kernel.sweep(
    count,
    columns.f64Ptr(0),
    columns.f64Ptr(1),
    columns.f64Ptr(2),
    columns.f64Ptr(3),
    columns.f64Ptr(4),
    columns.f64Ptr(5),
    columns.f64Ptr(6),
    columns.f64Ptr(7),
    columns.f64Ptr(8),
    columns.f64Ptr(9),
    columns.f64Ptr(10),
    columns.statusPtr,
  )
}

/** The kernel's frontier of `p` over rows 0 … count − 1 of a region laid out as FRONTIER_COLUMNS. */
function frontierKernel(kernel: KernelExports, p: ResolvedParams, count: number, columns: Columns): number {
  return kernel.frontier(
    p.shares,
    p.horizon,
    p.slices,
    p.volatility,
    p.temporaryImpact,
    p.permanentImpact,
    p.fixedCost,
    count,
    columns.f64Ptr(0),
    columns.f64Ptr(1),
    columns.f64Ptr(2),
    columns.f64Ptr(3),
    columns.statusPtr,
  )
}

/** Copies rows 0 … count − 1 of the output columns of a region laid out as `layout` into `result` at `start`. */
function copyOutputs(
  columns: Columns,
  layout: readonly string[],
  count: number,
  result: Record<(typeof OUTPUTS)[number], Float64Array>,
  start: number,
): void {
  const first = layout.length - OUTPUTS.length
  OUTPUTS.forEach((name, i) => result[name].set(columns.f64(first + i).subarray(0, count), start))
}

function checkCapacity(capacity: number): number {
  if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= 2 ** 26)) {
    throw new AcCoreError('AC_INVALID_PARAM', `capacity must be an integer from 1 to ${2 ** 26}, got ${capacity}`, {
      field: 'capacity',
    })
  }
  return capacity
}

function checkCount(count: number, capacity: number): number {
  if (!(Number.isInteger(count) && count >= 0 && count <= capacity)) {
    throw new AcCoreError('AC_INVALID_PARAM', `count must be an integer from 0 to ${capacity}, got ${count}`, {
      field: 'count',
    })
  }
  return count
}

const staleBatch = () =>
  new AcCoreError(
    'AC_KERNEL_TRAP',
    'This batch belonged to a WebAssembly instance discarded after a kernel trap; create a new batch',
  )
