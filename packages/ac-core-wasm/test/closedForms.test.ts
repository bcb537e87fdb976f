import { describe, expect, it } from 'vitest'
import { reference, type AcParams, PAPER_EXAMPLE } from '../src/index.js'
import { cores } from './support/cores.js'
import { expectAllClose, expectClose } from './support/close.js'

// The paper's §3.4 example (dollars, days): X = 1e6 shares, T = 5 days, N = 5.
const paper: AcParams = { ...PAPER_EXAMPLE, riskAversion: 1e-6 }

/** E and V of the straight line, eq. 9–11. */
function linear(p: AcParams) {
  const { shares: X, horizon: T, slices: N, volatility: s, temporaryImpact: eta } = p
  const gamma = p.permanentImpact ?? 0
  const eps = p.fixedCost ?? 0
  const tau = T / N
  const etaTilde = eta - 0.5 * gamma * tau
  return {
    E: 0.5 * gamma * X * X + eps * X + (etaTilde * X * X) / T,
    V: (1 / 3) * s * s * X * X * T * (1 - 1 / N) * (1 - 1 / (2 * N)),
  }
}

/** E and V of the optimal strategy in closed form, eq. 20. */
function optimalClosedForm(p: AcParams, kappa: number) {
  const { shares: X, horizon: T, slices: N, volatility: s, temporaryImpact: eta } = p
  const gamma = p.permanentImpact ?? 0
  const eps = p.fixedCost ?? 0
  const tau = T / N
  const etaTilde = eta - 0.5 * gamma * tau
  const sh = Math.sinh
  const E =
    0.5 * gamma * X * X +
    eps * X +
    (etaTilde * X * X * Math.tanh(0.5 * kappa * tau) * (tau * sh(2 * kappa * T) + 2 * T * sh(kappa * tau))) /
      (2 * tau * tau * sh(kappa * T) ** 2)
  const V =
    (0.5 * s * s * X * X * (tau * sh(kappa * T) * Math.cosh(kappa * (T - tau)) - T * sh(kappa * tau))) /
    (sh(kappa * T) ** 2 * sh(kappa * tau))
  return { E, V }
}

