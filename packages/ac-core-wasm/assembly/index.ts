// Almgren–Chriss discrete-time optimal execution, linear impact (Almgren & Chriss 2000, §2–3).
// Paper symbols: X shares, T horizon, N slices, sigma volatility, eta temporary impact,
// gamma permanent impact, eps fixed cost, lambda risk aversion.
//
// Numerics. With τ = T/N and y = κ̃τ/2, κτ = 2·asinh(y) (eq. 19: cosh(κτ) = 1 + κ̃²τ²/2, solved with
// asinh rather than acosh so that small κ keeps its digits). Writing q = e^{−κτ} = 1/w² with
// w = y + √(1+y²), the holdings x_k = X·sinh(κ(T−t_k))/sinh(κT) (eq. 18) become
//     x_k = X·q^k·b_{N−k}/b_N,   b_m = Σ_{i<m} q^{2i}   (so b_0 = 0, b_1 = 1, b_m → m as κ → 0),
// and the trades n_k = x_{k−1} − x_k become, with no subtraction,
//     n_k = X·q^{k−1}·c_{N−k}/b_N,   c_m = (1−q)·b_m + q^{2m}.
// Every quantity is a sum of non-negative terms no larger than m, so nothing overflows for any κT,
// λ = 0 (q = 1) gives b_m = m exactly (the straight line, no 0/0), and 1 − q is formed from w − 1
// without cancellation. No transcendental function is evaluated per point.
import {
  OK, INVALID_SHARES, INVALID_HORIZON, INVALID_SLICES, INVALID_VOLATILITY, INVALID_TEMPORARY_IMPACT,
  INVALID_PERMANENT_IMPACT, INVALID_FIXED_COST, INVALID_RISK_AVERSION, ETA_TILDE_NONPOSITIVE,
  NON_FINITE_RESULT, OUT_OF_MEMORY, MAX_SLICES,
} from './status'

// Per-parameter-set state shared by the kernels below (globals: the stub runtime has no GC and the
// kernels allocate nothing).
let gTau: f64 = 0
let gEtaTilde: f64 = 0
let gKappaTilde: f64 = 0
let gKappa: f64 = 0
let gQ: f64 = 1
let gOneMinusQ: f64 = 0
let gExpectedCost: f64 = 0
let gVariance: f64 = 0

// @ts-ignore: decorator
@inline function isFiniteF64(v: f64): bool {
  return v - v == 0
}

// @ts-ignore: decorator
@inline function validate(X: f64, T: f64, N: f64, sigma: f64, eta: f64, gamma: f64, eps: f64, lambda: f64): i32 {
  // `!(v > 0)` is true for NaN as well.
  if (!(X > 0) || !isFiniteF64(X)) return INVALID_SHARES
  if (!(T > 0) || !isFiniteF64(T)) return INVALID_HORIZON
  if (!(N >= 1) || !(N <= MAX_SLICES) || N != Math.floor(N)) return INVALID_SLICES
  if (!(sigma >= 0) || !isFiniteF64(sigma)) return INVALID_VOLATILITY
  if (!(eta > 0) || !isFiniteF64(eta)) return INVALID_TEMPORARY_IMPACT
  if (!(gamma >= 0) || !isFiniteF64(gamma)) return INVALID_PERMANENT_IMPACT
  if (!(eps >= 0) || !isFiniteF64(eps)) return INVALID_FIXED_COST
  if (!(lambda >= 0) || !isFiniteF64(lambda)) return INVALID_RISK_AVERSION
  return OK
}

/** Sets gTau, gEtaTilde, gKappaTilde, gKappa, gQ, gOneMinusQ for one parameter set. */
// @ts-ignore: decorator
@inline function plan(T: f64, N: i32, sigma: f64, eta: f64, gamma: f64, lambda: f64): i32 {
  const tau = T / <f64>N
  const etaTilde = eta - 0.5 * gamma * tau // η̃ = η − γτ/2 (eq. 15)
  if (!(etaTilde > 0)) return ETA_TILDE_NONPOSITIVE
  const kappaTilde = Math.sqrt(lambda * sigma * sigma / etaTilde) // κ̃² = λσ²/η̃ (eq. 19)
  if (!isFiniteF64(kappaTilde)) return NON_FINITE_RESULT
  const y = 0.5 * kappaTilde * tau
  let w: f64, wMinusOne: f64
  if (y < 1e150) {
    const s = Math.sqrt(1 + y * y)
    wMinusOne = y + y * y / (1 + s) // w − 1 = y + √(1+y²) − 1, without cancellation
    w = 1 + wMinusOne
  } else {
    w = 2 * y // √(1+y²) = y to double precision
    wMinusOne = w
  }
  if (!isFiniteF64(w)) return NON_FINITE_RESULT
  const invW = 1 / w
  gTau = tau
  gEtaTilde = etaTilde
  gKappaTilde = kappaTilde
  gKappa = 2 * Math.asinh(y) / tau // κ = (2/τ)·asinh(κ̃τ/2) (eq. 19)
  gQ = invW * invW // q = e^{−κτ}
  gOneMinusQ = (wMinusOne * invW) * ((w + 1) * invW) // 1 − q = (w−1)(w+1)/w²
  return OK
}

