import { expect } from 'vitest'

/**
 * |actual − expected| ≤ rel·|expected| + abs. `abs` is a floor for values that are zero or have
 * underflowed, chosen by the caller relative to the problem's scale.
 */
export function expectClose(actual: number, expected: number, rel: number, abs = 0, label = ''): void {
  const err = Math.abs(actual - expected)
  if (!(err <= rel * Math.abs(expected) + abs)) {
    expect.fail(`${label} ${actual} vs ${expected}: error ${err} > ${rel}·|expected| + ${abs}`)
  }
}

export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  abs = 0,
  label = '',
): void {
  expect(actual.length, `${label} length`).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) expectClose(actual[i]!, expected[i]!, rel, abs, `${label}[${i}]`)
}

/** |a − b| in units in the last place of the larger magnitude (0 when equal, Infinity if one is not finite). */
export function ulpDistance(a: number, b: number): number {
  if (a === b) return 0
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity
  const m = Math.max(Math.abs(a), Math.abs(b))
  const ulp = Math.max(2 ** (Math.floor(Math.log2(m)) - 52), 5e-324)
  return Math.abs(a - b) / ulp
}
