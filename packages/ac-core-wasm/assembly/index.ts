// Almgren–Chriss discrete-time optimal execution, linear impact (Almgren & Chriss 2000, §2–3).
// Paper symbols: X shares, T horizon, N slices, sigma volatility, eta temporary impact,
// gamma permanent impact, eps fixed cost, lambda risk aversion.
//
// The bulk kernels take two parameter sets per f64x2 lane pair and run stage by stage over blocks
// of 64 rows (scratch.ts):
//   0. parameters: a range check per lane (inputs in [2^−120, 2^120], zero where allowed,
//      η̃ > 2^−100·η, y = κ̃τ/2 ≤ 2^64), inside which nothing below can overflow, underflow or lose
//      digits; τ = T/N, η̃ (etaTilde.ts), y² = (σ²(τ/2)²/η̃)·λ — κ̃ itself is never squared from λσ²,
//      which overflows or underflows where κ̃ does not (eq. 19) — and the factors of E and V;
//   1–3. κτ, Σn_k²/X² and Σx_k²/X² in O(1) whatever N (unitSums.ts);
//   4. κ = κτ/τ, E = ½γX² + εX + (η̃/τ)X²·Σn_k²/X², V = σ²τX²·Σx_k²/X² (eq. 8; Σ|n_k| = X because
//      every trade of the optimal trajectory is ≥ 0);
//   5. every lane outside the range goes through careful.ts, which validates it (status) and
//      computes it with exact power-of-two scaling.
// An odd last row runs in both lanes of its pair.
//
// Memory is handed in by pointer: the kernels allocate nothing and never grow memory. The host
// (src/wasmAcCore.ts) lays out its regions past heapBase() and grows memory itself.
import { ETA_TILDE_NONPOSITIVE, MAX_SLICES, NON_FINITE_RESULT, OK, OUT_OF_MEMORY } from './status'
import { ETA_TILDE_FLOOR, etaTildeScaled, etaTildeV, exponentOf } from './etaTilde'
import { expStage, logStage, sumsStage } from './unitSums'
import { cExpectedCost, cKappa, cKappaTau, cKappaTilde, carefulRow, cVariance, validate } from './careful'
import {
  at, BLOCK, BLOCK_SCRATCH, S_A, S_FAST, S_FIXED, S_INVTAU, S_N, S_RISK, S_SN, S_SX, S_TEMP, S_Y, S_Y2,
} from './scratch'
import {
  expClamp, expFrom, expK, expm1From, expm1Reduced, expm1V, expR, expV, K, K_HALF, K_MINUS_1000, K_MINUS_1022,
  K_ONE, K_TWO, K_TWO_M1000, K_WIDE_FLOOR, kv, pow2V,
} from './vmath'

/** The fast path's range: [2^−120, 2^120] for inputs, y ≤ 2^64, and the other limits. */
const R: usize = memory.data<f64>([
  7.52316384526264e-37, // 2^−120
  1.329227995784916e36, // 2^120
  18446744073709551616.0, // 2^64
  MAX_SLICES,
  ETA_TILDE_FLOOR,
])
// @ts-ignore: decorator
@inline const RANGE_LO: f64 = 7.52316384526264e-37
// @ts-ignore: decorator
@inline const RANGE_HI: f64 = 1.329227995784916e36

// @ts-ignore: decorator
@inline function inRange(v: v128): v128 {
  return v128.and(f64x2.ge(v, kv(R, 0)), f64x2.le(v, kv(R, 1)))
}

// @ts-ignore: decorator
@inline function inRangeF64(v: f64): bool {
  return v >= RANGE_LO && v <= RANGE_HI
}

// @ts-ignore: decorator
@inline function zeroOrInRange(v: v128): v128 {
  return v128.or(inRange(v), f64x2.eq(v, f64x2.splat(0)))
}

