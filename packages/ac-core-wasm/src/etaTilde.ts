/**
 * η̃ = η − γτ/2 (eq. 15) without rounding τ first: assembly/etaTilde.ts, operation for operation, so
 * that the host's validation, the reference and the kernels take the same decision for every
 * parameter set (IEEE double arithmetic is the same in JavaScript and WebAssembly, and neither
 * contracts a·b + c into a fused multiply-add).
 *
 * When γτ/2 < η/2 nothing cancels and η − (½γ)·(T/N) is within 3 u of η̃. Otherwise γT is formed
 * exactly as a double-double (Dekker), divided by 2N with the remainder carried, and η subtracted by
 * TwoSum: |error| ≤ u·|η̃| + 2^−103·η. γ and T are first scaled to [1, 2) by powers of two (exact),
 * η with them, so that nothing overflows. η̃ ≤ 2^−100·η counts as non-positive.
 */

/** η̃ at or below this fraction of η is refused (ETA_TILDE_NONPOSITIVE). */
const ETA_TILDE_FLOOR = 2 ** -100

const SPLITTER = 134217729 // 2^27 + 1

/** The rounding error of p = a·b, exactly (Dekker); |a|, |b| < 2^995. */
function twoProductError(a: number, b: number, p: number): number {
  const ca = a * SPLITTER
  const ah = ca - (ca - a)
  const al = a - ah
  const cb = b * SPLITTER
  const bh = cb - (cb - b)
  const bl = b - bh
  return ah * bh - p + ah * bl + al * bh + al * bl
}

/** η̃ for η, γ, T in [2^−400, 2^400] (γ may be 0), whole N, and tau = T/N (no scaling, no floor). */
export function etaTildeCore(eta: number, gamma: number, T: number, n: number, tau: number): number {
  const h = 0.5 * gamma * tau
  if (h < 0.5 * eta) return eta - h
  const p = gamma * T
  const e = twoProductError(gamma, T, p)
  const twoN = n + n
  const g1 = p / twoN
  const ph = g1 * twoN
  const pl = twoProductError(g1, twoN, ph)
  const r = p - ph - pl // p − g1·2N, exact
  const g2 = (r + e) / twoN
  const sum = eta - g1
  const bb = sum - eta
  const err = eta - (sum - bb) + (-g1 - bb)
  return sum + (err - g2)
}

/** ⌊log2 x⌋ for finite x > 0, subnormals included. */
function exponentOf(x: number): number {
  let e = Math.floor(Math.log2(x))
  // Math.log2 can be off by one next to a power of two: settle it exactly
  if (2 ** e > x) e--
  else if (2 ** (e + 1) <= x) e++
  return e
}

/** x·2^e, exact when the result is a normal number (steps of 2^±1000 move monotonically towards it). */
function scale(x: number, e: number): number {
  let v = x
  let k = e
  for (; k > 1000; k -= 1000) v *= 2 ** 1000
  for (; k < -1000; k += 1000) v *= 2 ** -1000
  return v * 2 ** k
}

/**
 * η̃ for valid inputs (η > 0, γ ≥ 0, T > 0 finite, N a whole number), or NaN when η̃ ≤ 2^−100·η. The
 * value may under- or overflow a double for extreme inputs; its sign and the refusal never do.
 */
export function etaTilde(eta: number, gamma: number, T: number, n: number): number {
  if (gamma === 0) return eta
  const eG = exponentOf(gamma)
  const eT = exponentOf(T)
  const d = exponentOf(eta) - eG - eT
  if (d > 100) return eta // γτ/2 < 2^−100·η: η̃ = η to double precision
  if (d < -100) return NaN // γτ/2 ≥ 2^−22 > 2^99·η: certainly negative
  const etaS = scale(eta, -eG - eT)
  const TS = scale(T, -eT)
  const v = etaTildeCore(etaS, scale(gamma, -eG), TS, n, TS / n)
  return v > ETA_TILDE_FLOOR * etaS ? scale(v, eG + eT) : NaN
}
