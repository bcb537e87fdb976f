/**
 * Arbitrary-precision binary floating point on BigInt, for the high-precision oracle: a value is
 * `man · 2^exp` with `man` a BigInt and `exp` an integer, rounded to `bits` significant bits
 * (nearest, ties to even) after every operation. Exponents are unbounded, so nothing overflows or
 * underflows, and float64 inputs convert exactly.
 *
 * Only what the oracle needs: + − × ÷, √, integer powers and ln. Written for clarity, not speed;
 * a few hundred operations at a few thousand bits take well under a millisecond.
 */
export interface BigFloat {
  readonly man: bigint
  readonly exp: number
}

const ZERO: BigFloat = { man: 0n, exp: 0 }

/** Number of bits of |m| (0 for 0). */
function bitLength(m: bigint): number {
  if (m < 0n) m = -m
  if (m === 0n) return 0
  const hex = m.toString(16)
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)))
}

const view = new DataView(new ArrayBuffer(8))

/** The exact value of a finite float64. */
export function fromNumber(x: number): BigFloat {
  if (!Number.isFinite(x)) throw new RangeError(`not finite: ${x}`)
  if (x === 0) return ZERO
  view.setFloat64(0, x)
  const hi = view.getUint32(0)
  const lo = view.getUint32(4)
  const biased = (hi >>> 20) & 0x7ff
  let man = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  let exp: number
  if (biased === 0)
    exp = -1074 // subnormal
  else {
    man |= 1n << 52n
    exp = biased - 1075
  }
  return { man: x < 0 ? -man : man, exp }
}

/** Rounds a finite BigFloat to the nearest float64 (through subnormals to zero, or to ±Infinity). */
export function toNumber(a: BigFloat): number {
  if (a.man === 0n) return 0
  const neg = a.man < 0n
  let m = neg ? -a.man : a.man
  let e = a.exp
  const len = bitLength(m)
  // keep 53 bits, or fewer where the result is subnormal (exponent of the leading bit < −1022)
  const top = e + len - 1
  const keep = top >= -1022 ? 53 : 53 - (-1022 - top)
  if (keep <= 0) {
    // below half the smallest subnormal, or exactly half (ties to even: 0)
    const v = keep === 0 && m > 1n << BigInt(len - 1) ? 5e-324 : 0
    return neg ? -v : v
  }
  if (len > keep) {
    const shift = BigInt(len - keep)
    const q = m >> shift
    const rem = m - (q << shift)
    const half = 1n << (shift - 1n)
    m = rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q
    e += len - keep
  }
  // m < 2^54 now: exact as a Number; scale in two steps so no intermediate over/underflows
  const e1 = Math.trunc(e / 2)
  const v = Number(m) * 2 ** e1 * 2 ** (e - e1)
  return neg ? -v : v
}

export class BigFloatContext {
  constructor(readonly bits: number) {}

  round(man: bigint, exp: number): BigFloat {
    if (man === 0n) return ZERO
    const neg = man < 0n
    let m = neg ? -man : man
    const len = bitLength(m)
    if (len > this.bits) {
      const shift = BigInt(len - this.bits)
      const q = m >> shift
      const rem = m - (q << shift)
      const half = 1n << (shift - 1n)
      m = rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q
      exp += len - this.bits
    }
    return { man: neg ? -m : m, exp }
  }

  num(x: number): BigFloat {
    return fromNumber(x)
  }

  int(n: number | bigint): BigFloat {
    return { man: BigInt(n), exp: 0 }
  }

  neg(a: BigFloat): BigFloat {
    return { man: -a.man, exp: a.exp }
  }

  add(a: BigFloat, b: BigFloat): BigFloat {
    if (a.man === 0n) return this.round(b.man, b.exp)
    if (b.man === 0n) return this.round(a.man, a.exp)
    // when one operand lies entirely below the other's last kept bit, it only affects rounding:
    // replace it by a sticky bit just below that position
    const topA = a.exp + bitLength(a.man)
    const topB = b.exp + bitLength(b.man)
    const floor = Math.max(topA, topB) - this.bits - 4
    const clamp = (x: BigFloat): BigFloat =>
      x.exp + bitLength(x.man) < floor ? { man: x.man < 0n ? -1n : 1n, exp: floor - 2 } : x
    const x = clamp(a)
    const y = clamp(b)
    const e = Math.min(x.exp, y.exp)
    return this.round((x.man << BigInt(x.exp - e)) + (y.man << BigInt(y.exp - e)), e)
  }

  sub(a: BigFloat, b: BigFloat): BigFloat {
    return this.add(a, this.neg(b))
  }

  mul(a: BigFloat, b: BigFloat): BigFloat {
    return this.round(a.man * b.man, a.exp + b.exp)
  }