// @ts-ignore: decorator
@inline function finite(v: v128): v128 {
  // v − v is 0 for finite v, NaN otherwise
  return f64x2.eq(f64x2.sub(v, v), f64x2.splat(0))
}

// --- stages ------------------------------------------------------------------------------------

/** Stage 0 of a sweep for pair `i` of the block: see the header. */
// @ts-ignore: decorator
@inline function sweepParams(
  i: i32, X: v128, T: v128, N: v128, sigma: v128, eta: v128, gamma: v128, eps: v128, lambda: v128,
): void {
  const base = BLOCK_SCRATCH
  const zero = f64x2.splat(0)
  const half = kv(K, K_HALF)
  let fast = v128.and(v128.and(inRange(X), inRange(T)), inRange(eta))
  fast = v128.and(fast, v128.and(v128.and(f64x2.ge(N, kv(K, K_ONE)), f64x2.le(N, kv(R, 3))),
    f64x2.eq(f64x2.nearest(N), N)))
  fast = v128.and(fast, v128.and(zeroOrInRange(sigma), zeroOrInRange(lambda)))
  fast = v128.and(fast, v128.and(v128.and(f64x2.ge(gamma, zero), f64x2.le(gamma, kv(R, 1))),
    v128.and(f64x2.ge(eps, zero), f64x2.le(eps, kv(R, 1)))))
  // τ = T/N and 1/τ = N/T from one reciprocal (T·N ≤ 2^140 in the range)
  const rTN = f64x2.div(kv(K, K_ONE), f64x2.mul(T, N))
  const tau = f64x2.mul(f64x2.mul(T, T), rTN)
  const invTau = f64x2.mul(f64x2.mul(N, N), rTN)
  const etaTilde = etaTildeV(eta, gamma, T, N, tau) // eq. 15
  fast = v128.and(fast, f64x2.gt(etaTilde, f64x2.mul(kv(R, 4), eta)))
  // y² = κ̃²τ²/4 = (σ²·(τ/2)²/η̃)·λ: inside the range this lies in [2^−1000, 2^800]
  const halfTau = f64x2.mul(half, tau)
  const sigma2 = f64x2.mul(sigma, sigma)
  const y2 = f64x2.mul(f64x2.div(f64x2.mul(sigma2, f64x2.mul(halfTau, halfTau)), etaTilde), lambda)
  const y = f64x2.sqrt(y2) // κ̃τ/2 (eq. 19)
  v128.store(at(base, S_FAST, i), v128.and(fast, f64x2.le(y, kv(R, 2))))
  v128.store(at(base, S_Y, i), y)
  v128.store(at(base, S_Y2, i), y2)
  v128.store(at(base, S_N, i), N)
  v128.store(at(base, S_INVTAU, i), invTau)
  v128.store(at(base, S_FIXED, i), f64x2.add(f64x2.mul(f64x2.mul(f64x2.mul(half, gamma), X), X), f64x2.mul(eps, X))) // ½γX² + εX
  v128.store(at(base, S_TEMP, i), f64x2.mul(f64x2.mul(f64x2.mul(etaTilde, invTau), X), X)) // (η̃/τ)X²
  v128.store(at(base, S_RISK, i), f64x2.mul(f64x2.mul(f64x2.mul(sigma2, tau), X), X)) // σ²τX²
}

function sweepParamsStage(
  rows: i32, sharesPtr: usize, horizonPtr: usize, slicesPtr: usize, volatilityPtr: usize,
  temporaryImpactPtr: usize, permanentImpactPtr: usize, fixedCostPtr: usize, riskAversionPtr: usize,
): void {
  const pairs = rows >> 1
  for (let i = 0; i < pairs; i++) {
    const o = <usize>i << 4
    sweepParams(i,
      v128.load(sharesPtr + o), v128.load(horizonPtr + o), v128.load(slicesPtr + o), v128.load(volatilityPtr + o),
      v128.load(temporaryImpactPtr + o), v128.load(permanentImpactPtr + o), v128.load(fixedCostPtr + o),
      v128.load(riskAversionPtr + o))
  }
  if (rows & 1) {
    const o = <usize>pairs << 4
    sweepParams(pairs,
      v128.load64_splat(sharesPtr + o), v128.load64_splat(horizonPtr + o), v128.load64_splat(slicesPtr + o),
      v128.load64_splat(volatilityPtr + o), v128.load64_splat(temporaryImpactPtr + o),
      v128.load64_splat(permanentImpactPtr + o), v128.load64_splat(fixedCostPtr + o),
      v128.load64_splat(riskAversionPtr + o))
  }
}

