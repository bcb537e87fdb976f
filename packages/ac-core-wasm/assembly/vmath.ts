// Two-lane (f64x2) elementary functions for the bulk kernels. AssemblyScript's Math is scalar, so
// these are written out with v128 operations, without branches, from the algorithms of musl/FreeBSD
// libm (log1p) and a Taylor polynomial with an explicit remainder bound (exp, expm1).
//
// Accuracy (u = 2^−53, the unit roundoff):
// - log1pV(z), z in [0, 2^66]: the FreeBSD/musl log1p (error < 1 ulp in the original), same reduction and
//   polynomial; within 1 ulp of V8's Math.log1p over the whole range in our checks.
// - exp/expm1 of x in [−300, 0] via x = k·ln2 + r, |r| ≤ ln2/2 + 2^−40: e^r − 1 = r + r²·Σ_{i=0}^{11} r^i/(i+2)!
//   (Taylor; the first omitted term r^14/14! is < 1.2e−17·|r| for |r| ≤ 0.3466, i.e. < 0.11 u relative),
//   evaluated by Estrin's scheme: ≤ 2 u for the r² part, which is at most |r|/5.7 of the total. Then
//   exp(x) = 2^k·(1 + p) and expm1(x) = 2^k·p + (2^k − 1): for k = 0 the latter is p itself, for k ≤ −1
//   the two terms have the same sign or |2^k·p| ≤ 0.21 < |2^k − 1|, so no digits cancel. Both ≤ 2 u;
//   within 1 ulp of V8's Math.exp/expm1 in our checks.
//   Lanes below −300 are clamped there. Callers only use e^x where it is below 2^−430 of the terms it
//   is added to once x < −300 (see unitSums.ts), and the clamp keeps every product of such factors a
//   normal number: a subnormal result costs a ~150-cycle microcode assist on x86 (WebAssembly keeps
//   IEEE subnormals), which made sets with κT between 354 and 745 three times slower.
//
// Constants come from static tables through v128.load64_splat: V8 rebuilds every v128.const inside a
// loop (about half a cycle each, and the kernels use over a hundred), while a splat load is one
// instruction.

/** Loads constant `i` of table `t` into both lanes. */
// @ts-ignore: decorator
@inline export function kv(t: usize, i: i32): v128 {
  return v128.load64_splat(t + (<usize>i << 3))
}

/** Small constants used across the kernels: index with the K_* names below. */
export const K: usize = memory.data<f64>([
  0.5, 1, 2, 4, 8, 6,
  6.93147180369123816490e-01, // ln 2 to 32 bits: k·LN2_HI is exact for |k| < 2^21
  1.90821492927058770002e-10, // ln 2 − LN2_HI
  1.44269504088896338700e+00, // 1/ln 2
  -300.0, // floor of the exp argument (see above)
  6755399441055744.0, // 1.5·2^52
  4503599627371519.0, // 2^52 + 1023
  -1600.0, // floor of the wide exp argument (trajectory points)
  -1000.0, -1022.0,
  9.332636185032189e-302, // 2^−1000
  54.0,
])
// @ts-ignore: decorator
@inline export const K_HALF = 0
// @ts-ignore: decorator
@inline export const K_ONE = 1
// @ts-ignore: decorator
@inline export const K_TWO = 2
// @ts-ignore: decorator
@inline export const K_FOUR = 3
// @ts-ignore: decorator
@inline export const K_EIGHT = 4
// @ts-ignore: decorator
@inline export const K_SIX = 5
// @ts-ignore: decorator
@inline const K_LN2_HI = 6
// @ts-ignore: decorator
@inline const K_LN2_LO = 7
// @ts-ignore: decorator
@inline const K_INV_LN2 = 8
// @ts-ignore: decorator
@inline const K_EXP_FLOOR = 9
// @ts-ignore: decorator
@inline const K_SHIFTER = 10
// @ts-ignore: decorator
@inline const K_TWO52_BIAS = 11
// @ts-ignore: decorator
@inline export const K_WIDE_FLOOR = 12
// @ts-ignore: decorator
@inline export const K_MINUS_1000 = 13
// @ts-ignore: decorator
@inline export const K_MINUS_1022 = 14
// @ts-ignore: decorator
@inline export const K_TWO_M1000 = 15
// @ts-ignore: decorator
@inline const K_FIFTY_FOUR = 16

