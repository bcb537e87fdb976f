// η̃ = η − γτ/2 (eq. 15) without rounding τ first. src/etaTilde.ts repeats these operations one for
// one in TypeScript, so that the host's validation, the reference and the kernels take the same
// decision for every parameter set (IEEE arithmetic is the same in JS and WebAssembly).
//
// When γτ/2 < η/2 nothing cancels: η − (½γ)·(T/N) is within 3 u of η̃. Otherwise γT is formed
// exactly as a double-double (Dekker's product), divided by 2N with the remainder carried, and η
// subtracted with Knuth's TwoSum: |error| ≤ u·|η̃| + 6u²·η < u·|η̃| + 2^−103·η, so η̃ keeps full
// relative precision unless it is below ~2^−50·η (where it is still correct to 2^−103·η).
// A set with η̃ ≤ 2^−100·η is refused (ETA_TILDE_NONPOSITIVE): an η̃ that small is zero to within
// the inputs' precision, and the threshold keeps the refusal exact where it matters, η̃ ≤ 0.

/** Refuse η̃ at or below this fraction of η. */
// @ts-ignore: decorator
@inline export const ETA_TILDE_FLOOR: f64 = 7.888609052210118e-31 // 2^−100

import { K, K_HALF, kv } from './vmath'

const SPLITTER: usize = memory.data<f64>([134217729.0]) // 2^27 + 1

/** The rounding error of p = fl(a·b), exactly (Dekker); |a|, |b| < 2^995. */
// @ts-ignore: decorator
@inline function twoProductError(a: v128, b: v128, p: v128): v128 {
  const c = kv(SPLITTER, 0)
  const ca = f64x2.mul(a, c)
  const ah = f64x2.sub(ca, f64x2.sub(ca, a))
  const al = f64x2.sub(a, ah)
  const cb = f64x2.mul(b, c)
  const bh = f64x2.sub(cb, f64x2.sub(cb, b))
  const bl = f64x2.sub(b, bh)
  return f64x2.add(
    f64x2.add(f64x2.add(f64x2.sub(f64x2.mul(ah, bh), p), f64x2.mul(ah, bl)), f64x2.mul(al, bh)),
    f64x2.mul(al, bl),
  )
}

/**
 * η̃ per lane for η, γ, T in [2^−400, 2^400] (γ may be 0), whole N ≤ 2^26 and tau = T/N — the fast
 * path's range, or the scaled values the careful path passes.
 */
// @ts-ignore: decorator
@inline export function etaTildeV(eta: v128, gamma: v128, T: v128, n: v128, tau: v128): v128 {
  const half = kv(K, K_HALF)
  const h = f64x2.mul(f64x2.mul(half, gamma), tau)
  const simple = f64x2.lt(h, f64x2.mul(half, eta))
  const quick = f64x2.sub(eta, h)
  if (v128.all_true<i64>(simple)) return quick
  // double-double: γT = p + e exactly; γT/(2N) = g1 + g2; η − g1 by TwoSum
  const p = f64x2.mul(gamma, T)
  const e = twoProductError(gamma, T, p)
  const twoN = f64x2.add(n, n)
  const g1 = f64x2.div(p, twoN)
  const ph = f64x2.mul(g1, twoN)
  const pl = twoProductError(g1, twoN, ph)
  const r = f64x2.sub(f64x2.sub(p, ph), pl) // p − g1·2N, exact
  const g2 = f64x2.div(f64x2.add(r, e), twoN)
  const sum = f64x2.sub(eta, g1)
  const bb = f64x2.sub(sum, eta)
  const err = f64x2.add(f64x2.sub(eta, f64x2.sub(sum, bb)), f64x2.sub(f64x2.neg(g1), bb))
  return v128.bitselect(quick, f64x2.add(sum, f64x2.sub(err, g2)), simple)
}

/** Mantissa (η̃·2^−gEtaTildeExp) of the last etaTildeScaled call. */
export let gEtaTildeMant: f64 = 0
/** Binary exponent of the last etaTildeScaled call. */
export let gEtaTildeExp: i32 = 0

/**
 * η̃ for any valid finite η > 0, γ ≥ 0, T > 0 and N, as gEtaTildeMant·2^gEtaTildeExp: γ and T are
 * scaled to [1, 2) by powers of two (exact), η with them, and etaTildeV runs on the scaled values.
 * Returns false when η̃ ≤ 2^−100·η. In the fast path's range the result is etaTildeV's, scaled.
 */
export function etaTildeScaled(eta: f64, gamma: f64, T: f64, n: f64): bool {
  if (gamma == 0) {
    gEtaTildeMant = eta
    gEtaTildeExp = 0
    return true
  }
  const eG = exponentOf(gamma)
  const eT = exponentOf(T)
  const d = exponentOf(eta) - eG - eT
  if (d > 100) {
    // γτ/2 < 2^−100·η: η̃ = η to double precision
    gEtaTildeMant = eta
    gEtaTildeExp = 0
    return true
  }
  if (d < -100) return false // γτ/2 ≥ 2^−22 > η·2^99: certainly negative
  const etaS = NativeMath.scalbn(eta, -eG - eT)
  const TS = f64x2.splat(NativeMath.scalbn(T, -eT))
  const nV = f64x2.splat(n)
  const v = f64x2.extract_lane(
    etaTildeV(f64x2.splat(etaS), f64x2.splat(NativeMath.scalbn(gamma, -eG)), TS, nV, f64x2.div(TS, nV)),
    0,
  )
  if (!(v > ETA_TILDE_FLOOR * etaS)) return false
  gEtaTildeMant = v
  gEtaTildeExp = eG + eT
  return true
}

/** ⌊log2 x⌋ for finite x > 0, subnormals included. */
export function exponentOf(x: f64): i32 {
  const biased = <i32>(reinterpret<u64>(x) >> 52) & 0x7ff
  if (biased != 0) return biased - 1023
  return (<i32>(reinterpret<u64>(x * 18446744073709551616.0) >> 52) & 0x7ff) - 1023 - 64 // × 2^64
}