/** Stages 1–3 for the block. */
// @ts-ignore: decorator
@inline function sumsStages(rows: i32): void {
  const pairs = (rows + 1) >> 1
  logStage(BLOCK_SCRATCH, pairs)
  expStage(BLOCK_SCRATCH, pairs)
  sumsStage(BLOCK_SCRATCH, pairs)
}

/**
 * Stage 4: κ, E, V and status OK for every row; lanes found not finite join the careful ones.
 * Returns whether any row of the block needs the careful path.
 */
function composeStage(rows: i32, kappaPtr: usize, expectedCostPtr: usize, variancePtr: usize, statusPtr: usize): bool {
  const base = BLOCK_SCRATCH
  const pairs = (rows + 1) >> 1
  let all = i64x2.splat(-1)
  for (let i = 0; i < pairs; i++) {
    const invTau = v128.load(at(base, S_INVTAU, i))
    const kappa = f64x2.mul(v128.load(at(base, S_A, i)), invTau)
    const E = f64x2.add(v128.load(at(base, S_FIXED, i)), f64x2.mul(v128.load(at(base, S_TEMP, i)), v128.load(at(base, S_SN, i))))
    const V = f64x2.mul(v128.load(at(base, S_RISK, i)), v128.load(at(base, S_SX, i)))
    // inside the range E and V are finite: a guard, not a path
    const fast = v128.and(v128.load(at(base, S_FAST, i)), v128.and(finite(E), finite(V)))
    v128.store(at(base, S_FAST, i), fast)
    all = v128.and(all, 2 * i + 1 < rows ? fast : i64x2.splat(i64x2.extract_lane(fast, 0)))
    const o = <usize>i << 4
    if (2 * i + 1 < rows) {
      v128.store(kappaPtr + o, kappa)
      v128.store(expectedCostPtr + o, E)
      v128.store(variancePtr + o, V)
      store<i64>(statusPtr + (<usize>i << 3), 0)
    } else {
      store<f64>(kappaPtr + o, f64x2.extract_lane(kappa, 0))
      store<f64>(expectedCostPtr + o, f64x2.extract_lane(E, 0))
      store<f64>(variancePtr + o, f64x2.extract_lane(V, 0))
      store<i32>(statusPtr + (<usize>i << 3), OK)
    }
  }
  return !v128.all_true<i64>(all)
}

/** Row `row`'s outputs from carefulRow's status and results. */
// @ts-ignore: decorator
@inline function storeCareful(
  status: i32, row: i32, kappaPtr: usize, expectedCostPtr: usize, variancePtr: usize, statusPtr: usize,
): void {
  const o = <usize>row << 3
  const good = status == OK
  store<f64>(kappaPtr + o, good ? cKappa : NaN)
  store<f64>(expectedCostPtr + o, good ? cExpectedCost : NaN)
  store<f64>(variancePtr + o, good ? cVariance : NaN)
  store<i32>(statusPtr + (<usize>row << 2), status)
}

/** Whether row `row` of the block is not on the fast path. */
// @ts-ignore: decorator
@inline function needsCare(row: i32): bool {
  return load<i64>(at(BLOCK_SCRATCH, S_FAST, row >> 1) + (<usize>(row & 1) << 3)) == 0
}

