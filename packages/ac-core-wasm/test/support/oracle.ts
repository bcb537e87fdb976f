/**
 * The independent high-precision oracle for the tests: the Almgren–Chriss optimum for float64
 * inputs, computed exactly (η̃) or at a working precision chosen per parameter set so that at least
 * ~150 bits survive every cancellation, then rounded once to float64. It shares no code and no
 * float64 arithmetic with the kernels or the reference, only the mathematics:
 *
 *   τ = T/N, η̃ = η − γτ/2 (exact), κ̃ = σ·√(λ/η̃), y = κ̃τ/2, w = y + √(1 + y²) = e^{κτ/2},
 *   q = 1/w² = e^{−κτ}, κ = 2·ln(w)/τ, P = q^{2N} = e^{−2κT};
 *   x_k = X·q^k·(1 − q^{2(N−k)})/(1 − P)                    (eq. 18: X·sinh(κ(T−t_k))/sinh(κT))
 *   n_k = X·q^{k−1}·(1 − q)·(1 + q^{2N−2k+1})/(1 − P)         (x_{k−1} − x_k, factored)
 *   Σ_{k=1..N} x_k² = X²·[(q² + P)(1 − P)/(1 − q²) − 2NP]/(1 − P)²           (geometric sums)
 *   Σ_{k=1..N} n_k² = X²·(1 − q)²·[(1 + P)/((1 − q²)(1 − P)) + 2N·q^{2N−1}/(1 − P)²]
 *   E = ½γX² + εX + (η̃/τ)·Σn_k²,  V = σ²τ·Σx_k²  (eq. 8; Σ|n_k| = X since every n_k ≥ 0)
 *
 * `test/oracle.self.test.ts` checks the geometric-sum forms against direct high-precision sums of
 * the paper's sinh ratio, and the whole oracle against the paper's 50-digit worked example.
 */
import { SweepStatus, type AcParams } from '../../src/index.js'
import { BigFloatContext, exactAdd, exactMul, fromNumber, log2Magnitude, toNumber, type BigFloat } from './bigFloat.js'

export type OracleParams = AcParams

export interface OracleResult {
  /** OK, or ETA_TILDE_NONPOSITIVE. (Validation of the fields themselves is not the oracle's job.) */
  readonly status: number
  readonly kappa: number
  readonly kappaTilde: number
  readonly expectedCost: number
  readonly variance: number
  /** κT, as a float64 (for choosing regimes in tests). */
  readonly kappaT: number
  /** The working precision chosen, in bits. */
  readonly bits: number
  /** x_k and n_k, rounded to float64. */
  holding(k: number): number
  trade(k: number): number
}

const ONE: BigFloat = { man: 1n, exp: 0 }

