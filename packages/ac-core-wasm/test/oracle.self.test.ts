// The high-precision oracle checked on its own, before anything is checked against it.
import { describe, expect, it } from 'vitest'
import { BigFloatContext, fromNumber, toNumber } from './support/bigFloat.js'
import { directSums, oracle } from './support/oracle.js'
import { createRandom } from './support/random.js'
import { ulpDistance } from './support/close.js'
import { paperCases, paperParams } from './support/paperVectors.js'

describe('the BigFloat arithmetic', () => {
  const c = new BigFloatContext(200)
  const random = createRandom(11)

  it('round-trips float64 values exactly, subnormals and extremes included', () => {
    for (const x of [1, -1, 0.1, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, Math.PI, -1e-300]) {
      expect(toNumber(fromNumber(x))).toBe(x)
    }
  })

  it('agrees with correctly rounded float64 arithmetic on random operands', () => {
    for (let i = 0; i < 2000; i++) {
      const a = (random() - 0.5) * 10 ** (60 * random() - 30)
      const b = (random() + 0.01) * 10 ** (60 * random() - 30)
      const A = fromNumber(a)
      const B = fromNumber(b)
      expect(toNumber(c.add(A, B))).toBe(a + b)
      expect(toNumber(c.sub(A, B))).toBe(a - b)
      expect(toNumber(c.mul(A, B))).toBe(a * b)
      expect(toNumber(c.div(A, B))).toBe(a / b)
      expect(toNumber(c.sqrt(B))).toBe(Math.sqrt(b))
    }
  })

  it('computes ln(1 + z) within 1 ulp of Math.log1p (itself within 1 ulp) over 600 orders of magnitude', () => {
    for (let i = 0; i < 500; i++) {
      const z = 10 ** (-300 + 320 * random())
      expect(ulpDistance(toNumber(c.log1p(fromNumber(z))), Math.log1p(z))).toBeLessThanOrEqual(1)
    }
  })
})

describe('the oracle', () => {
  it.each(paperCases.map((v) => [v.id, v] as const))(
    'reproduces the paper example %s (computed at 50 digits) to the last bit',
    (_, v) => {
      const o = oracle(paperParams(v))
      expect(o.kappa).toBe(v.kappa)
      expect(o.expectedCost).toBe(v.E)
      expect(o.variance).toBe(v.V)
      v.x.forEach((x, k) => expect(o.holding(k)).toBe(x))
      v.n.forEach((n, k) => expect(o.trade(k + 1)).toBe(n))
    },
  )

  it("agrees with term-by-term sums of the paper's sinh ratio (eq. 18) for N ≤ 40, κT from 1e−6 to 1e3", () => {
    const random = createRandom(5)
    for (let i = 0; i < 120; i++) {
      const N = 1 + Math.floor(random() * 40)
      const kappaT = 10 ** (-6 + 9 * random())
      const T = 10 ** (-2 + 4 * random())
      const eta = 10 ** (-8 + 6 * random())
      const sigma = 10 ** (-2 + 2 * random())
      const gamma = random() * 1.9 * (eta / (T / N))
      const etaTilde = eta - (gamma * T) / N / 2
      const y = Math.sinh(kappaT / N / 2)
      const params = {
        shares: 10 ** (8 * random()),
        horizon: T,
        slices: N,
        volatility: sigma,
        temporaryImpact: eta,
        permanentImpact: gamma,
        fixedCost: random(),
        riskAversion: ((2 * y) / (T / N)) ** 2 * (etaTilde / sigma ** 2),
      }
      const o = oracle(params)
      // the direct sums cancel ~log2(1/κT) bits in each sinh: give them that many more
      const d = directSums(params, 300 + 4 * Math.ceil(Math.log2(1 / kappaT) + 20))
      expect(ulpDistance(o.expectedCost, d.expectedCost)).toBeLessThanOrEqual(1)
      if (N > 1) expect(ulpDistance(o.variance, d.variance)).toBeLessThanOrEqual(1)
      else expect(o.variance).toBe(0)
      for (let k = 0; k <= N; k++) expect(ulpDistance(o.holding(k), d.holdings[k]!)).toBeLessThanOrEqual(1)
      for (let k = 1; k <= N; k++) expect(ulpDistance(o.trade(k), d.trades[k - 1]!)).toBeLessThanOrEqual(1)
    }
  })
})