/** Stage 5 for a sweep block: the careful path for rows outside the range. Returns the bad rows. */
function sweepCarefulStage(
  rows: i32, sharesPtr: usize, horizonPtr: usize, slicesPtr: usize, volatilityPtr: usize,
  temporaryImpactPtr: usize, permanentImpactPtr: usize, fixedCostPtr: usize, riskAversionPtr: usize,
  kappaPtr: usize, expectedCostPtr: usize, variancePtr: usize, statusPtr: usize,
): i32 {
  let bad: i32 = 0
  for (let row = 0; row < rows; row++) {
    if (!needsCare(row)) continue
    const o = <usize>row << 3
    const status = carefulRow(
      load<f64>(sharesPtr + o), load<f64>(horizonPtr + o), load<f64>(slicesPtr + o), load<f64>(volatilityPtr + o),
      load<f64>(temporaryImpactPtr + o), load<f64>(permanentImpactPtr + o), load<f64>(fixedCostPtr + o),
      load<f64>(riskAversionPtr + o),
    )
    storeCareful(status, row, kappaPtr, expectedCostPtr, variancePtr, statusPtr)
    if (status != OK) bad++
  }
  return bad
}

// --- memory ------------------------------------------------------------------------------------

/** First free byte past the static data, 16-byte aligned: the host lays its regions out from here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15)
}

// --- kernels -----------------------------------------------------------------------------------

/**
 * Bulk sweep over `count` parameter sets held as struct-of-arrays f64 columns. Writes κ, E, V and an
 * i32 status per row; a bad row gets its status and NaN outputs and does not stop the others.
 * Returns the number of rows whose status is not OK. Any pointer alignment works; 16 is fastest.
 */
export function sweep(
  count: i32,
  sharesPtr: usize, horizonPtr: usize, slicesPtr: usize, volatilityPtr: usize,
  temporaryImpactPtr: usize, permanentImpactPtr: usize, fixedCostPtr: usize, riskAversionPtr: usize,
  kappaPtr: usize, expectedCostPtr: usize, variancePtr: usize, statusPtr: usize,
): i32 {
  let bad: i32 = 0
  for (let start: i32 = 0; start < count; start += BLOCK) {
    const rows = min(BLOCK, count - start)
    const o = <usize>start << 3
    const so = <usize>start << 2
    sweepParamsStage(rows, sharesPtr + o, horizonPtr + o, slicesPtr + o, volatilityPtr + o,
      temporaryImpactPtr + o, permanentImpactPtr + o, fixedCostPtr + o, riskAversionPtr + o)
    sumsStages(rows)
    if (!composeStage(rows, kappaPtr + o, expectedCostPtr + o, variancePtr + o, statusPtr + so)) continue
    bad += sweepCarefulStage(rows, sharesPtr + o, horizonPtr + o, slicesPtr + o, volatilityPtr + o,
      temporaryImpactPtr + o, permanentImpactPtr + o, fixedCostPtr + o, riskAversionPtr + o,
      kappaPtr + o, expectedCostPtr + o, variancePtr + o, statusPtr + so)
  }
  return bad
}

/**
 * Efficient frontier: one fixed parameter set, `count` risk aversions at `riskAversionPtr`. Writes κ,
 * E and V per point with the same row statuses as `sweep`, and the same values to the bit; returns
 * the number of bad points. What does not depend on λ is computed once.
 */
