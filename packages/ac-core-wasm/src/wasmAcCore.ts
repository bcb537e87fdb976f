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

const SWEEP_OUTPUTS = ['kappa', 'expectedCost', 'variance'] as const
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
    if (m === 0) return result
    const rows = Math.min(m + (m & 1), CHUNK_ROWS)
    return this.#run((kernel) => {
      const columns = new Columns(kernel.memory, this.#scratchOf(kernel, regionBytes(rows, 11)), rows, 11)
      // the kernel never grows memory, so these views stay valid for every chunk below
      const inputs = PARAM_FIELDS.map((_, i) => columns.f64(i))
      const outputs = SWEEP_OUTPUTS.map((_, i) => columns.f64(8 + i))
      const status = columns.status()
      for (let start = 0; start < m; start += rows) {
        const count = Math.min(rows, m - start)
        PARAM_FIELDS.forEach((name, i) => {
          const values = input[name]
          if (values === undefined) inputs[i]!.fill(0, 0, count)
          else inputs[i]!.set(count === m ? values : values.subarray(start, start + count))
        })
        kernel.sweep(
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
        SWEEP_OUTPUTS.forEach((name, i) => result[name].set(outputs[i]!.subarray(0, count), start))
        result.status.set(status.subarray(0, count), start)
      }
      return result
    })
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
    if (m === 0) return result
    const rows = Math.min(m + (m & 1), CHUNK_ROWS)
    return this.#run((kernel) => {
      const columns = new Columns(kernel.memory, this.#scratchOf(kernel, regionBytes(rows, 4)), rows, 4)
      const [lambda, kappa, expectedCost, variance] = [0, 1, 2, 3].map((i) => columns.f64(i)) as [
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
      ]
      const status = columns.status()
      for (let start = 0; start < m; start += rows) {
        const count = Math.min(rows, m - start)
        lambda.set(riskAversions.subarray(start, start + count))
        const bad = this.#frontierKernel(kernel, p, count, columns)
        if (bad > 0) {
          const i = status.subarray(0, count).findIndex((s) => s !== SweepStatus.OK)
          const err = errorForStatus(status[i]!)
          throw new AcCoreError(err.code, `riskAversions[${start + i}]: ${err.message}`, {
            field: `riskAversions[${start + i}]`,
          })
        }
        result.kappa.set(kappa.subarray(0, count), start)
        result.expectedCost.set(expectedCost.subarray(0, count), start)
        result.variance.set(variance.subarray(0, count), start)
      }
      return result
    })
  }

  #frontierKernel(kernel: KernelExports, p: ResolvedParams, count: number, columns: Columns): number {
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

  /**
   * Input and output columns of `capacity` rows in WebAssembly memory, for sweeps without copies.
   * See `SweepBatch` for the lifetime of its views. The memory is not returned to the core: create
   * batches once and reuse them.
   */
  createSweepBatch(capacity: number): SweepBatch {
    const rows = checkCapacity(capacity)
    const kernel = this.#kernel
    const columns = this.#run(
      (k) => new Columns(k.memory, this.#allocate(k, regionBytes(rows + (rows & 1), 11)), rows + (rows & 1), 11),
    )
    columns.f64(5).fill(0)
    columns.f64(6).fill(0)
    const live = () => {
      if (this.#kernel !== kernel) throw staleBatch()
      return columns
    }
    const run = (count = rows) =>
      this.#run((k) => {
        live()
        const n = checkCount(count, rows)
        return k.sweep(
          n,
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
      })
    const view = (i: number) => () => live().f64(i).subarray(0, rows)
    return Object.freeze(
      Object.defineProperties({ capacity: rows, run } as unknown as SweepBatch, {
        shares: { get: view(0), enumerable: true },
        horizon: { get: view(1), enumerable: true },
        slices: { get: view(2), enumerable: true },
        volatility: { get: view(3), enumerable: true },
        temporaryImpact: { get: view(4), enumerable: true },
        permanentImpact: { get: view(5), enumerable: true },
        fixedCost: { get: view(6), enumerable: true },
        riskAversion: { get: view(7), enumerable: true },
        kappa: { get: view(8), enumerable: true },
        expectedCost: { get: view(9), enumerable: true },
        variance: { get: view(10), enumerable: true },
        status: { get: () => live().status().subarray(0, rows), enumerable: true },
      }),
    )
  }

  /** A risk-aversion column and output columns of `capacity` rows, for frontiers without copies. */
  createFrontierBatch(capacity: number): FrontierBatch {
    const rows = checkCapacity(capacity)
    const kernel = this.#kernel
    const columns = this.#run(
      (k) => new Columns(k.memory, this.#allocate(k, regionBytes(rows + (rows & 1), 4)), rows + (rows & 1), 4),
    )
    const live = () => {
      if (this.#kernel !== kernel) throw staleBatch()
      return columns
    }
    const run = (base: AcBaseParams, count = rows) => {
      const p = resolveParams({ ...base, riskAversion: 0 })
      return this.#run((k) => {
        live()
        return this.#frontierKernel(k, p, checkCount(count, rows), columns)
      })
    }
    const view = (i: number) => () => live().f64(i).subarray(0, rows)
    return Object.freeze(
      Object.defineProperties({ capacity: rows, run } as unknown as FrontierBatch, {
        riskAversion: { get: view(0), enumerable: true },
        kappa: { get: view(1), enumerable: true },
        expectedCost: { get: view(2), enumerable: true },
        variance: { get: view(3), enumerable: true },
        status: { get: () => live().status().subarray(0, rows), enumerable: true },
      }),
    )
  }
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