export function oracle(p: OracleParams): OracleResult {
  const N = p.slices
  const X = fromNumber(p.shares)
  const T = fromNumber(p.horizon)
  const sigma = fromNumber(p.volatility)
  const eta = fromNumber(p.temporaryImpact)
  const gamma = fromNumber(p.permanentImpact ?? 0)
  const eps = fromNumber(p.fixedCost ?? 0)
  const lambda = fromNumber(p.riskAversion)
  const twoN: BigFloat = { man: BigInt(2 * N), exp: 0 }

  // η̃·2N = 2Nη − γT, exactly.
  const etaTilde2N = exactAdd(exactMul(twoN, eta), exactMul({ man: -gamma.man, exp: gamma.exp }, T))
  if (etaTilde2N.man <= 0n) {
    const nan = () => NaN
    return {
      status: SweepStatus.ETA_TILDE_NONPOSITIVE,
      kappa: NaN,
      kappaTilde: NaN,
      expectedCost: NaN,
      variance: NaN,
      kappaT: NaN,
      bits: 0,
      holding: nan,
      trade: nan,
    }
  }
  // y and its factors have no cancellation: 320 bits are plenty.
  const c0 = new BigFloatContext(320)
  const etaTilde = c0.div(etaTilde2N, twoN)
  const tau = c0.div(T, { man: BigInt(N), exp: 0 })
  const straight = sigma.man === 0n || lambda.man === 0n
  const kappaTilde = straight ? fromNumber(0) : c0.mul(sigma, c0.sqrt(c0.div(lambda, etaTilde)))
  const yHalf = c0.mul(kappaTilde, tau)
  const y = { man: yHalf.man, exp: yHalf.exp - 1 }

  // Cancellation in 1 − q (≈ κτ), 1 − P (≈ 2κT) and in Σx_k² (≈ (κT)² relative) costs that many bits,
  // q^{2N} by squaring another log2(2N): add them to the 200 bits kept.
  const bits = straight ? bitsFor(ONE, N) : bitsFor(y, N)
  const c = new BigFloatContext(bits)

  const X2 = c.mul(X, X)
  const fixed = c.add(c.mul({ man: gamma.man, exp: gamma.exp - 1 }, X2), c.mul(eps, X)) // ½γX² + εX
  const temporary = c.div(etaTilde, tau) // η̃/τ
  const risk = c.mul(c.mul(sigma, sigma), tau) // σ²τ

  const Nb = c.int(N)
  const toF = toNumber
  if (straight) {
    // λσ² = 0: the straight line x_k = X(N − k)/N, eq. 9–11
    const sumX2 = c.div(c.mul(c.mul(c.sub(Nb, ONE), c.sub(c.mul(c.int(2), Nb), ONE)), X2), c.int(6 * N))
    return {
      status: SweepStatus.OK,
      kappa: 0,
      kappaTilde: 0,
      kappaT: 0,
      bits,
      expectedCost: toF(c.add(fixed, c.div(c.mul(temporary, X2), Nb))),
      variance: toF(c.mul(risk, sumX2)),
      holding: (k) => toF(c.div(c.mul(X, c.int(N - k)), Nb)),
      trade: () => toF(c.div(X, Nb)),
    }
  }

  const { w, q, oneMinusQ, oneMinusP, sumX2Unit, sumN2Unit } = geometricSums(c, y, N)
  const a = c.mul(c.int(2), c.log1p(c.sub(w, ONE))) // κτ
  const kappa = c.div(a, tau)
  return {
    status: SweepStatus.OK,
    kappa: toF(kappa),
    kappaTilde: toF(kappaTilde),
    kappaT: toF(c.mul(a, Nb)),
    bits,
    expectedCost: toF(c.add(fixed, c.mul(c.mul(temporary, X2), sumN2Unit))),
    variance: toF(c.mul(c.mul(risk, X2), sumX2Unit)),
    holding: (k) =>
      k === N ? 0 : toF(c.div(c.mul(c.mul(X, c.pow(q, k)), c.sub(ONE, c.pow(q, 2 * (N - k)))), oneMinusP)),
    trade: (k) =>
      toF(
        c.div(c.mul(c.mul(c.mul(X, c.pow(q, k - 1)), oneMinusQ), c.add(ONE, c.pow(q, 2 * N - 2 * k + 1))), oneMinusP),
      ),
  }
}

/**
 * The same quantities straight from the paper's sinh ratio (eq. 18), term by term at high precision,
 * with sinh(κτm) = (w^{2m} − w^{−2m})/2 and n_k = x_{k−1} − x_k. For checking the oracle's
 * geometric-sum forms at small N; `bits` must cover the cancellation in w^{2m} − w^{−2m}.
 */