export function frontier(
  X: f64, T: f64, N: f64, sigma: f64, eta: f64, gamma: f64, eps: f64,
  count: i32, riskAversionPtr: usize,
  kappaPtr: usize, expectedCostPtr: usize, variancePtr: usize, statusPtr: usize,
): i32 {
  let baseStatus = validate(X, T, N, sigma, eta, gamma, eps, 0)
  if (baseStatus == OK && !etaTildeScaled(eta, gamma, T, N)) baseStatus = ETA_TILDE_NONPOSITIVE
  if (baseStatus != OK) {
    for (let i = 0; i < count; i++) {
      const o = <usize>i << 3
      store<f64>(kappaPtr + o, NaN)
      store<f64>(expectedCostPtr + o, NaN)
      store<f64>(variancePtr + o, NaN)
      store<i32>(statusPtr + (<usize>i << 2), baseStatus)
    }
    return count
  }
  // The operations of sweepParams, once, in scalar form: the results match sweep's to the bit.
  const rTN = 1 / (T * N)
  const tau = T * T * rTN
  const invTau = N * N * rTN
  const etaTilde = f64x2.extract_lane(
    etaTildeV(f64x2.splat(eta), f64x2.splat(gamma), f64x2.splat(T), f64x2.splat(N), f64x2.splat(tau)), 0,
  )
  const baseFast = inRangeF64(X) && inRangeF64(T) && inRangeF64(eta) && (sigma == 0 || inRangeF64(sigma)) &&
    gamma <= RANGE_HI && eps <= RANGE_HI && etaTilde > ETA_TILDE_FLOOR * eta
  const halfTau = 0.5 * tau
  const sigma2 = sigma * sigma
  const cV = f64x2.splat(sigma2 * (halfTau * halfTau) / etaTilde) // y² = c·λ
  const nV = f64x2.splat(N)
  const invTauV = f64x2.splat(invTau)
  const fixedV = f64x2.splat(0.5 * gamma * X * X + eps * X)
  const temporaryV = f64x2.splat(etaTilde * invTau * X * X)
  const riskV = f64x2.splat(sigma2 * tau * X * X)
  const baseFastV = baseFast ? i64x2.splat(-1) : i64x2.splat(0)
  const base = BLOCK_SCRATCH
  let bad: i32 = 0
  for (let start: i32 = 0; start < count; start += BLOCK) {
    const rows = min(BLOCK, count - start)
    const lambdaPtr = riskAversionPtr + (<usize>start << 3)
    const pairs = (rows + 1) >> 1
    for (let i = 0; i < pairs; i++) {
      const o = <usize>i << 4
      const lambda = 2 * i + 1 < rows ? v128.load(lambdaPtr + o) : v128.load64_splat(lambdaPtr + o)
      const y2 = f64x2.mul(cV, lambda)
      const y = f64x2.sqrt(y2)
      v128.store(at(base, S_FAST, i), v128.and(baseFastV, v128.and(zeroOrInRange(lambda), f64x2.le(y, kv(R, 2)))))
      v128.store(at(base, S_Y, i), y)
      v128.store(at(base, S_Y2, i), y2)
      v128.store(at(base, S_N, i), nV)
      v128.store(at(base, S_INVTAU, i), invTauV)
      v128.store(at(base, S_FIXED, i), fixedV)
      v128.store(at(base, S_TEMP, i), temporaryV)
      v128.store(at(base, S_RISK, i), riskV)
    }
    sumsStages(rows)
    const o = <usize>start << 3
    const so = <usize>start << 2
    if (!composeStage(rows, kappaPtr + o, expectedCostPtr + o, variancePtr + o, statusPtr + so)) continue
    for (let row = 0; row < rows; row++) {
      if (!needsCare(row)) continue
      const status = carefulRow(X, T, N, sigma, eta, gamma, eps, load<f64>(lambdaPtr + (<usize>row << 3)))
      storeCareful(status, row, kappaPtr + o, expectedCostPtr + o, variancePtr + o, statusPtr + so)
      if (status != OK) bad++
    }
  }
  return bad
}

/** One row of inputs and outputs for trajectory, which runs the sweep's stages on it. */
const ONE_ROW: usize = memory.data(16 * 8, 16)

