// The scalar path for a parameter set the SIMD path does not take: an invalid one (it gets its
// status), or one with an input outside [2^−120, 2^120], η̃ cancelled far below η, or y = κ̃τ/2 beyond
// 2^64. Products are formed on mantissas in [1, 2) with the binary exponents carried as integers
// (exact scaling by powers of two), so no intermediate overflows or underflows: a result is
// NON_FINITE_RESULT only when it really exceeds float64, and underflows only when it really is that
// small. The dimensionless sums come from the same unitSums as the SIMD path, or, outside its range:
//   y ≥ 2^64: κτ = 2·ln(2y) (asinh(y) − ln(2y) < 2^−130), S_n = 1 and S_x = 1/(16y⁴) to within 2^−100
//             (the corrections are O(1/y²) and O(N·y^{−4}) relative, see unitSums.ts);
//   y < 2^−600: the straight line to within (κT)² < 2^−1150, and κ = κ̃ (κτ = 2·asinh(y) = 2y).
import {
  OK, INVALID_SHARES, INVALID_HORIZON, INVALID_SLICES, INVALID_VOLATILITY, INVALID_TEMPORARY_IMPACT,
  INVALID_PERMANENT_IMPACT, INVALID_FIXED_COST, INVALID_RISK_AVERSION, ETA_TILDE_NONPOSITIVE,
  NON_FINITE_RESULT, MAX_SLICES,
} from './status'
import { etaTildeScaled, exponentOf, gEtaTildeExp, gEtaTildeMant } from './etaTilde'
import { uKappaTau, uSumN2, uSumX2, unitSumsScalar } from './unitSums'

/** Results of the last carefulRow call (valid when it returned OK). */
export let cKappa: f64 = 0
export let cExpectedCost: f64 = 0
export let cVariance: f64 = 0
/** κτ, or 0 where the trajectory is the straight line to double precision. */
export let cKappaTau: f64 = 0
export let cKappaTilde: f64 = 0

// @ts-ignore: decorator
@inline const LN2: f64 = 0.6931471805599453

// @ts-ignore: decorator
@inline function isFiniteF64(v: f64): bool {
  return v - v == 0
}

