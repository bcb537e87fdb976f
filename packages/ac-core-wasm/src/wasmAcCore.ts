import { instantiateSync } from '@assemblyscript/loader'
import { checkFrontierInput, checkSweepInput } from './checkInput.js'
import { AcCoreError } from './errors.js'
import { errorForStatus, SweepStatus } from './status.js'
import { resolveParams } from './validate.js'
import { webAssembly, type WasmModule } from './webAssembly.js'
import type { AcBaseParams, AcCoreApi, AcParams, Frontier, SweepInput, SweepResult, Trajectory } from './types.js'

/** The exports of assembly/index.ts. */
interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer }
  reserve(bytes: number): number
  trajectory(
    X: number, T: number, N: number, sigma: number, eta: number, gamma: number, eps: number, lambda: number,
    holdingsPtr: number, tradesPtr: number, scalarsPtr: number,
  ): number
  sweep(
    count: number, sharesPtr: number, horizonPtr: number, slicesPtr: number, volatilityPtr: number,
    temporaryImpactPtr: number, permanentImpactPtr: number, fixedCostPtr: number, riskAversionPtr: number,
    kappaPtr: number, expectedCostPtr: number, variancePtr: number, statusPtr: number,
  ): number
  frontier(
    X: number, T: number, N: number, sigma: number, eta: number, gamma: number, eps: number,
    count: number, riskAversionPtr: number,
    kappaPtr: number, expectedCostPtr: number, variancePtr: number, statusPtr: number,
  ): number
  outOfMemoryStatus(): number
}

/** Rows per kernel call in `sweep` and `frontier`: ~6 MiB of wasm memory, reused between calls. */
export const CHUNK_ROWS = 65_536

const SWEEP_INPUTS = [
  'shares', 'horizon', 'slices', 'volatility', 'temporaryImpact', 'permanentImpact', 'fixedCost', 'riskAversion',
] as const
/** Bytes per row of a sweep chunk: 8 f64 inputs, 3 f64 outputs, 1 i32 status. */
const SWEEP_ROW_BYTES = (SWEEP_INPUTS.length + 3) * 8 + 4

function instantiate(module: WasmModule): KernelExports {
  return instantiateSync(module as never, {}).exports as unknown as KernelExports
}

/** The Almgren–Chriss core backed by one WebAssembly instance. Not safe to share across threads. */
export class WasmAcCore implements AcCoreApi {
  readonly #module: WasmModule
  #kernel: KernelExports

  /** Prefer `loadAcCore()`/`loadAcCoreSync()`, which compile the embedded module once. */
  constructor(module: WasmModule) {
    this.#module = module
    this.#kernel = instantiate(module)
    if (this.#kernel.outOfMemoryStatus() !== SweepStatus.OUT_OF_MEMORY) {
      throw new Error('ac-core-wasm: the embedded kernel does not match this host (status table differs)')
    }
  }

  /** Runs `fn` against the kernel; after a trap the instance is replaced, since its state is unknown. */
  #run<T>(fn: (kernel: KernelExports) => T): T {
    try {
      return fn(this.#kernel)
    } catch (err) {
      if (err instanceof webAssembly.RuntimeError) {
        this.#kernel = instantiate(this.#module)
        throw new AcCoreError('AC_KERNEL_TRAP', undefined, { cause: err })
      }
      throw err
    }
  }

  #reserve(kernel: KernelExports, bytes: number): number {
    const base = kernel.reserve(bytes)
    if (base === 0) throw new AcCoreError('AC_OUT_OF_MEMORY', `could not reserve ${bytes} bytes of wasm memory`)
    return base
  }

  trajectory(params: AcParams): Trajectory {
    const p = resolveParams(params)
    const n = p.slices
    return this.#run((kernel) => {
      const base = this.#reserve(kernel, (2 * n + 1 + 4) * 8)
      const holdingsPtr = base
      const tradesPtr = holdingsPtr + (n + 1) * 8
      const scalarsPtr = tradesPtr + n * 8
      const status = kernel.trajectory(
        p.shares, p.horizon, n, p.volatility, p.temporaryImpact, p.permanentImpact, p.fixedCost, p.riskAversion,
        holdingsPtr, tradesPtr, scalarsPtr,
      )
      if (status !== SweepStatus.OK) throw errorForStatus(status)
      const buffer = kernel.memory.buffer
      const [kappa, kappaTilde, expectedCost, variance] = new Float64Array(buffer, scalarsPtr, 4) as unknown as [
        number, number, number, number,
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
    const rows = Math.min(m, CHUNK_ROWS)
    return this.#run((kernel) => {
      const base = this.#reserve(kernel, rows * SWEEP_ROW_BYTES)
      // Views are made after reserve(), which may grow (and so detach) the memory; the kernel
      // itself never grows memory, so they stay valid for every chunk below.
      const buffer = kernel.memory.buffer
      const column = (i: number) => new Float64Array(buffer, base + i * rows * 8, rows)
      const inputs = SWEEP_INPUTS.map((_, i) => column(i))
      const ptrs = inputs.map((view) => view.byteOffset)
      const [kappa, expectedCost, variance] = [column(8), column(9), column(10)] as const
      const status = new Int32Array(buffer, base + 11 * rows * 8, rows)
      for (let start = 0; start < m; start += rows) {
        const count = Math.min(rows, m - start)
        SWEEP_INPUTS.forEach((name, i) => {
          const values = input[name]
          if (values === undefined) inputs[i]!.fill(0, 0, count)
          else inputs[i]!.set(values.subarray(start, start + count))
        })
        kernel.sweep(
          count, ptrs[0]!, ptrs[1]!, ptrs[2]!, ptrs[3]!, ptrs[4]!, ptrs[5]!, ptrs[6]!, ptrs[7]!,
          kappa.byteOffset, expectedCost.byteOffset, variance.byteOffset, status.byteOffset,
        )
        result.kappa.set(kappa.subarray(0, count), start)
        result.expectedCost.set(expectedCost.subarray(0, count), start)
        result.variance.set(variance.subarray(0, count), start)
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
    const rows = Math.min(m, CHUNK_ROWS)
    return this.#run((kernel) => {
      const basePtr = this.#reserve(kernel, rows * (4 * 8 + 4))
      const buffer = kernel.memory.buffer
      const column = (i: number) => new Float64Array(buffer, basePtr + i * rows * 8, rows)
      const [lambda, kappa, expectedCost, variance] = [column(0), column(1), column(2), column(3)] as const
      const status = new Int32Array(buffer, basePtr + 4 * rows * 8, rows)
      for (let start = 0; start < m; start += rows) {
        const count = Math.min(rows, m - start)
        lambda.set(riskAversions.subarray(start, start + count))
        const bad = kernel.frontier(
          p.shares, p.horizon, p.slices, p.volatility, p.temporaryImpact, p.permanentImpact, p.fixedCost,
          count, lambda.byteOffset, kappa.byteOffset, expectedCost.byteOffset, variance.byteOffset, status.byteOffset,
        )
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
}