/**
 * E and V of the optimal trajectory without storing it: the sums over k are accumulated in the
 * order of m = N − k with the common factor q^{2(N−m)} carried by Horner's rule, so the terms are
 * exactly those of Σ x_k² and Σ n_k² over the trajectory and no q^{−m} is ever formed.
 */
// @ts-ignore: decorator
@inline function costAndVariance(X: f64, N: i32, sigma: f64, gamma: f64, eps: f64): i32 {
  const q = gQ
  const q2 = q * q
  const oneMinusQ = gOneMinusQ
  let b: f64 = 0 // b_m
  let p: f64 = 1 // q^{2m}
  let sumX2: f64 = 0 // Σ_{i≤m} q^{2(m−i)} b_i²
  let sumN2: f64 = 0 // Σ_{i≤m} q^{2(m−i)} c_i²
  let sumN: f64 = 0 // Σ_{i≤m} q^{m−i} c_i
  for (let m = 0; m < N; m++) {
    const c = oneMinusQ * b + p
    sumX2 = q2 * sumX2 + b * b
    sumN2 = q2 * sumN2 + c * c
    sumN = q * sumN + c
    b += p
    p *= q2
  }
  const scale = X / b // X/b_N
  const scale2 = scale * scale
  // E = ½γX² + εΣ|n_k| + (η̃/τ)Σn_k² (eq. 8 with n_k ≥ 0);  V = σ²Σ_{k=1..N} τx_k² (eq. 8)
  gExpectedCost = 0.5 * gamma * X * X + eps * (scale * sumN) + (gEtaTilde / gTau) * (scale2 * sumN2)
  gVariance = sigma * sigma * gTau * (scale2 * q2 * sumX2)
  if (!isFiniteF64(gExpectedCost) || !isFiniteF64(gVariance) || !isFiniteF64(gKappa)) return NON_FINITE_RESULT
  return OK
}

// --- memory ------------------------------------------------------------------------------------

/**
 * Returns a 16-byte aligned region of at least `bytes` bytes past the static data, growing memory as
 * needed, or 0 when memory cannot grow. The region is reused by every call: callers must recreate
 * their views after calling this (growth detaches them).
 */
export function reserve(bytes: usize): usize {
  const base = (__heap_base + 15) & ~(<usize>15)
  const end = base + bytes
  const have = <usize>memory.size() << 16
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16)
    if (memory.grow(pages) < 0) return 0
  }
  return base
}

// --- kernels -----------------------------------------------------------------------------------

/**
 * One optimal trajectory. Writes x_0..x_N at `holdingsPtr`, n_1..n_N at `tradesPtr` and
 * [κ, κ̃, E, V] at `scalarsPtr`. Returns a status code.
 */
export function trajectory(
  X: f64, T: f64, N: f64, sigma: f64, eta: f64, gamma: f64, eps: f64, lambda: f64,
  holdingsPtr: usize, tradesPtr: usize, scalarsPtr: usize,
): i32 {
  let status = validate(X, T, N, sigma, eta, gamma, eps, lambda)
  if (status != OK) return status
  const n = <i32>N
  status = plan(T, n, sigma, eta, gamma, lambda)
  if (status != OK) return status
  const q = gQ
  const q2 = q * q
  const oneMinusQ = gOneMinusQ
  // Pass 1, m = 0..N: b_m into holdings[N−m], c_m into trades[N−m−1] (the slot of n_{N−m}).
  let b: f64 = 0
  let p: f64 = 1
  for (let m = 0; m < n; m++) {
    store<f64>(holdingsPtr + (<usize>(n - m) << 3), b)
    store<f64>(tradesPtr + (<usize>(n - m - 1) << 3), oneMinusQ * b + p)
    b += p
    p *= q2
  }
  store<f64>(holdingsPtr, b)
  const bN = b
  // Pass 2, k = 0..N: scale by X·q^k/b_N (holdings) and X·q^{k−1}/b_N (trades).
  let qk: f64 = 1 // q^k
  store<f64>(holdingsPtr, X) // x_0 = X exactly
  let sumAbsN: f64 = 0
  let sumN2: f64 = 0
  let sumX2: f64 = 0
  for (let k = 1; k <= n; k++) {
    const tradeAt = tradesPtr + (<usize>(k - 1) << 3)
    const trade = X * (qk * load<f64>(tradeAt) / bN) // n_k
    store<f64>(tradeAt, trade)
    qk *= q
    const holdAt = holdingsPtr + (<usize>k << 3)
    const hold = X * (qk * load<f64>(holdAt) / bN) // x_k
    store<f64>(holdAt, hold)
    sumAbsN += Math.abs(trade)
    sumN2 += trade * trade
    sumX2 += hold * hold
  }
  const E = 0.5 * gamma * X * X + eps * sumAbsN + (gEtaTilde / gTau) * sumN2 // eq. 8
  const V = sigma * sigma * gTau * sumX2 // eq. 8
  if (!isFiniteF64(E) || !isFiniteF64(V) || !isFiniteF64(gKappa)) return NON_FINITE_RESULT
  store<f64>(scalarsPtr, gKappa)
  store<f64>(scalarsPtr, gKappaTilde, 8)
  store<f64>(scalarsPtr, E, 16)
  store<f64>(scalarsPtr, V, 24)
  return OK
}