/** Integer bit patterns for the exponent manipulations. */
const BITS: usize = memory.data<i64>([
  1023,
  0x00095f6200000000, // 0x3ff00000 − 0x3fe6a09e in the high word (log1p reduction)
  0x4330000000000000, // 2^52
  0x000fffffffffffff, // mantissa mask
  0x3fe6a09e00000000, // √2/2 in the high word
])

/** 1/(i+2)!, i = 11 … 0: the Horner coefficients of (e^r − 1 − r)/r². */
const EXPM1_C: usize = memory.data<f64>([
  1.6059043836821613e-10, 2.08767569878681e-9, 2.505210838544172e-8, 2.755731922398589e-7,
  2.7557319223985893e-6, 2.48015873015873e-5, 1.984126984126984e-4, 1.388888888888889e-3,
  8.333333333333333e-3, 4.1666666666666664e-2, 1.6666666666666666e-1, 0.5,
])

/** musl log1p: Lg1 … Lg7. */
const LOG1P_C: usize = memory.data<f64>([
  6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01,
  1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01,
])

/** 2^k for lanes holding integers k in [−1022, 1023], from the exponent bits. */
// @ts-ignore: decorator
@inline export function pow2V(k: v128): v128 {
  // k + 1.5·2^52 puts k in the low mantissa bits; subtracting the same bits leaves k as an i64
  const shifter = kv(K, K_SHIFTER)
  const ki = i64x2.sub(f64x2.add(k, shifter), shifter)
  return i64x2.shl(i64x2.add(ki, kv(BITS, 0)), 52)
}

/**
 * e^r − 1 for |r| ≤ 0.35: r + r²·Σ_{i=0}^{11} r^i/(i+2)! (see the header for the bound), the sum by
 * Estrin's scheme: a dependency chain of 5 multiply-adds instead of Horner's 12, which matters because
 * the kernels are latency-bound. Σ|c_i r^i| ≤ 1.3·|Σ c_i r^i| here, so the order of the additions
 * changes the rounding error by well under 1 u of the result.
 */
// @ts-ignore: decorator
@inline export function expm1Reduced(r: v128): v128 {
  const r2 = f64x2.mul(r, r)
  const r4 = f64x2.mul(r2, r2)
  const r8 = f64x2.mul(r4, r4)
  const q0 = f64x2.add(kv(EXPM1_C, 11), f64x2.mul(kv(EXPM1_C, 10), r)) // 1/2! + r/3!
  const q1 = f64x2.add(kv(EXPM1_C, 9), f64x2.mul(kv(EXPM1_C, 8), r))
  const q2 = f64x2.add(kv(EXPM1_C, 7), f64x2.mul(kv(EXPM1_C, 6), r))
  const q3 = f64x2.add(kv(EXPM1_C, 5), f64x2.mul(kv(EXPM1_C, 4), r))
  const q4 = f64x2.add(kv(EXPM1_C, 3), f64x2.mul(kv(EXPM1_C, 2), r))
  const q5 = f64x2.add(kv(EXPM1_C, 1), f64x2.mul(kv(EXPM1_C, 0), r)) // 1/12! + r/13!
  const s0 = f64x2.add(q0, f64x2.mul(q1, r2))
  const s1 = f64x2.add(q2, f64x2.mul(q3, r2))
  const s2 = f64x2.add(q4, f64x2.mul(q5, r2))
  const p = f64x2.add(f64x2.add(s0, f64x2.mul(s1, r4)), f64x2.mul(s2, r8))
  return f64x2.add(r, f64x2.mul(r2, p))
}

/** x raised to −300 where it is below (pmax: one instruction; the IEEE f64x2.max takes eight in V8). */
// @ts-ignore: decorator
@inline export function expClamp(x: v128): v128 {
  return f64x2.pmax(x, kv(K, K_EXP_FLOOR))
}

/** k = round(x/ln 2), for x already clamped (expClamp, or ≥ −1600 for the wide form). */
// @ts-ignore: decorator
@inline export function expK(x: v128): v128 {
  return f64x2.nearest(f64x2.mul(x, kv(K, K_INV_LN2)))
}

/** r = x − k·ln 2 (|r| ≤ ln2/2 + 2^−40). */
// @ts-ignore: decorator
@inline export function expR(x: v128, k: v128): v128 {
  return f64x2.sub(f64x2.sub(x, f64x2.mul(k, kv(K, K_LN2_HI))), f64x2.mul(k, kv(K, K_LN2_LO)))
}

