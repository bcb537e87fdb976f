import type { Validation } from '@acx/engine'

/** A range of values from the command line: `FROM:TO:COUNT`, or a single value. */
export interface RangeSpec {
  readonly from: number
  readonly to: number
  readonly count: number
  /** Log spacing (every value must then be > 0). */
  readonly log: boolean
}

const MAX_COUNT = 100_000_000

/**
 * Parses `FROM:TO:COUNT` (COUNT ≥ 1 values, FROM and TO included) or a single number. With `log`
 * the values are spaced evenly in log10, so FROM and TO must be > 0.
 */
export function parseRangeSpec(text: string, log: boolean): Validation<RangeSpec> {
  const parts = text.split(':').map((s) => s.trim())
  const fail = (message: string): Validation<RangeSpec> => ({
    ok: false,
    issues: [{ path: ['risk-aversion'], message }],
  })
  const num = (s: string | undefined): number => (s === undefined || s === '' ? Number.NaN : Number(s))
  if (parts.length === 1) {
    const v = num(parts[0])
    if (!Number.isFinite(v)) return fail(`not a number: ${text}`)
    if (log && !(v > 0)) return fail(`--log needs values > 0 (got ${text})`)
    return { ok: true, value: { from: v, to: v, count: 1, log } }
  }
  if (parts.length !== 3) return fail(`use FROM:TO:COUNT or one value (got ${text})`)
  const from = num(parts[0])
  const to = num(parts[1])
  const count = num(parts[2])
  if (!Number.isFinite(from) || !Number.isFinite(to)) return fail(`FROM and TO must be numbers (got ${text})`)
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT)
    return fail(`COUNT must be an integer from 1 to ${MAX_COUNT} (got ${parts[2]})`)
  if (count === 1 && from !== to) return fail(`COUNT 1 needs FROM = TO (got ${text})`)
  if (log && !(from > 0 && to > 0)) return fail(`--log needs FROM and TO > 0 (got ${text})`)
  return { ok: true, value: { from, to, count, log } }
}

/**
 * Interior values are rounded to 15 significant digits, so that 0:1e-5:11 gives 1e-6, not
 * 1.0000000000000002e-6 (a relative change below 1e-15).
 */
const round15 = (x: number): number => Number(x.toPrecision(15))

/** The values of a range, FROM and TO exactly at the ends. */
export function rangeValues(spec: RangeSpec): Float64Array {
  const out = new Float64Array(spec.count)
  const last = spec.count - 1
  if (last === 0) {
    out[0] = spec.from
    return out
  }
  if (spec.log) {
    const a = Math.log10(spec.from)
    const b = Math.log10(spec.to)
    for (let i = 0; i <= last; i++) out[i] = round15(10 ** (a + ((b - a) * i) / last))
  } else {
    for (let i = 0; i <= last; i++) out[i] = round15((spec.from * (last - i) + spec.to * i) / last)
  }
  out[0] = spec.from
  out[last] = spec.to
  return out
}

/** A sequence of values read by index, so that a long range is never materialised. */
export interface RangeValues {
  readonly length: number
  value(i: number): number
}

/** The values of a range computed on demand: the same numbers as `rangeValues`. */
export function lazyRange(spec: RangeSpec): RangeValues {
  const last = spec.count - 1
  const a = spec.log ? Math.log10(spec.from) : 0
  const b = spec.log ? Math.log10(spec.to) : 0
  return {
    length: spec.count,
    value(i) {
      if (i === 0) return spec.from
      if (i === last) return spec.to
      return round15(spec.log ? 10 ** (a + ((b - a) * i) / last) : (spec.from * (last - i) + spec.to * i) / last)
    },
  }
}

/** Materialises `RangeValues`. */
export const toFloat64Array = (r: RangeValues): Float64Array =>
  Float64Array.from({ length: r.length }, (_, i) => r.value(i))
