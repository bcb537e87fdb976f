import type { AcCoreApi } from '@acx/ac-core-wasm'
import { toKernel, type ExplorerInputs } from './model.js'

/** The chosen risk aversion's point and schedule. */
interface ChosenPoint {
  readonly riskAversion: number
  readonly kappa: number
  /** κT: how front-loaded the schedule is (0: a straight line). */
  readonly kappaT: number
  readonly expectedCostDollars: number
  readonly stdDevDollars: number
  readonly expectedCostBps: number
  readonly stdDevBps: number
  /** Per slice k: start time (the kernel's time unit: seconds in `ac` units), holdings before it and trade in it, as fractions of the order. */
  readonly slices: ReadonlyArray<{
    readonly index: number
    readonly start: number
    readonly heldBefore: number
    readonly fraction: number
  }>
}

export interface FrontierResult {
  /** One point per risk aversion, ascending λ (so √V falls and E rises): dollars. */
  readonly riskAversion: Float64Array
  readonly expectedCostDollars: Float64Array
  readonly stdDevDollars: Float64Array
  readonly chosen: ChosenPoint
  readonly bpsPerDollar: number
}

/** Points on the frontier besides λ = 0 and the chosen λ. */
const POINTS = 96

/**
 * The risk aversions to draw: λ = 0 (the straight line) and κ̃T from 0.01 to 50 on a log scale, where
 * κ̃² = λσ²/η̃ (η̃ = η − γτ/2), so the curve spans patient to urgent whatever the units; the chosen λ is
 * added in its place. Without volatility every λ gives the same point.
 */
export function riskAversionGrid(inputs: ExplorerInputs, chosen: number): Float64Array {
  const { params } = toKernel(inputs)
  const tau = params.horizon / params.slices
  const etaTilde = params.temporaryImpact - ((params.permanentImpact ?? 0) * tau) / 2
  const sigma2 = params.volatility * params.volatility
  const values = new Set<number>([0, chosen])
  if (sigma2 > 0 && etaTilde > 0) {
    for (let i = 0; i < POINTS; i++) {
      const kT = 10 ** (-2 + (i * Math.log10(5000)) / (POINTS - 1))
      const k = kT / params.horizon
      const lambda = (k * k * etaTilde) / sigma2
      if (Number.isFinite(lambda)) values.add(lambda)
    }
  }
  return Float64Array.from([...values].sort((a, b) => a - b))
}

/**
 * The efficient frontier E against √V and the chosen λ's schedule, computed by the core (the
 * WebAssembly kernels in the page). Throws the core's error (`AcCoreError`, with a code and the field
 * at fault) for parameters it refuses, e.g. η̃ = η − γτ/2 ≤ 0.
 */
export function computeFrontier(core: AcCoreApi, inputs: ExplorerInputs): FrontierResult {
  const mapping = toKernel(inputs)
  const { params } = mapping
  const t = core.trajectory(params)
  const grid = riskAversionGrid(inputs, params.riskAversion)
  const { riskAversion: _lambda, ...base } = params
  const f = core.frontier(base, grid)
  const dollars = mapping.dollarsPerCost
  const expectedCostDollars = f.expectedCost.map((e) => e * dollars)
  const stdDevDollars = f.variance.map((v) => Math.sqrt(v) * dollars)
  const n = t.trades.length
  const tau = params.horizon / n
  const slices = Array.from({ length: n }, (_, k) => ({
    index: k,
    start: k * tau,
    heldBefore: (t.holdings[k] as number) / params.shares,
    fraction: (t.trades[k] as number) / params.shares,
  }))
  return {
    riskAversion: f.riskAversion,
    expectedCostDollars,
    stdDevDollars,
    bpsPerDollar: mapping.bpsPerCost / dollars,
    chosen: {
      riskAversion: params.riskAversion,
      kappa: t.kappa,
      kappaT: t.kappa * params.horizon,
      expectedCostDollars: t.expectedCost * dollars,
      stdDevDollars: Math.sqrt(t.variance) * dollars,
      expectedCostBps: t.expectedCost * mapping.bpsPerCost,
      stdDevBps: Math.sqrt(t.variance) * mapping.bpsPerCost,
      slices,
    },
  }
}
