// Σn_k² and Σx_k² of the optimal trajectory in O(1), per lane, for y = κ̃τ/2 and N slices.
//
// Notation: a = κτ = 2·asinh(y) (eq. 19), A = κT = N·a, s = √(1+y²) = cosh(a/2), t = y/s = tanh(a/2),
// w = y + s = e^{a/2}, y = sinh(a/2), P = e^{−2A}. Holdings (eq. 18) x_k = X·sinh(a(N−k))/sinh(A).
//
// E needs S_n = Σ_{k=1..N} n_k²/X². With n_k = 2X·sinh(a/2)·cosh(a(N−k+½))/sinh(A) and the sums of
// cosh over an arithmetic progression,
//     S_n = t·coth(A) + 2N·y²/sinh²(A) = t·(1+P)/(1−P) + 2N·(2y·e^{−A}/(1−P))²          (one formula)
// with 1 − P = −expm1(−A)·(1 + e^{−A}): every term and factor is positive, so nothing cancels at any κT.
// (The paper's form, with sinh(2A)/sinh²(A), overflows past κT ≈ 355.)
//
// V needs S_x = Σ_{k=1..N} x_k²/X² = Σ_{j=0}^{N−1} sinh²(aj)/sinh²(A), whose closed form subtracts nearly
// equal quantities when κT is small (cancellation ~ 1/(κT)²) and overflows when κT is large. Two forms,
// switched at κT = 1 (a select per lane):
//
// L, κT ≥ 1: geometric sums in q = e^{−a} = 1/w² and P:
//     S_x = (1/w² + (e^{−A}·w)²)/(4ys·(1−P)) − 2N·P/(1−P)²,   using 1 − q² = 4ys/w².
//   The subtraction is the only cancellation: the second term is at most r = 0.786 of the first (at N = 2,
//   κT → 1⁺; r falls with κT and with N, measured on a grid of N ≥ 2, κT ≥ 1), a condition number
//   (1+r)/(1−r) ≤ 8.4. Nothing overflows: e^{−A}·w = e^{−(N−½)a} ≤ 1.
//
// S, κT < 1: with D = 2Σ_{j<N} sinh²(aj) = ½·sinh(2A)·coth(a) − sinh²(A) − N, and N = A/a,
//     D/A² = ½·(sinh(2A) − 2A)/A² · coth(a) + (coth(a) − 1/a)/A − g(A)²,   g(u) = sinh(u)/u,
//     S_x = (D/A²)/(2·g(A)²),
//   where the two series are of positive terms:
//     (sinh(2A) − 2A)/A² = 8A·Σ_{j≥0} (4A²)^j/(2j+3)!      (11 terms: the tail is < 3e−19 relative for 4A² < 4)
//     (coth(a) − 1/a)/A  = C(a²)/(N·g(a)),  C(v) = Σ_{n≥1} 2n·v^{n−1}/(2n+1)!   (8 terms: a = A/N < ½, tail < 1e−20)
//   and coth(a) = (1+2y²)/(2ys), g(a) = 2ys/a, g(A) = (1−P)/(2A·e^{−A}) are algebraic in y and the
//   exponentials. The one subtraction, of g(A)² ≈ 1 from T1 + T2 ≈ 2N/3 + 1/(3N), has condition number
//   ≤ 6.1 (N = 2, κT → 1⁻; 5 as κT → 0).
//
// Error bounds. u = 2^−53; first order, for the lane's y and N as given. An elementary operation adds
// ≤ 1 u, log1pV and the exponentials ≤ 2 u (vmath.ts). Along the stages: s ≤ 2 u, t ≤ 12 u, z ≤ 14 u,
// κτ ≤ 16 u, κT ≤ 17 u, e^{−κT} ≤ 2 u + 17u·κT (the exponent's own error), −expm1(−κT) ≤ 19 u,
// 1/(1 − P) ≤ 28 u, h = κT·e^{−κT}/(1 − P) ≤ 66 u for κT < 1.
//   S_n: positive terms, so the bound is the worst factor's, weighted; e^{−κT}'s κT-proportional error
//        enters only through P and (2y·e^{−κT})², whose weights fall like κT·e^{−2κT}:  ≤ 60 u.
//   S_x, L: terms ≤ 101 u and ≤ 98 u, times the condition number at κT = 1:          ≤ 850 u,
//        falling to ≤ 270 u by κT = 2 and ≤ 110 u for κT ≥ 5.
//   S_x, S: T1 + T2 − g(A)² times 2h², the error of h² (≤ 133 u) times the condition:  ≤ 850 u.
// So E and V are within ~1e−13 of exact at worst (the contract is 1e−12). These bounds add every error
// with the same sign; measured against the high-precision oracle through the whole pipeline, the worst
// cases are ≤ 29 u for S_x (N = 2 at the switch, ≤ 12 u for N ≥ 10) and ≤ 8 u for S_n
// (test/regimes.test.ts asserts the bounds on both sides of every switch; test/accuracy.test.ts
// holds random sets over the whole range to 2^−45 ≈ 256 u as a regression guard).
//
// Special lanes: N = 1 gives S_x = 0 and S_n = 1 exactly (one trade of X); y = 0 (λσ² = 0) gives the
// straight line, S_n = 1/N and S_x = (N−1)(2N−1)/(6N) (eq. 9–11), and a = 0.
//
// The computation runs as three stages over a scratch area (scratch.ts): logStage (y → κτ),
// expStage (κT → e^{−κT}, 1/(1 − e^{−2κT})) and sumsStage (→ S_n, S_x).
import {
  expClamp, expFrom, expK, expm1From, expm1Reduced, expR, K, K_EIGHT, K_FOUR, K_HALF, K_ONE, K_SIX, K_TWO, kv,
  log1pV, pow2V,
} from './vmath'
import {
  at, PAIR_SCRATCH, S_A, S_EM, S_INV, S_N, S_S, S_SN, S_SX, S_T, S_Y, S_Y2, S_Z,
} from './scratch'

