import { describe, expect, it } from 'vitest'
import { lazyRange, parseRangeSpec, rangeValues, toFloat64Array } from '../src/rangeSpec.js'

const spec = (text: string, log = false) => {
  const r = parseRangeSpec(text, log)
  if (!r.ok) throw new Error(r.issues[0]!.message)
  return r.value
}

describe('--risk-aversion FROM:TO:COUNT', () => {
  it('spaces values linearly with both ends exact', () => {
    expect([...rangeValues(spec('0:1e-5:11'))]).toEqual([0, 1e-6, 2e-6, 3e-6, 4e-6, 5e-6, 6e-6, 7e-6, 8e-6, 9e-6, 1e-5])
  })

  it('spaces values in log10 with --log', () => {
    const v = rangeValues(spec('1e-9:1e-5:5', true))
    expect(v[0]).toBe(1e-9)
    expect(v[4]).toBe(1e-5)
    expect(v[2]).toBeCloseTo(1e-7, 20)
    for (let i = 1; i < 5; i++) expect(Math.log10(v[i]! / v[i - 1]!)).toBeCloseTo(1, 12)
  })

  it('computes a long range on demand, equal to the materialised one', () => {
    for (const s of [spec('0:2:7'), spec('1e-8:1e-3:13', true)])
      expect(toFloat64Array(lazyRange(s))).toEqual(rangeValues(s))
    const big = lazyRange(spec('0:1:100000000'))
    expect(big.length).toBe(1e8)
    expect(big.value(5e7)).toBe(0.500000005)
  })

  it('takes a single value', () => {
    expect([...rangeValues(spec('0.5'))]).toEqual([0.5])
  })

  it.each([
    ['0:1:0', false, /COUNT must be an integer/],
    ['0:1:2.5', false, /COUNT must be an integer/],
    ['a:1:3', false, /FROM and TO must be numbers/],
    ['0:1', false, /FROM:TO:COUNT/],
    ['0:1e-5:3', true, /--log needs FROM and TO > 0/],
    ['1:2:1', false, /COUNT 1 needs FROM = TO/],
  ])('rejects %s (log %s)', (text, log, message) => {
    const r = parseRangeSpec(text, log)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues[0]!.message).toMatch(message)
  })
})