/**
 * One optimal trajectory. Writes x_0..x_N at `holdingsPtr`, n_1..n_N at `tradesPtr` and
 * [κ, κ̃, E, V] at `scalarsPtr`. Returns a status code. κ, E and V are the sweep's, to the bit.
 *
 * Each point is formed on its own (eq. 18, factored so that every factor is positive and ≤ 1):
 *   x_k = X·e^{−κτk}·(−expm1(−2κτ(N−k)))/(−expm1(−2κT)),
 *   n_k = X·e^{−κτ(k−1)}·(1 − e^{−κτ})·(1 + e^{−κτ}·e^{−2κτ(N−k)})/(−expm1(−2κT)),
 * with X's binary exponent folded into the scaling by 2^k of e^{−κτk}, so that a value is rounded once
 * even where it is subnormal. Nothing is carried from point to point, so no error accumulates along
 * the trajectory: each point is within a few u of the exact value for the computed κτ. The error of
 * κτ itself (≤ 16 u relative, measured ≤ 6 u) moves x_k by at most 16u·κτk ≈ 16u·ln(X/x_k) relative:
 * ≤ 16u·X/e ≈ 6u·X absolutely for every point, and ≤ 1e−12 relative for every x_k above X·e^{−560}
 * (measured ≤ 2e−13 relative down to the smallest normal float64).
 */
export function trajectory(
  X: f64, T: f64, N: f64, sigma: f64, eta: f64, gamma: f64, eps: f64, lambda: f64,
  holdingsPtr: usize, tradesPtr: usize, scalarsPtr: usize,
): i32 {
  const inputs = ONE_ROW
  const outputs = ONE_ROW + 64
  store<f64>(inputs, X)
  store<f64>(inputs, T, 8)
  store<f64>(inputs, N, 16)
  store<f64>(inputs, sigma, 24)
  store<f64>(inputs, eta, 32)
  store<f64>(inputs, gamma, 40)
  store<f64>(inputs, eps, 48)
  store<f64>(inputs, lambda, 56)
  sweep(1, inputs, inputs + 8, inputs + 16, inputs + 24, inputs + 32, inputs + 40, inputs + 48, inputs + 56,
    outputs, outputs + 8, outputs + 16, outputs + 24)
  const status = load<i32>(outputs + 24)
  if (status != OK) return status
  // κτ and κ̃ from the fast path's scratch, or from the careful path that just ran on this row
  const fast = !needsCare(0)
  const a = fast ? load<f64>(at(BLOCK_SCRATCH, S_A, 0)) : cKappaTau
  const kappaTilde = fast ? 2 * load<f64>(at(BLOCK_SCRATCH, S_Y, 0)) * load<f64>(at(BLOCK_SCRATCH, S_INVTAU, 0)) : cKappaTilde
  if (!(kappaTilde - kappaTilde == 0)) return NON_FINITE_RESULT // κ̃ itself overflows
  store<f64>(scalarsPtr, load<f64>(outputs))
  store<f64>(scalarsPtr, kappaTilde, 8)
  store<f64>(scalarsPtr, load<f64>(outputs + 8), 16)
  store<f64>(scalarsPtr, load<f64>(outputs + 16), 24)
  const n = <i32>N
  store<f64>(holdingsPtr, X)
  if (a == 0) {
    // λσ² = 0, or so small that the trajectory is the straight line to double precision (eq. 9)
    const trade = X / N
    for (let k = 1; k <= n; k++) {
      store<f64>(holdingsPtr + (<usize>k << 3), X * <f64>(n - k) / N)
      store<f64>(tradesPtr + (<usize>(k - 1) << 3), trade)
    }
    return OK
  }
  trajectoryPoints(X, n, a, holdingsPtr, tradesPtr)
  return OK
}