/** κT at which S_x moves from the series form S to the form L. */
// @ts-ignore: decorator
@inline export const REGIME_SWITCH: f64 = 1.0

/** 1/(2j+3)!, j = 10 … 0: (sinh(2A) − 2A)/(8A³) = Σ_j (4A²)^j/(2j+3)!. */
const SHS_C: usize = memory.data<f64>([
  3.8681701706306835e-23, 1.9572941063391263e-20, 8.22063524662433e-18, 2.8114572543455206e-15,
  7.647163731819816e-13, 1.6059043836821613e-10, 2.505210838544172e-8, 2.7557319223985893e-6,
  1.984126984126984e-4, 8.333333333333333e-3, 1.6666666666666666e-1,
])

/** 2n/(2n+1)!, n = 8 … 1: C(v) = (a·cosh a − sinh a)/a³ = Σ_n 2n·v^{n−1}/(2n+1)! at v = a². */
const COTH_C: usize = memory.data<f64>([
  4.498331606952833e-14, 1.0706029224547743e-11, 1.9270852604185937e-9, 2.505210838544172e-7,
  2.2045855379188714e-5, 1.1904761904761906e-3, 3.333333333333333e-2, 3.333333333333333e-1,
])

const U_C: usize = memory.data<f64>([REGIME_SWITCH])

/** Σ_{j=0}^{10} v^j/(2j+3)! by Estrin's scheme (positive terms for v ≥ 0: ≤ 4 u). */
// @ts-ignore: decorator
@inline function shsSeries(v: v128): v128 {
  const v2 = f64x2.mul(v, v)
  const v4 = f64x2.mul(v2, v2)
  const v8 = f64x2.mul(v4, v4)
  const q0 = f64x2.add(kv(SHS_C, 10), f64x2.mul(kv(SHS_C, 9), v)) // 1/3! + v/5!
  const q1 = f64x2.add(kv(SHS_C, 8), f64x2.mul(kv(SHS_C, 7), v))
  const q2 = f64x2.add(kv(SHS_C, 6), f64x2.mul(kv(SHS_C, 5), v))
  const q3 = f64x2.add(kv(SHS_C, 4), f64x2.mul(kv(SHS_C, 3), v))
  const q4 = f64x2.add(kv(SHS_C, 2), f64x2.mul(kv(SHS_C, 1), v))
  const s0 = f64x2.add(q0, f64x2.mul(q1, v2))
  const s1 = f64x2.add(q2, f64x2.mul(q3, v2))
  const s2 = f64x2.add(q4, f64x2.mul(kv(SHS_C, 0), v2)) // … + v^10/23!
  return f64x2.add(f64x2.add(s0, f64x2.mul(s1, v4)), f64x2.mul(s2, v8))
}

