import { AcCoreError } from './errors.js'
import { etaTilde } from './etaTilde.js'
import { paramsStatus, resolveParams } from './validate.js'
import { SweepStatus } from './status.js'
import type { AcBaseParams, AcCoreApi, AcParams, Frontier, SweepInput, SweepResult, Trajectory } from './types.js'
import { checkFrontierInput, checkSweepInput } from './checkInput.js'

/**
 * The plain-TypeScript implementation of the same API as the WebAssembly core, written point by point
 * from the paper rather than from the kernels' closed forms, so that it is an independent check of
 * them and the baseline a user would otherwise write. O(N) per parameter set:
 *
 *   κτ = 2·asinh(κ̃τ/2) (eq. 19), x_k = X·sinh(κ(T−t_k))/sinh(κT) (eq. 18) in the overflow-free form
 *   x_k = X·e^{−κt_k}·(1 − e^{−2κ(T−t_k)})/(1 − e^{−2κT}), and the trades n_k = x_{k−1} − x_k factored
 *   so that nothing is subtracted: n_k = X·e^{−κt_{k−1}}·(1 − e^{−κτ})·(1 + e^{−κ(2T−2t_k+τ)})/(1 − e^{−2κT});
 *   E = ½γX² + εΣ|n_k| + (η̃/τ)Σn_k², V = σ²τΣx_k² (eq. 8), the sums compensated (Neumaier), so they
 *   stay within a few u however many terms.
 *
 * Each point is a few u from exact (Math.exp/expm1 are within 1 ulp), with no error carried from
 * point to point. Rows allocate nothing: the per-row state lives in module variables.
 */

// The row being computed (module state, so that a sweep allocates nothing per row).
let rowTau = 0
let rowEtaTilde = 0
let rowKappaTilde = 0
let rowKappaTau = 0
let rowKappa = 0
let rowExpectedCost = 0
let rowVariance = 0

/** κ̃, κτ and κ for one valid row into the row state. κτ = 0 means the straight line (to double precision). */
function plan(T: number, N: number, sigma: number, eta: number, gamma: number, lambda: number): void {
  rowTau = T / N
  rowEtaTilde = etaTilde(eta, gamma, T, N) // eq. 15
  rowKappaTilde = 0
  rowKappaTau = 0
  rowKappa = 0
  if (sigma === 0 || lambda === 0) return
  rowKappaTilde = (sigma * Math.sqrt(lambda)) / Math.sqrt(rowEtaTilde) // eq. 19
  const y = (rowKappaTilde * rowTau) / 2
  if (y > 1e-300 && y < Infinity) {
    rowKappaTau = 2 * Math.asinh(y)
    rowKappa = rowKappaTau / rowTau
  } else if (y >= Infinity || !(rowKappaTilde < Infinity)) {
    // κ̃τ/2 beyond float64: asinh(y) = ln(2y) to double precision, from logarithms of the factors
    const lnY = Math.log(sigma) + 0.5 * Math.log(lambda) - 0.5 * Math.log(rowEtaTilde) + Math.log(rowTau / 2)
    rowKappaTau = 2 * (Math.LN2 + lnY)
    rowKappa = rowKappaTau / rowTau
  } else {
    rowKappa = rowKappaTilde // the straight line, and κ = κ̃ to double precision
  }
}

/** x_k/X, k = 0 … N, for κτ = a > 0. */
function unitHolding(a: number, N: number, k: number, denominator: number): number {
  const decay = a * k > 700 ? Math.exp((-a * k) / 2) ** 2 : Math.exp(-a * k) // e^{−ak} without early underflow
  return (decay * -Math.expm1(-2 * a * (N - k))) / denominator
}

/** n_k/X, k = 1 … N, for κτ = a > 0. */
function unitTrade(a: number, N: number, k: number, denominator: number, oneMinusQ: number): number {
  return (Math.exp(-a * (k - 1)) * oneMinusQ * (1 + Math.exp(-a * (2 * N - 2 * k + 1)))) / denominator
}

/** E and V of one valid, planned row into the row state, by compensated sums over the trajectory. */
function costAndVariance(X: number, N: number, sigma: number, gamma: number, eps: number): void {
  const a = rowKappaTau
  const denominator = -Math.expm1(-2 * a * N)
  const oneMinusQ = -Math.expm1(-a)
  // Neumaier's compensated sums of n_k/X, (n_k/X)² and (x_k/X)²
  let sumN = 0
  let cN = 0
  let sumN2 = 0
  let cN2 = 0
  let sumX2 = 0
  let cX2 = 0
  for (let k = 1; k <= N; k++) {
    const n = a === 0 ? 1 / N : unitTrade(a, N, k, denominator, oneMinusQ)
    const x = a === 0 ? (N - k) / N : unitHolding(a, N, k, denominator)
    let t = sumN + n
    cN += Math.abs(sumN) >= n ? sumN - t + n : n - t + sumN
    sumN = t
    const n2 = n * n
    t = sumN2 + n2
    cN2 += Math.abs(sumN2) >= n2 ? sumN2 - t + n2 : n2 - t + sumN2
    sumN2 = t
    const x2 = x * x
    t = sumX2 + x2
    cX2 += Math.abs(sumX2) >= x2 ? sumX2 - t + x2 : x2 - t + sumX2
    sumX2 = t
  }
  // E = ½γX² + εΣ|n_k| + (η̃/τ)Σn_k², V = σ²τΣx_k² (eq. 8), each factor meeting X where it is of
  // the natural scale (σX, (η̃/τ)X, γX), so no intermediate overflows or underflows before the result
  const sigmaX = sigma * X
  rowExpectedCost = 0.5 * gamma * X * X + eps * X * (sumN + cN) + (rowEtaTilde / rowTau) * X * X * (sumN2 + cN2)
  rowVariance = sigmaX * sigmaX * rowTau * (sumX2 + cX2)
}