describe.each(cores)('%s', (name, core) => {
  it('gives the exact straight line n_k = X/N for λ = 0 (eq. 9–11)', () => {
    const p = { ...paper, riskAversion: 0, slices: 7 }
    const t = core.trajectory(p)
    expect(t.kappa).toBe(0)
    expect(t.kappaTilde).toBe(0)
    expect(t.halfLife).toBe(Infinity)
    // the kernel forms n_k without subtraction; the reference differences the holdings (ulp(X) error)
    const tradeTolerance = name === 'reference' ? 1e-14 : 1e-15
    expectAllClose(t.trades, new Array(7).fill(p.shares / 7), tradeTolerance, 0, 'trades')
    expectAllClose(
      t.holdings,
      Array.from({ length: 8 }, (_, k) => (p.shares * (7 - k)) / 7),
      1e-15,
      0,
      'holdings',
    )
    const { E, V } = linear(p)
    expectClose(t.expectedCost, E, 1e-14, 0, 'E')
    expectClose(t.variance, V, 1e-14, 0, 'V')
  })

  it('gives the straight line when the volatility is zero, whatever λ', () => {
    const t = core.trajectory({ ...paper, volatility: 0, riskAversion: 5 })
    expect(t.kappa).toBe(0)
    expect(t.variance).toBe(0)
    expectAllClose(t.trades, new Array(5).fill(2e5), 1e-15)
  })

  it('tends to the straight line smoothly for tiny λ (1e-12)', () => {
    const t = core.trajectory({ ...paper, riskAversion: 1e-12 })
    expect(t.kappa).toBeGreaterThan(0)
    const { E, V } = linear(paper)
    // The gap to the straight line is O((κT)²) with κT ≈ 3e-3.
    expect((t.kappa * paper.horizon) ** 2).toBeLessThan(1e-4)
    expectClose(t.expectedCost, E, 1e-5, 0, 'E')
    expectClose(t.variance, V, 1e-5, 0, 'V')
    expect(t.expectedCost).toBeGreaterThan(E) // a faster trajectory costs more…
    expect(t.variance).toBeLessThan(V) // …and carries less risk
    const ref = reference.trajectory({ ...paper, riskAversion: 1e-12 })
    expectClose(t.kappa, ref.kappa, 1e-12, 0, 'kappa')
    expectAllClose(t.holdings, ref.holdings, 1e-12, 0, 'holdings')
    expectAllClose(t.trades, ref.trades, 1e-12, 0, 'trades')
  })

  it('makes one trade of X when N = 1', () => {
    const p = { ...paper, slices: 1 }
    const t = core.trajectory(p)
    expect(Array.from(t.holdings)).toEqual([1e6, 0])
    expect(Array.from(t.trades)).toEqual([1e6])
    expectClose(t.expectedCost, linear(p).E, 1e-15, 0, 'E')
    expect(t.variance).toBe(0)
  })

  it('stays finite and decays towards zero for κT = 1e4 (sinh(κT) would overflow)', () => {
    // κ̃τ/2 ≈ 8e151, past where (κ̃τ)² overflows; κτ = 2·asinh(κ̃τ/2) ≈ 700 per slice
    const p = { ...paper, slices: 20, riskAversion: 1e300 }
    const t = core.trajectory(p)
    expect(t.kappa * p.horizon).toBeGreaterThan(1e4)
    for (const v of [...t.holdings, ...t.trades, t.expectedCost, t.variance, t.kappa])
      expect(Number.isFinite(v)).toBe(true)
    expect(t.holdings[0]).toBe(1e6)
    // x_1/x_0 ≈ e^{−κτ} ≈ 1e-304, then underflow: everything goes in the first slice
    expect(t.holdings[1]!).toBeLessThan(1e-290)
    expect(Array.from(t.holdings.subarray(2))).toEqual(new Array(19).fill(0))
    expect(t.trades[0]).toBe(1e6)
  })

  it('follows e^{−κt} at κT = 1e4 with many slices, matching the overflow-free closed form', () => {
    const p: AcParams = { ...paper, slices: 100_000, riskAversion: 12 }
    const t = core.trajectory(p)
    const T = p.horizon
    const kT = t.kappa * T
    expect(kT).toBeGreaterThan(1e4)
    expect(kT).toBeLessThan(2e4)
    const tau = T / p.slices
    for (const k of [1, 10, 100, 1000, 5000, 99_999]) {
      const exact =
        (p.shares * Math.exp(-t.kappa * k * tau) * -Math.expm1(-2 * t.kappa * (T - k * tau))) / -Math.expm1(-2 * kT)
      expectClose(t.holdings[k]!, exact, 1e-10, 1e-300, `x_${k}`)
    }
    const rises = t.holdings.filter((x, k) => k > 0 && x > t.holdings[k - 1]!).length
    expect(rises).toBe(0)
    expect(t.holdings[p.slices]).toBe(0)
    expectClose(
      t.trades.reduce((a, b) => a + b, 0),
      p.shares,
      1e-12,
      0,
      'Σn',
    )
  })

  it.each([1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3])('agrees with the closed-form E and V (eq. 20) at λ = %s', (lambda) => {
    const p = { ...paper, slices: 20, riskAversion: lambda }
    const t = core.trajectory(p)
    const { E, V } = optimalClosedForm(p, t.kappa)
    expect(Number.isFinite(E) && Number.isFinite(V)).toBe(true)
    // the closed form itself loses a few digits to cancellation when κT is small
    expectClose(t.expectedCost, E, 1e-10, 0, 'E')
    expectClose(t.variance, V, 1e-10, 0, 'V')
  })

  it('lowers variance and raises cost as λ rises along a frontier', () => {
    const f = core.frontier(paper, Float64Array.from([0, 1e-8, 1e-7, 1e-6, 1e-5]))
    for (let i = 1; i < 5; i++) {
      expect(f.expectedCost[i]!).toBeGreaterThan(f.expectedCost[i - 1]!)
      expect(f.variance[i]!).toBeLessThan(f.variance[i - 1]!)
      expect(f.kappa[i]!).toBeGreaterThan(f.kappa[i - 1]!)
    }
    expect(Array.from(f.riskAversion)).toEqual([0, 1e-8, 1e-7, 1e-6, 1e-5])
  })

  it('reports the half-life θ = 1/κ and κ̃ ≥ κ', () => {
    const t = core.trajectory(paper)
    expect(t.halfLife).toBe(1 / t.kappa)
    expect(t.kappaTilde).toBeGreaterThanOrEqual(t.kappa)
    expectClose(t.kappaTilde, Math.sqrt((1e-6 * 0.95 ** 2) / (2.5e-6 - 0.5 * 2.5e-7)), 1e-15)
  })
})
