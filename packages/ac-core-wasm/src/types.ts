/**
 * Almgren–Chriss model parameters, in any consistent units (the paper uses shares, days and dollars).
 *
 * | field           | paper | meaning                                                       |
 * |-----------------|-------|---------------------------------------------------------------|
 * | shares          | X     | shares to trade (> 0)                                         |
 * | horizon         | T     | time to complete, in the model's time unit (> 0)              |
 * | slices          | N     | number of trading intervals, an integer ≥ 1; τ = T/N          |
 * | volatility      | σ     | price volatility, price per share per √time (≥ 0)             |
 * | temporaryImpact | η     | temporary impact, price per share per (share per time) (> 0)  |
 * | permanentImpact | γ     | permanent impact, price per share per share (≥ 0, default 0)  |
 * | fixedCost       | ε     | fixed cost per share traded: half spread plus fees (≥ 0, default 0) |
 * | riskAversion    | λ     | risk aversion, per unit of cost (≥ 0)                          |
 */
export interface AcParams {
  readonly shares: number
  readonly horizon: number
  readonly slices: number
  readonly volatility: number
  readonly temporaryImpact: number
  readonly permanentImpact?: number
  readonly fixedCost?: number
  readonly riskAversion: number
}

/** Everything but the risk aversion: the fixed part of an efficient frontier. */
export type AcBaseParams = Omit<AcParams, 'riskAversion'>

/** The optimal trajectory for one parameter set. */
export interface Trajectory {
  /** κ, the urgency: holdings decay like e^{−κt}. 0 when λσ² = 0 (the straight line). */
  readonly kappa: number
  /** κ̃ = √(λσ²/η̃), the continuous-time urgency that κ tends to as τ → 0. */
  readonly kappaTilde: number
  /** θ = 1/κ, the time for holdings to fall by a factor e; `Infinity` when κ = 0. */
  readonly halfLife: number
  /** x_0 … x_N: shares still held at t_k = kτ; x_0 = X and x_N = 0. Length N + 1. */
  readonly holdings: Float64Array
  /** n_1 … n_N: shares traded in interval k, n_k = x_{k−1} − x_k. Length N. */
  readonly trades: Float64Array
  /** E = ½γX² + εΣ|n_k| + (η̃/τ)Σn_k², in price × shares. */
  readonly expectedCost: number
  /** V = σ²Σ_{k=1..N} τ x_k², in (price × shares)². */
  readonly variance: number
}

/** An efficient frontier: one point per risk aversion, arrays of the same length. */
export interface Frontier {
  readonly riskAversion: Float64Array
  readonly kappa: Float64Array
  readonly expectedCost: Float64Array
  readonly variance: Float64Array
}

/**
 * A bulk sweep's input: struct-of-arrays, one row per parameter set, every array the same length M.
 * `slices` holds integers. `permanentImpact` and `fixedCost` default to zeros.
 */
export interface SweepInput {
  readonly shares: Float64Array
  readonly horizon: Float64Array
  readonly slices: Float64Array
  readonly volatility: Float64Array
  readonly temporaryImpact: Float64Array
  readonly permanentImpact?: Float64Array
  readonly fixedCost?: Float64Array
  readonly riskAversion: Float64Array
}

/** A bulk sweep's output. A row whose `status` is not `SweepStatus.OK` has NaN outputs. */
export interface SweepResult {
  readonly kappa: Float64Array
  readonly expectedCost: Float64Array
  readonly variance: Float64Array
  readonly status: Int32Array
}

/**
 * Columns in WebAssembly memory for sweeps without copies (`WasmAcCore.createSweepBatch`): fill the
 * input views in place, call `run(count)`, read the output views.
 *
 * Lifetime: the batch owns its memory for the life of its core (the stub runtime never frees, so
 * create batches once and reuse them). Its views stay valid until the core's memory grows — a
 * `trajectory` with more slices than any before, a copying `sweep`/`frontier` needing a larger
 * buffer, or creating another batch. The properties hand out fresh views whenever that has happened,
 * so read them again after such a call rather than keeping a view across it; the data itself is kept.
 * After a kernel trap the core replaces its instance, and the batch throws `AC_KERNEL_TRAP`.
 */
export interface SweepBatch {
  /** Rows the columns hold. */
  readonly capacity: number
  readonly shares: Float64Array
  readonly horizon: Float64Array
  readonly slices: Float64Array
  readonly volatility: Float64Array
  readonly temporaryImpact: Float64Array
  /** Zeros until you write to it. */
  readonly permanentImpact: Float64Array
  /** Zeros until you write to it. */
  readonly fixedCost: Float64Array
  readonly riskAversion: Float64Array
  readonly kappa: Float64Array
  readonly expectedCost: Float64Array
  readonly variance: Float64Array
  readonly status: Int32Array
  /**
   * Computes rows 0 … count − 1 (default: all) in place, exactly as `sweep` would; returns how many
   * rows have a status other than `SweepStatus.OK` (those rows have NaN outputs). Rows past `count`
   * are left as they were.
   */
  run(count?: number): number
}

/**
 * A risk-aversion column in WebAssembly memory for frontiers without copies
 * (`WasmAcCore.createFrontierBatch`); the same lifetime as `SweepBatch`.
 */
export interface FrontierBatch {
  readonly capacity: number
  readonly riskAversion: Float64Array
  readonly kappa: Float64Array
  readonly expectedCost: Float64Array
  readonly variance: Float64Array
  readonly status: Int32Array
  /**
   * Computes points 0 … count − 1 (default: all) for `base`, exactly as `frontier` would, but a bad
   * risk aversion gets a row status (and NaN outputs) instead of an exception; returns how many rows
   * are not OK. A bad base parameter throws, as in `frontier`.
   */
  run(base: AcBaseParams, count?: number): number
}

/** The functions both the WebAssembly core and the pure-TypeScript `reference` provide. */
export interface AcCoreApi {
  trajectory(params: AcParams): Trajectory
  frontier(base: AcBaseParams, riskAversions: Float64Array): Frontier
  sweep(input: SweepInput): SweepResult
}