/** The rules of src/validate.ts, in the same order: the first failing field's status. */
export function validate(X: f64, T: f64, N: f64, sigma: f64, eta: f64, gamma: f64, eps: f64, lambda: f64): i32 {
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

/** x·2^−⌊log2 x⌋ in [1, 2), for finite x > 0. */
// @ts-ignore: decorator
@inline function mantissaOf(x: f64, e: i32): f64 {
  return NativeMath.scalbn(x, -e)
}

/** m1·2^e1 + m2·2^e2 + m3·2^e3 for m_i ≥ 0 of moderate size, as one float64 (rounded once at the end). */
function sumScaled(m1: f64, e1: i32, m2: f64, e2: i32, m3: f64, e3: i32): f64 {
  let top: i32 = i32.MIN_VALUE
  if (m1 > 0 && e1 > top) top = e1
  if (m2 > 0 && e2 > top) top = e2
  if (m3 > 0 && e3 > top) top = e3
  if (top == i32.MIN_VALUE) return 0
  // terms more than 2^1100 below the largest underflow to 0 here: negligible
  const s = NativeMath.scalbn(m1, max(e1 - top, -1100)) + NativeMath.scalbn(m2, max(e2 - top, -1100)) +
    NativeMath.scalbn(m3, max(e3 - top, -1100))
  return NativeMath.scalbn(s, top)
}

/** One parameter set on the careful path. Sets cKappa, cExpectedCost, cVariance, cKappaTau, cKappaTilde. */
export function carefulRow(X: f64, T: f64, N: f64, sigma: f64, eta: f64, gamma: f64, eps: f64, lambda: f64): i32 {
  const status = validate(X, T, N, sigma, eta, gamma, eps, lambda)
  if (status != OK) return status
  if (!etaTildeScaled(eta, gamma, T, N)) return ETA_TILDE_NONPOSITIVE
  // η̃ = mEt·2^eEt, X = mX·2^eX, τ = T/N = mTau·2^eT (mTau in (2^−20, 2))
  const eEt0 = exponentOf(gEtaTildeMant)
  const mEt = mantissaOf(gEtaTildeMant, eEt0)
  const eEt = gEtaTildeExp + eEt0
  const eX = exponentOf(X)
  const mX = mantissaOf(X, eX)
  const eT = exponentOf(T)
  const mTau = mantissaOf(T, eT) / N

  let kappaTau: f64 = 0
  let sumN2: f64
  let sumX2M: f64
  let sumX2E: i32 = 0
  let kappa: f64 = 0
  let kappaTilde: f64 = 0
  if (sigma == 0 || lambda == 0) {
    unitSumsScalar(0, N) // the straight line
    sumN2 = uSumN2
    sumX2M = uSumX2
  } else {
    // κ̃ = σ·√λ/√η̃ on mantissas, with the exponents of λ and η̃ made even
    const eS = exponentOf(sigma)
    const mS = mantissaOf(sigma, eS)
    let eL = exponentOf(lambda)
    let mL = mantissaOf(lambda, eL)
    if (eL & 1) {
      mL *= 2
      eL -= 1
    }
    let mE = mEt
    let eE = eEt
    if (eE & 1) {
      mE *= 2
      eE -= 1
    }
    const ktM = mS * Math.sqrt(mL) / Math.sqrt(mE)
    const ktE = eS + (eL >> 1) - (eE >> 1)
    kappaTilde = NativeMath.scalbn(ktM, ktE)
    // y = κ̃τ/2 = yM·2^yE with yM in [1, 2)
    const yRaw = ktM * mTau * 0.5
    const eY = exponentOf(yRaw)
    const yM = mantissaOf(yRaw, eY)
    const yE = ktE + eT + eY
    if (yE >= 64) {
      kappaTau = 2 * (Math.log(yM) + <f64>(yE + 1) * LN2) // 2·ln(2y)
      sumN2 = 1
      if (N == 1) {
        sumX2M = 0
      } else {
        sumX2M = 0.0625 / (yM * yM * yM * yM)
        sumX2E = -4 * yE
      }
      kappa = NativeMath.scalbn(kappaTau / mTau, -eT)
    } else if (yE < -600) {
      unitSumsScalar(0, N)
      sumN2 = uSumN2
      sumX2M = uSumX2
      kappa = kappaTilde // κτ = 2·asinh(y) = 2y to double precision, so κ = κ̃
    } else {
      unitSumsScalar(NativeMath.scalbn(yM, yE), N)
      kappaTau = uKappaTau
      sumN2 = uSumN2
      sumX2M = uSumX2
      kappa = NativeMath.scalbn(kappaTau / mTau, -eT)
    }
  }

  // E = ½γX² + εX + (η̃/τ)·X²·S_n (eq. 8)
  const eG = gamma > 0 ? exponentOf(gamma) : 0
  const eEps = eps > 0 ? exponentOf(eps) : 0
  const E = sumScaled(
    gamma > 0 ? 0.5 * mantissaOf(gamma, eG) * mX * mX : 0, eG + 2 * eX,
    eps > 0 ? mantissaOf(eps, eEps) * mX : 0, eEps + eX,
    mEt / mTau * mX * mX * sumN2, eEt - eT + 2 * eX,
  )
  // V = σ²τ·X²·S_x (eq. 8)
  let V: f64 = 0
  if (sigma > 0 && sumX2M > 0) {
    const eS = exponentOf(sigma)
    const mS = mantissaOf(sigma, eS)
    V = NativeMath.scalbn(mS * mS * mTau * mX * mX * sumX2M, 2 * eS + eT + 2 * eX + sumX2E)
  }
  if (!isFiniteF64(kappa) || !isFiniteF64(E) || !isFiniteF64(V)) return NON_FINITE_RESULT
  cKappa = kappa
  cExpectedCost = E
  cVariance = V
  cKappaTau = kappaTau
  cKappaTilde = kappaTilde
  return OK
}