/** e^{x}·m·2^e as one rounding, for lanes x in [−1600, 0] (k, p from the reduction of x) and m < 16. */
// @ts-ignore: decorator
@inline function scaledExp(k: v128, p: v128, m: v128, e: v128): v128 {
  // e^x = 2^k·(1 + p); multiply the mantissa part, then scale by 2^(k+e) in up to two exact steps
  const kk = f64x2.add(k, e)
  const low = f64x2.lt(kk, kv(K, K_MINUS_1000))
  const k1 = v128.bitselect(f64x2.pmax(f64x2.sub(kk, kv(K, K_MINUS_1000)), kv(K, K_MINUS_1022)), kk, low)
  const f2 = v128.bitselect(kv(K, K_TWO_M1000), kv(K, K_ONE), low)
  return f64x2.mul(f64x2.mul(f64x2.mul(m, f64x2.add(kv(K, K_ONE), p)), pow2V(k1)), f2)
}

function trajectoryPoints(X: f64, n: i32, a: f64, holdingsPtr: usize, tradesPtr: usize): void {
  const one = kv(K, K_ONE)
  const zero = f64x2.splat(0)
  const N = <f64>n
  const aV = f64x2.splat(a)
  const twoA = f64x2.mul(kv(K, K_TWO), aV)
  const nV = f64x2.splat(N)
  // 1/(−expm1(−2A)), e^{−a}, 1 − e^{−a}, and X = mX·2^eX
  const invDen = f64x2.div(one, f64x2.neg(expm1V(f64x2.splat(-2 * (a * N)))))
  const q = expV(f64x2.neg(aV))
  const oneMinusQ = f64x2.neg(expm1V(f64x2.neg(aV)))
  const eX = exponentOf(X)
  const mX = f64x2.splat(NativeMath.scalbn(X, -eX))
  const eXV = f64x2.splat(<f64>eX)
  const lanes = f64x2(0, 1)
  // the reduction of −a·(k − 1), for the trades; at k − 1 = 0: e^0 = 2^0·(1 + 0)
  let prevK = zero
  let prevP = zero
  for (let k = 1; k <= n; k += 2) {
    const kV = f64x2.add(f64x2.splat(<f64>k), lanes)
    // e^{−a·k} = 2^{k1}·(1 + p1), over the wide range
    const x1 = f64x2.pmax(f64x2.neg(f64x2.mul(aV, kV)), kv(K, K_WIDE_FLOOR))
    const k1 = expK(x1)
    const p1 = expm1Reduced(expR(x1, k1))
    // e^{−2a(N−k)} and e^{−2a(N−k)} − 1
    const x2 = expClamp(f64x2.neg(f64x2.mul(twoA, f64x2.sub(nV, kV))))
    const k2 = expK(x2)
    const twoK2 = pow2V(k2)
    const p2 = expm1Reduced(expR(x2, k2))
    // x_k = X·e^{−ak}·(−expm1(−2a(N−k)))/(−expm1(−2A))   (0 − m, not −m: x_N is +0)
    const holding = scaledExp(k1, p1, f64x2.mul(mX, f64x2.mul(f64x2.sub(zero, expm1From(twoK2, p2)), invDen)), eXV)
    // n_k = X·e^{−a(k−1)}·(1 − q)·(1 + q·e^{−2a(N−k)})/(−expm1(−2A))
    const kPrev = i64x2.shuffle(prevK, k1, 1, 2)
    const pPrev = i64x2.shuffle(prevP, p1, 1, 2)
    const ratio = f64x2.mul(f64x2.mul(oneMinusQ, f64x2.add(one, f64x2.mul(q, expFrom(twoK2, p2)))), invDen)
    const trade = scaledExp(kPrev, pPrev, f64x2.mul(mX, ratio), eXV)
    prevK = k1
    prevP = p1
    const hAt = holdingsPtr + (<usize>k << 3)
    const tAt = tradesPtr + (<usize>(k - 1) << 3)
    if (k < n) {
      v128.store(hAt, holding)
      v128.store(tAt, trade)
    } else {
      store<f64>(hAt, f64x2.extract_lane(holding, 0))
      store<f64>(tAt, f64x2.extract_lane(trade, 0))
    }
  }
}

/** Exposed so the host can assert that both sides agree on the status table. */
export function outOfMemoryStatus(): i32 {
  return OUT_OF_MEMORY
}
