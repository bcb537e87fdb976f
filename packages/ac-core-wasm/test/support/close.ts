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
  actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs = 0, label = '',
): void {
  expect(actual.length, `${label} length`).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) expectClose(actual[i]!, expected[i]!, rel, abs, `${label}[${i}]`)
}