  div(a: BigFloat, b: BigFloat): BigFloat {
    if (b.man === 0n) throw new RangeError('division by zero')
    if (a.man === 0n) return ZERO
    const negative = a.man < 0n !== b.man < 0n
    const n = a.man < 0n ? -a.man : a.man
    const d = b.man < 0n ? -b.man : b.man
    const shift = Math.max(0, this.bits + bitLength(d) - bitLength(n) + 2)
    const num = n << BigInt(shift)
    const q = num / d
    // one more bit, set when the division is inexact (sticky), makes the final rounding correct
    const r = (q << 1n) | (q * d !== num ? 1n : 0n)
    return this.round(negative ? -r : r, a.exp - shift - b.exp - 1)
  }

  sqrt(a: BigFloat): BigFloat {
    if (a.man < 0n) throw new RangeError('sqrt of a negative number')
    if (a.man === 0n) return ZERO
    let m = a.man
    let e = a.exp
    if ((e & 1) !== 0) {
      m <<= 1n
      e -= 1
    }
    let shift = Math.max(0, 2 * this.bits + 4 - bitLength(m))
    if (shift & 1) shift++
    m <<= BigInt(shift)
    e -= shift
    let r = isqrt(m)
    const sticky = r * r !== m
    r = (r << 1n) | (sticky ? 1n : 0n)
    return this.round(r, e / 2 - 1)
  }

  /** a^n for an integer n ≥ 0, by squaring. */
  pow(a: BigFloat, n: number): BigFloat {
    let result: BigFloat = { man: 1n, exp: 0 }
    let base = a
    let k = n
    while (k > 0) {
      if (k & 1) result = this.mul(result, base)
      k = Math.floor(k / 2)
      if (k > 0) base = this.mul(base, base)
    }
    return result
  }

  /** ln(1 + z) for z > −1 given z itself, so that tiny z keeps every digit. */
  log1p(z: BigFloat): BigFloat {
    const one: BigFloat = { man: 1n, exp: 0 }
    const w = this.add(one, z)
    // w = m·2^k with m in [1, 2): ln w = k·ln 2 + ln m, and ln m = 2·atanh((m − 1)/(m + 1))
    const k = w.exp + bitLength(w.man) - 1
    const mMinusOne = k === 0 ? z : this.sub({ man: w.man, exp: w.exp - k }, one)
    const two: BigFloat = { man: 2n, exp: 0 }
    const u = this.div(mMinusOne, this.add(two, mMinusOne))
    const atanh = this.atanh(u)
    const lnM = { man: atanh.man, exp: atanh.exp + 1 }
    return k === 0 ? lnM : this.add(lnM, this.mul(this.int(k), this.ln2()))
  }

  /** atanh(u) = Σ u^{2j+1}/(2j+1) for |u| ≤ 1/3, summed until a term is below 2^−bits of the sum. */
  private atanh(u: BigFloat): BigFloat {
    if (u.man === 0n) return ZERO
    const u2 = this.mul(u, u)
    let power = u
    let sum = u
    for (let j = 1; ; j++) {
      power = this.mul(power, u2)
      const term = this.div(power, this.int(2 * j + 1))
      if (term.man === 0n || term.exp + bitLength(term.man) < sum.exp + bitLength(sum.man) - this.bits - 8) break
      sum = this.add(sum, term)
    }
    return sum
  }

  #ln2: BigFloat | undefined
  private ln2(): BigFloat {
    // ln 2 = 2·atanh(1/3)
    this.#ln2 ??= ((t) => ({ man: t.man, exp: t.exp + 1 }))(this.atanh(this.div(this.int(1), this.int(3))))
    return this.#ln2
  }

  cmp(a: BigFloat, b: BigFloat): number {
    const d = this.sub(a, b).man
    return d > 0n ? 1 : d < 0n ? -1 : 0
  }
}

/** ⌊√n⌋ for n ≥ 0, by Newton's method from a float64 estimate. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n
  const len = bitLength(n)
  const shift = Math.max(0, len - 100) & ~1
  let x = (BigInt(Math.floor(Math.sqrt(Number(n >> BigInt(shift))))) + 1n) << BigInt(shift / 2)
  for (;;) {
    const y = (x + n / x) >> 1n
    if (y >= x) break
    x = y
  }
  while (x * x > n) x--
  while ((x + 1n) * (x + 1n) <= n) x++
  return x
}

/** Exact sum and product (no rounding), for the few places the oracle must be exact. */
export function exactAdd(a: BigFloat, b: BigFloat): BigFloat {
  if (a.man === 0n) return b
  if (b.man === 0n) return a
  const e = Math.min(a.exp, b.exp)
  return { man: (a.man << BigInt(a.exp - e)) + (b.man << BigInt(b.exp - e)), exp: e }
}

export function exactMul(a: BigFloat, b: BigFloat): BigFloat {
  return { man: a.man * b.man, exp: a.exp + b.exp }
}

/** log2 of |a|, roughly (to within 1): the position of its leading bit. */
export function log2Magnitude(a: BigFloat): number {
  return a.man === 0n ? -Infinity : a.exp + bitLength(a.man) - 1
}