/** C(v) = Σ_{n=1}^{8} 2n·v^{n−1}/(2n+1)! by Estrin's scheme (positive terms: ≤ 4 u). */
// @ts-ignore: decorator
@inline function cothSeries(v: v128): v128 {
  const v2 = f64x2.mul(v, v)
  const v4 = f64x2.mul(v2, v2)
  const q0 = f64x2.add(kv(COTH_C, 7), f64x2.mul(kv(COTH_C, 6), v)) // 1/3 + v/30
  const q1 = f64x2.add(kv(COTH_C, 5), f64x2.mul(kv(COTH_C, 4), v))
  const q2 = f64x2.add(kv(COTH_C, 3), f64x2.mul(kv(COTH_C, 2), v))
  const q3 = f64x2.add(kv(COTH_C, 1), f64x2.mul(kv(COTH_C, 0), v))
  return f64x2.add(f64x2.add(q0, f64x2.mul(q1, v2)), f64x2.mul(f64x2.add(q2, f64x2.mul(q3, v2)), v4))
}

/**
 * Stage 1 for `pairs` pairs of a scratch area: from y = κ̃τ/2 (S_Y, in {0} ∪ [2^−600, 2^64]) and y²
 * (S_Y2, to a few u) to κτ = 2·asinh(y) (S_A), tanh(κτ/2) (S_T), e^{κτ/2} − 1 (S_Z), cosh(κτ/2) (S_S).
 */
export function logStage(base: usize, pairs: i32): void {
  const one = kv(K, K_ONE)
  for (let i = 0; i < pairs; i++) {
    const y = v128.load(at(base, S_Y, i))
    const y2 = v128.load(at(base, S_Y2, i))
    const s = f64x2.sqrt(f64x2.add(one, y2)) // cosh(a/2)
    const onePlusS = f64x2.add(one, s)
    const r = f64x2.div(one, f64x2.mul(s, onePlusS)) // 1/(s(1+s)): gives 1/s and 1/(1+s)
    v128.store(at(base, S_S, i), s)
    v128.store(at(base, S_T, i), f64x2.mul(f64x2.mul(y, onePlusS), r)) // tanh(a/2) = y/s
    const z = f64x2.add(y, f64x2.mul(f64x2.mul(y2, s), r)) // w − 1 = e^{a/2} − 1 = y + y²/(1+s), no cancellation
    v128.store(at(base, S_Z, i), z)
    // κτ = 2·asinh(y) = 2·ln(1 + z) (eq. 19); 0 where y = 0. (No shortcut for small z: a variant
    // chosen per pair would make a row's result depend on its neighbour; every branch here and in the
    // other stages computes each lane as if it were alone, so results do not depend on row order.)
    v128.store(at(base, S_A, i), f64x2.mul(kv(K, K_TWO), log1pV(z)))
  }
}

/** Stage 2: e^{−κT} (S_EM) and 1/(1 − e^{−2κT}) (S_INV) from κτ and N (S_N). */
export function expStage(base: usize, pairs: i32): void {
  const one = kv(K, K_ONE)
  for (let i = 0; i < pairs; i++) {
    const negA = expClamp(f64x2.neg(f64x2.mul(v128.load(at(base, S_N, i)), v128.load(at(base, S_A, i)))))
    const k = expK(negA)
    const twoK = pow2V(k)
    const p = expm1Reduced(expR(negA, k))
    const em = expFrom(twoK, p) // e^{−A}
    v128.store(at(base, S_EM, i), em)
    // 1 − e^{−2A} = −expm1(−A)·(1 + e^{−A})
    v128.store(at(base, S_INV, i), f64x2.div(one, f64x2.mul(f64x2.neg(expm1From(twoK, p)), f64x2.add(one, em))))
  }
}

