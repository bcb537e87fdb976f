// Each switch in the kernels, tested on both sides against the high-precision oracle at the error
// bounds stated in the source (u = 2^−53):
//   assembly/unitSums.ts  Σx_k² moves from the series form (κT < 1) to the geometric form (κT ≥ 1):
//                         ≤ 850 u worst case either side (measured ≤ 29 u); Σn_k² ≤ 60 u everywhere.
//   assembly/vmath.ts     e^{−κT} clamped at κT = 300.
//   assembly/index.ts     the fast range: inputs in [2^−120, 2^120], y = κ̃τ/2 ≤ 2^64; outside it
//                         careful.ts, with the asymptotic forms for y > 2^64.
// E and V also carry the rounding of the inputs into y, η̃/τ and σ²τ (a few u), so E is held to
// 128 u and V to 1e−13 (≈ 900 u) here, κ to 32 u.
import { describe, expect, it } from 'vitest'
import { MAX_SLICES, type AcParams } from '../src/index.js'
import { toColumns, wasmBuilds } from './support/cores.js'
import { expectClose } from './support/close.js'
import { oracle } from './support/oracle.js'

const U = 2 ** -53
const E_BOUND = 128 * U
const V_BOUND = 1e-13
const K_BOUND = 32 * U

/** A parameter set whose κT is `kappaT` (to a few u) with N slices over T = 1. */
function atKappaT(kappaT: number, N: number, change: Partial<AcParams> = {}): AcParams {
  const tau = 1 / N
  const eta = 2e-6
  const sigma = 0.3
  const kappaTilde = (2 * Math.sinh(kappaT / N / 2)) / tau
  return {
    shares: 1e6,
    horizon: 1,
    slices: N,
    volatility: sigma,
    temporaryImpact: eta,
    permanentImpact: 1e-7,
    fixedCost: 0.01,
    riskAversion: (kappaTilde ** 2 * (eta - (1e-7 * tau) / 2)) / sigma ** 2,
    ...change,
  }
}

/** Runs the sets through sweep and checks κ, E, V against the oracle at the bounds above. */
function expectWithinBudget(core: (typeof wasmBuilds)[number][1], sets: AcParams[]): void {
  const got = core.sweep(toColumns(sets))
  sets.forEach((p, i) => {
    const o = oracle(p)
    const at = `N = ${p.slices}, κT = ${o.kappaT}`
    expect(got.status[i], at).toBe(o.status)
    if (o.status !== 0) return
    expectClose(got.kappa[i]!, o.kappa, K_BOUND, 0, `κ at ${at}`)
    expectClose(got.expectedCost[i]!, o.expectedCost, E_BOUND, 0, `E at ${at}`)
    expectClose(got.variance[i]!, o.variance, V_BOUND, 0, `V at ${at}`)
  })
}

describe.each(wasmBuilds)('%s at its regime boundaries', (_, core) => {
  it.each([2, 3, 10, 1000, MAX_SLICES])('keeps E and V within budget on both sides of κT = 1 (N = %i)', (N) => {
    const near = [0.5, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12, 1, 1 + 1e-12, 1 + 1e-6, 1.01, 1.1, 2]
    const sets = near.map((k) => atKappaT(k, N))
    const kappaT = sets.map((p) => oracle(p).kappaT)
    expect(kappaT.some((k) => k < 1) && kappaT.some((k) => k >= 1)).toBe(true)
    expectWithinBudget(core, sets)
  })

  it('keeps V within budget across κT ∈ [0.8, 1.25] at N = 2, where both forms cancel most', () => {
    expectWithinBudget(
      core,
      Array.from({ length: 200 }, (_, i) => atKappaT(0.8 * 1.25 ** ((2 * i) / 199), 2)),
    )
  })

  it.each([10, 1000])(
    'is exact through the e^{−κT} clamp at κT = 300 and where e^{−2κT} is subnormal (N = %i)',
    (N) => {
      const sets = [299.9, 300, 300.1, 354, 372, 400, 745, 746, 1e4, 1e5].map((k) => atKappaT(k, N))
      // (at N = 10, κT = 1e4 needs κ̃τ/2 = sinh(500): λ beyond float64)
      expectWithinBudget(
        core,
        sets.filter((p) => Number.isFinite(p.riskAversion)),
      )
    },
  )

  it('has no seam where log1p’s reduction changes exponent, at κτ = ln 2 (N = 1 and N = 4)', () => {
    const at = (kappaTau: number, N: number) => atKappaT(kappaTau * N, N)
    const sides = [1 - 1e-9, 1 - 1e-15, 1, 1 + 1e-15, 1 + 1e-9].map((f) => Math.LN2 * f)
    expectWithinBudget(core, [...sides.map((k) => at(k, 1)), ...sides.map((k) => at(k, 4))])
  })

  it('agrees on both sides of the fast range, [2^−120, 2^120] for every input', () => {
    const edge = [2 ** -120, 2 ** 120]
    const justOutside = [2 ** -120 * (1 - 2 ** -52), 2 ** 120 * (1 + 2 ** -52)]
    const base = atKappaT(0.7, 16)
    const sets: AcParams[] = []
    for (const v of [...edge, ...justOutside]) {
      sets.push(
        { ...base, shares: v },
        { ...base, horizon: v },
        { ...base, fixedCost: v },
        { ...base, permanentImpact: v > 1 ? 0 : v },
      )
    }
    // σ and λ at the edges, keeping κT moderate
    sets.push(
      { ...base, volatility: 2 ** -120, riskAversion: 2 ** 120 },
      { ...base, volatility: 2 ** -120 * 0.75, riskAversion: 2 ** 120 },
    )
    sets.push(
      { ...base, temporaryImpact: 2 ** 120, riskAversion: 2 ** 100 },
      { ...base, temporaryImpact: 2 ** 120 * 1.5, riskAversion: 2 ** 100 },
    )
    expectWithinBudget(core, sets)
  })

  it('moves from the fast path to the asymptotic forms at y = κ̃τ/2 = 2^64 without a seam', () => {
    // X = 1, T = 1, N = 2 (τ = ½), η = 1, σ = 2^60: y = κ̃/4 and λ = (4y)²/σ²
    const at = (y: number): AcParams => ({
      shares: 1,
      horizon: 1,
      slices: 2,
      volatility: 2 ** 60,
      temporaryImpact: 1,
      riskAversion: (4 * y) ** 2 / 2 ** 120,
    })
    expectWithinBudget(
      core,
      [2 ** 63, 2 ** 64 * (1 - 2 ** -40), 2 ** 64, 2 ** 64 * (1 + 2 ** -40), 2 ** 65, 2 ** 200].map(at),
    )
  })
})