function trajectory(params: AcParams): Trajectory {
  const p = resolveParams(params)
  plan(p.horizon, p.slices, p.volatility, p.temporaryImpact, p.permanentImpact, p.riskAversion)
  costAndVariance(p.shares, p.slices, p.volatility, p.permanentImpact, p.fixedCost)
  const n = p.slices
  const X = p.shares
  const a = rowKappaTau
  const holdings = new Float64Array(n + 1)
  const trades = new Float64Array(n)
  const denominator = -Math.expm1(-2 * a * n)
  const oneMinusQ = -Math.expm1(-a)
  holdings[0] = X
  for (let k = 1; k <= n; k++) {
    holdings[k] = a === 0 ? (X * (n - k)) / n : X * unitHolding(a, n, k, denominator)
    trades[k - 1] = a === 0 ? X / n : X * unitTrade(a, n, k, denominator, oneMinusQ)
  }
  const finite = [rowKappaTilde, rowKappa, rowExpectedCost, rowVariance].every(Number.isFinite)
  if (!finite) throw new AcCoreError('AC_NON_FINITE_RESULT')
  return {
    kappa: rowKappa,
    kappaTilde: rowKappaTilde,
    halfLife: 1 / rowKappa,
    holdings,
    trades,
    expectedCost: rowExpectedCost,
    variance: rowVariance,
  }
}

/** Status of one row; on OK the row state holds κ, E and V. Allocates nothing. */
function row(
  X: number,
  T: number,
  N: number,
  sigma: number,
  eta: number,
  gamma: number,
  eps: number,
  lambda: number,
): number {
  const status = paramsStatus(X, T, N, sigma, eta, gamma, eps, lambda)
  if (status !== SweepStatus.OK) return status
  plan(T, N, sigma, eta, gamma, lambda)
  costAndVariance(X, N, sigma, gamma, eps)
  const finite = Number.isFinite(rowKappa) && Number.isFinite(rowExpectedCost) && Number.isFinite(rowVariance)
  return finite ? SweepStatus.OK : SweepStatus.NON_FINITE_RESULT
}

function sweep(input: SweepInput): SweepResult {
  const m = checkSweepInput(input)
  const permanentImpact = input.permanentImpact
  const fixedCost = input.fixedCost
  const kappa = new Float64Array(m)
  const expectedCost = new Float64Array(m)
  const variance = new Float64Array(m)
  const status = new Int32Array(m)
  for (let i = 0; i < m; i++) {
    const s = row(
      input.shares[i]!,
      input.horizon[i]!,
      input.slices[i]!,
      input.volatility[i]!,
      input.temporaryImpact[i]!,
      permanentImpact === undefined ? 0 : permanentImpact[i]!,
      fixedCost === undefined ? 0 : fixedCost[i]!,
      input.riskAversion[i]!,
    )
    status[i] = s
    const good = s === SweepStatus.OK
    kappa[i] = good ? rowKappa : NaN
    expectedCost[i] = good ? rowExpectedCost : NaN
    variance[i] = good ? rowVariance : NaN
  }
  return { kappa, expectedCost, variance, status }
}

function frontier(base: AcBaseParams, riskAversions: Float64Array): Frontier {
  const p = checkFrontierInput(base, riskAversions)
  const m = riskAversions.length
  const result = {
    riskAversion: riskAversions.slice(),
    kappa: new Float64Array(m),
    expectedCost: new Float64Array(m),
    variance: new Float64Array(m),
  }
  for (let i = 0; i < m; i++) {
    const s = row(
      p.shares,
      p.horizon,
      p.slices,
      p.volatility,
      p.temporaryImpact,
      p.permanentImpact,
      p.fixedCost,
      riskAversions[i]!,
    )
    if (s !== SweepStatus.OK) {
      throw new AcCoreError('AC_NON_FINITE_RESULT', `riskAversions[${i}] leads to a non-finite result`, {
        field: `riskAversions[${i}]`,
      })
    }
    result.kappa[i] = rowKappa
    result.expectedCost[i] = rowExpectedCost
    result.variance[i] = rowVariance
  }
  return result
}

export const reference: AcCoreApi = { trajectory, frontier, sweep }