/** Stage 3: S_n = Σn_k²/X² (S_SN) and S_x = Σx_k²/X² (S_SX). */
export function sumsStage(base: usize, pairs: i32): void {
  const one = kv(K, K_ONE)
  const zero = f64x2.splat(0)
  for (let i = 0; i < pairs; i++) {
    const y = v128.load(at(base, S_Y, i))
    const n = v128.load(at(base, S_N, i))
    const a = v128.load(at(base, S_A, i))
    const em = v128.load(at(base, S_EM, i))
    const inv = v128.load(at(base, S_INV, i))
    const A = f64x2.mul(n, a) // κT
    const P = f64x2.mul(em, em)
    const twoN = f64x2.add(n, n)

    // S_n = t·(1+P)/(1−P) + 2N·(2y·e^{−A}/(1−P))²
    const v = f64x2.mul(f64x2.mul(f64x2.add(y, y), em), inv)
    let sumN2 = f64x2.add(
      f64x2.mul(f64x2.mul(v128.load(at(base, S_T, i)), f64x2.add(one, P)), inv),
      f64x2.mul(twoN, f64x2.mul(v, v)),
    )

    const large = f64x2.ge(A, kv(U_C, 0))
    const isOne = f64x2.eq(n, one)
    let sumX2L = zero
    let sumX2S = zero
    if (v128.any_true(v128.andnot(large, isOne))) {
      // L: (1 + (e^{−A}w²)²)/((1−P)·4ys·w²) − 2N·P/(1−P)²   (= (1/w² + (e^{−A}w)²)/(4ys(1−P)) − …)
      const w = f64x2.add(one, v128.load(at(base, S_Z, i)))
      const w2 = f64x2.mul(w, w)
      const emw2 = f64x2.mul(em, w2) // e^{−(N−1)a} ≤ 1
      const ys = f64x2.mul(y, v128.load(at(base, S_S, i)))
      const first = f64x2.div(
        f64x2.mul(f64x2.add(one, f64x2.mul(emw2, emw2)), inv),
        f64x2.mul(f64x2.mul(kv(K, K_FOUR), ys), w2),
      )
      sumX2L = f64x2.sub(first, f64x2.mul(f64x2.mul(twoN, P), f64x2.mul(inv, inv)))
    }
    if (v128.any_true(v128.not(v128.or(large, isOne)))) {
      // S: D/A² = ½·shs(2A)/A²·coth(a) + C(a²)·a/(N·sinh a) − g(A)², S_x = (D/A²)/(2g(A)²),
      // with d = 1/(N·sinh a), coth(a) = (1 + 2y²)·N·d and h = A·e^{−A}/(1−P) = 1/(2g(A)), so that
      // g(A)² = 1/(4h²); d and g(A)² come from one reciprocal, q = 1/(N·sinh a·4h²)
      const y2 = v128.load(at(base, S_Y2, i))
      const ys = f64x2.mul(y, v128.load(at(base, S_S, i)))
      const shsOverA2 = f64x2.mul(f64x2.mul(kv(K, K_EIGHT), A), shsSeries(f64x2.mul(kv(K, K_FOUR), f64x2.mul(A, A))))
      const h = f64x2.mul(f64x2.mul(em, A), inv)
      const h2 = f64x2.mul(h, h)
      const nSinhA = f64x2.mul(f64x2.add(ys, ys), n)
      const fourH2 = f64x2.mul(kv(K, K_FOUR), h2)
      const q = f64x2.div(one, f64x2.mul(nSinhA, fourH2))
      const d = f64x2.mul(fourH2, q)
      const cothA = f64x2.mul(f64x2.mul(f64x2.add(one, f64x2.add(y2, y2)), n), d)
      const dOverA2 = f64x2.sub(
        f64x2.add(f64x2.mul(f64x2.mul(kv(K, K_HALF), shsOverA2), cothA), f64x2.mul(f64x2.mul(cothSeries(f64x2.mul(a, a)), a), d)),
        f64x2.mul(nSinhA, q), // g(A)²
      )
      sumX2S = f64x2.mul(dOverA2, f64x2.add(h2, h2))
    }
    let sumX2 = v128.bitselect(sumX2L, sumX2S, large)
    sumX2 = v128.andnot(sumX2, isOne) // N = 1: no holding after the first trade
    sumN2 = v128.bitselect(one, sumN2, isOne)

    // y = 0: the straight line (eq. 9–11)
    const straight = f64x2.eq(y, zero)
    if (v128.any_true(straight)) {
      const line = f64x2.div(
        f64x2.mul(f64x2.sub(n, one), f64x2.sub(twoN, one)),
        f64x2.mul(kv(K, K_SIX), n),
      )
      sumN2 = v128.bitselect(f64x2.div(one, n), sumN2, straight)
      sumX2 = v128.bitselect(line, sumX2, straight)
    }
    v128.store(at(base, S_SN, i), sumN2)
    v128.store(at(base, S_SX, i), sumX2)
  }
}

/** κτ, S_n and S_x of the last unitSumsScalar call. */
export let uKappaTau: f64 = 0
export let uSumN2: f64 = 0
export let uSumX2: f64 = 0

/** The three stages for one y and N, in PAIR_SCRATCH (usable while a block is in flight). */
export function unitSumsScalar(y: f64, n: f64): void {
  const base = PAIR_SCRATCH
  v128.store(at(base, S_Y, 0), f64x2.splat(y))
  v128.store(at(base, S_Y2, 0), f64x2.splat(y * y))
  v128.store(at(base, S_N, 0), f64x2.splat(n))
  logStage(base, 1)
  expStage(base, 1)
  sumsStage(base, 1)
  uKappaTau = load<f64>(at(base, S_A, 0))
  uSumN2 = load<f64>(at(base, S_SN, 0))
  uSumX2 = load<f64>(at(base, S_SX, 0))
}