// @ts-ignore: decorator
@inline function row(X: f64, T: f64, N: f64, sigma: f64, eta: f64, gamma: f64, eps: f64, lambda: f64): i32 {
  let status = validate(X, T, N, sigma, eta, gamma, eps, lambda)
  if (status != OK) return status
  const n = <i32>N
  status = plan(T, n, sigma, eta, gamma, lambda)
  if (status != OK) return status
  return costAndVariance(X, n, sigma, gamma, eps)
}

/**
 * Bulk sweep over `count` parameter sets held as struct-of-arrays f64 columns. Writes κ, E, V and an
 * i32 status per row; a bad row gets its status and NaN outputs and does not stop the others.
 * Returns the number of rows whose status is not OK.
 */
export function sweep(
  count: i32,
  sharesPtr: usize, horizonPtr: usize, slicesPtr: usize, volatilityPtr: usize,
  temporaryImpactPtr: usize, permanentImpactPtr: usize, fixedCostPtr: usize, riskAversionPtr: usize,
  kappaPtr: usize, expectedCostPtr: usize, variancePtr: usize, statusPtr: usize,
): i32 {
  let bad: i32 = 0
  for (let i = 0; i < count; i++) {
    const o = <usize>i << 3
    const status = row(
      load<f64>(sharesPtr + o), load<f64>(horizonPtr + o), load<f64>(slicesPtr + o),
      load<f64>(volatilityPtr + o), load<f64>(temporaryImpactPtr + o), load<f64>(permanentImpactPtr + o),
      load<f64>(fixedCostPtr + o), load<f64>(riskAversionPtr + o),
    )
    store<i32>(statusPtr + (<usize>i << 2), status)
    if (status == OK) {
      store<f64>(kappaPtr + o, gKappa)
      store<f64>(expectedCostPtr + o, gExpectedCost)
      store<f64>(variancePtr + o, gVariance)
    } else {
      bad++
      store<f64>(kappaPtr + o, NaN)
      store<f64>(expectedCostPtr + o, NaN)
      store<f64>(variancePtr + o, NaN)
    }
  }
  return bad
}

/**
 * Efficient frontier: one fixed parameter set, `count` risk aversions at `riskAversionPtr`. Writes κ,
 * E and V per point with the same row statuses as `sweep`; returns the number of bad points.
 */
export function frontier(
  X: f64, T: f64, N: f64, sigma: f64, eta: f64, gamma: f64, eps: f64,
  count: i32, riskAversionPtr: usize,
  kappaPtr: usize, expectedCostPtr: usize, variancePtr: usize, statusPtr: usize,
): i32 {
  let bad: i32 = 0
  for (let i = 0; i < count; i++) {
    const o = <usize>i << 3
    const status = row(X, T, N, sigma, eta, gamma, eps, load<f64>(riskAversionPtr + o))
    store<i32>(statusPtr + (<usize>i << 2), status)
    if (status == OK) {
      store<f64>(kappaPtr + o, gKappa)
      store<f64>(expectedCostPtr + o, gExpectedCost)
      store<f64>(variancePtr + o, gVariance)
    } else {
      bad++
      store<f64>(kappaPtr + o, NaN)
      store<f64>(expectedCostPtr + o, NaN)
      store<f64>(variancePtr + o, NaN)
    }
  }
  return bad
}

/** Exposed so the host can assert that both sides agree on the status table. */
export function outOfMemoryStatus(): i32 {
  return OUT_OF_MEMORY
}