export function directSums(
  p: OracleParams,
  bits: number,
): { expectedCost: number; variance: number; holdings: number[]; trades: number[] } {
  const c = new BigFloatContext(bits)
  const N = p.slices
  const X = fromNumber(p.shares)
  const gamma = fromNumber(p.permanentImpact ?? 0)
  const twoN: BigFloat = { man: BigInt(2 * N), exp: 0 }
  const T = fromNumber(p.horizon)
  const etaTilde = c.div(
    exactAdd(exactMul(twoN, fromNumber(p.temporaryImpact)), exactMul({ man: -gamma.man, exp: gamma.exp }, T)),
    twoN,
  )
  const tau = c.div(T, c.int(N))
  const sigma = fromNumber(p.volatility)
  const kappaTilde = c.mul(sigma, c.sqrt(c.div(fromNumber(p.riskAversion), etaTilde)))
  const y = c.div(c.mul(kappaTilde, tau), c.int(2))
  const w = c.add(y, c.sqrt(c.add(ONE, c.mul(y, y))))
  const sinhM = (m: number) => c.sub(c.pow(w, 2 * m), c.div(ONE, c.pow(w, 2 * m))) // 2·sinh(κτm)
  const denominator = sinhM(N)
  const x = Array.from({ length: N + 1 }, (_, k) => c.div(c.mul(X, sinhM(N - k)), denominator))
  let sumX2 = c.int(0)
  let sumN2 = c.int(0)
  let sumN = c.int(0)
  const n: BigFloat[] = []
  for (let k = 1; k <= N; k++) {
    sumX2 = c.add(sumX2, c.mul(x[k]!, x[k]!))
    n.push(c.sub(x[k - 1]!, x[k]!))
    sumN = c.add(sumN, n[k - 1]!)
    sumN2 = c.add(sumN2, c.mul(n[k - 1]!, n[k - 1]!))
  }
  const half = { man: gamma.man, exp: gamma.exp - 1 }
  const E = c.add(
    c.add(c.mul(half, c.mul(X, X)), c.mul(fromNumber(p.fixedCost ?? 0), sumN)),
    c.mul(c.div(etaTilde, tau), sumN2),
  )
  const V = c.mul(c.mul(c.mul(sigma, sigma), tau), sumX2)
  return { expectedCost: toNumber(E), variance: toNumber(V), holdings: x.map(toNumber), trades: n.map(toNumber) }
}

/** Working precision for y and N: 200 bits plus what the cancellations and q^{2N} cost. */
function bitsFor(y: BigFloat, N: number): number {
  const log2a = Math.min(0, log2Magnitude(y) + 1)
  const log2A = Math.min(0, log2a + Math.log2(N))
  return 200 + Math.ceil(-log2a) + 2 * Math.ceil(-log2A) + Math.ceil(Math.log2(2 * N)) + 16
}

/** w = e^{κτ/2}, q = e^{−κτ} and the geometric-sum forms of Σx_k²/X² and Σn_k²/X² for y > 0. */
function geometricSums(c: BigFloatContext, y: BigFloat, N: number) {
  const w = c.add(y, c.sqrt(c.add(ONE, c.mul(y, y))))
  const q = c.div(ONE, c.mul(w, w))
  const oneMinusQ = c.sub(ONE, q)
  const q2 = c.mul(q, q)
  const oneMinusQ2 = c.sub(ONE, q2)
  const P = c.pow(q, 2 * N)
  const oneMinusP = c.sub(ONE, P)
  const oneMinusP2 = c.mul(oneMinusP, oneMinusP)
  const twoNP = c.mul(c.int(2 * N), P)
  // N = 1: x_1 = 0, and the closed form would leave a residue of the working precision
  const sumX2Unit =
    N === 1 ? c.int(0) : c.div(c.sub(c.div(c.mul(c.add(q2, P), oneMinusP), oneMinusQ2), twoNP), oneMinusP2)
  const sumN2Unit = c.mul(
    c.mul(oneMinusQ, oneMinusQ),
    c.add(c.div(c.add(ONE, P), c.mul(oneMinusQ2, oneMinusP)), c.div(c.div(twoNP, q), oneMinusP2)),
  )
  return { w, q, oneMinusQ, oneMinusP, sumX2Unit, sumN2Unit }
}
