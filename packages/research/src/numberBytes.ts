const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * 10^0 … 10^22, each exact: 10^k = 2^k·5^k and 5^22 < 2^53, so all fit a double's significand. Parsed
 * from text (correctly rounded, hence exact here), not computed with `**`, which V8 does not promise to
 * round correctly.
 */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => Number(`1e${k}`))
const TWO_53 = 2 ** 53

const isDigit = (c: number): boolean => c >= 48 && c <= 57

/** Where the last `scanDecimal` stopped reading. */
export const scanned = { end: 0 }

/**
 * Reads `[+-] digits [. digits] [(e|E) [+-] digits]` (a digit in the significand) from `bytes[start]`
 * as far as it goes (a grid's cell ends at a comma, a space or a newline, none of which can continue
 * it; a read past the end of `bytes` is undefined, which stops it too: no bound to check at every
 * byte), and sets `scanned.end` after it. Returns its value — the double `Number` gives for that text —
 * or NaN when the text there is not of that form or the value would need more than this fast path (the
 * caller then asks `Number`).
 *
 * The value is `m × 10^e` or `m / 10^−e`, where m is the significand's digits as an integer and e the
 * exponent less the digits after the point. That is exact — the double nearest the decimal value, ties
 * to even, as `Number` rounds — when m < 2^53 and |e| ≤ 22 (Clinger's fast path): m and 10^|e| are then
 * both exact doubles, and one IEEE multiplication or division rounds their exact product or quotient,
 * which is the decimal value itself. m is accumulated as m·10 + d in doubles: every step is exact while
 * the running value stays below 2^53, and rounding is monotonic, so a final m below 2^53 means no step
 * rounded. Zero is ±0 whatever the exponent. Anything else is NaN here.
 */
export function scanDecimal(bytes: Uint8Array, start: number): number {
  let p = start
  let c = bytes[p] as number
  const negative = c === 45 // '-'
  if (negative || c === 43) c = bytes[++p] as number // '+'
  let m = 0
  let digits = 0
  let scale = 0
  while (isDigit(c)) {
    m = m * 10 + (c - 48)
    digits++
    c = bytes[++p] as number
  }
  if (c === 46) {
    // '.'
    c = bytes[++p] as number
    while (isDigit(c)) {
      m = m * 10 + (c - 48)
      digits++
      scale++
      c = bytes[++p] as number
    }
  }
  let exponent = 0
  if (c === 101 || c === 69) {
    // 'e' or 'E'
    c = bytes[++p] as number
    const sign = c
    if (sign === 45 || sign === 43) c = bytes[++p] as number
    if (!isDigit(c)) {
      scanned.end = p
      return Number.NaN
    }
    while (isDigit(c)) {
      if (exponent < 1e6) exponent = exponent * 10 + (c - 48)
      c = bytes[++p] as number
    }
    if (sign === 45) exponent = -exponent
  }
  scanned.end = p
  if (digits === 0 || m >= TWO_53) return Number.NaN
  if (m === 0) return negative ? -0 : 0
  const e = exponent - scale
  let x: number
  if (e >= 0 && e <= 22) x = m * (POW10[e] as number)
  else if (e < 0 && e >= -22) x = m / (POW10[-e] as number)
  else return Number.NaN
  return negative ? -x : x
}

/**
 * `Number(text)` of the UTF-8 bytes `bytes[start, end)`: the fast path above when the literal it reads
 * is the whole span, else a string for `Number`.
 */
export function numberFromBytes(bytes: Uint8Array, start: number, end: number): number {
  const x = scanDecimal(bytes, start)
  if (!Number.isNaN(x) && scanned.end === end) return x
  return Number(decoder.decode(bytes.subarray(start, end)))
}