/** e^x from the reduction: 2^k·(1 + p), p = e^r − 1. */
// @ts-ignore: decorator
@inline export function expFrom(twoK: v128, p: v128): v128 {
  return f64x2.mul(twoK, f64x2.add(kv(K, K_ONE), p))
}

/** e^x − 1 from the reduction: 2^k·p + (2^k − 1). */
// @ts-ignore: decorator
@inline export function expm1From(twoK: v128, p: v128): v128 {
  return f64x2.add(f64x2.mul(twoK, p), f64x2.sub(twoK, kv(K, K_ONE)))
}

/** e^x for x ≤ 0 (lanes below −300 give e^−300). */
// @ts-ignore: decorator
@inline export function expV(x: v128): v128 {
  const xc = expClamp(x)
  const k = expK(xc)
  return expFrom(pow2V(k), expm1Reduced(expR(xc, k)))
}

/** e^x − 1 for x ≤ 0 (lanes below −300 give e^−300 − 1). */
// @ts-ignore: decorator
@inline export function expm1V(x: v128): v128 {
  const xc = expClamp(x)
  const k = expK(xc)
  return expm1From(pow2V(k), expm1Reduced(expR(xc, k)))
}

/** The part of log1p after the reduction: ln(1 + f) for f in [√2/2 − 1, √2 − 1], plus k·ln 2 + c. */
// @ts-ignore: decorator
@inline function log1pReduced(f: v128, k: v128, c: v128): v128 {
  const hfsq = f64x2.mul(kv(K, K_HALF), f64x2.mul(f, f))
  const s = f64x2.div(f, f64x2.add(kv(K, K_TWO), f))
  const z = f64x2.mul(s, s)
  const w = f64x2.mul(z, z)
  const t1 = f64x2.mul(w, f64x2.add(kv(LOG1P_C, 1),
    f64x2.mul(w, f64x2.add(kv(LOG1P_C, 3), f64x2.mul(w, kv(LOG1P_C, 5))))))
  const t2 = f64x2.mul(z, f64x2.add(kv(LOG1P_C, 0),
    f64x2.mul(w, f64x2.add(kv(LOG1P_C, 2),
      f64x2.mul(w, f64x2.add(kv(LOG1P_C, 4), f64x2.mul(w, kv(LOG1P_C, 6))))))))
  const R = f64x2.add(t2, t1)
  // s(hfsq + R) + (k·ln2_lo + c) − hfsq + f + k·ln2_hi
  return f64x2.add(
    f64x2.add(
      f64x2.sub(
        f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), f64x2.add(f64x2.mul(k, kv(K, K_LN2_LO)), c)),
        hfsq,
      ),
      f,
    ),
    f64x2.mul(k, kv(K, K_LN2_HI)),
  )
}

/** ln(1 + x) for lanes x in [0, 2^66] (musl/FreeBSD log1p without its branches). */
// @ts-ignore: decorator
@inline export function log1pV(x: v128): v128 {
  const one = kv(K, K_ONE)
  const u = f64x2.add(one, x)
  // Add 1 − √2/2 to the exponent field so that the mantissa falls in [√2/2, √2): k is the exponent.
  const hu = i64x2.add(u, kv(BITS, 1))
  const biased = i64x2.shr_u(hu, 52) // k + 1023, an integer in [1023, 1090]
  const k = f64x2.sub(v128.or(biased, kv(BITS, 2)), kv(K, K_TWO52_BIAS)) // (2^52 + k + 1023) − (2^52 + 1023)
  // c = log(1 + x) − log(u), the rounding error of u = 1 + x, to first order; zero once k ≥ 54
  const cBig = f64x2.sub(one, f64x2.sub(u, x))
  const cSmall = f64x2.sub(x, f64x2.sub(u, one))
  let c = f64x2.div(v128.bitselect(cBig, cSmall, f64x2.ge(k, kv(K, K_TWO))), u)
  c = v128.and(c, f64x2.lt(k, kv(K, K_FIFTY_FOUR)))
  const reduced = i64x2.add(v128.and(hu, kv(BITS, 3)), kv(BITS, 4))
  return log1pReduced(f64x2.sub(reduced, one), k, c)
}
