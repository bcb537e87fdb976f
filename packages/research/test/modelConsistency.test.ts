import { describe, expect, it } from 'vitest'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import { acParamsFor, createAcConfig, toKernelParams, type AcConfigInput } from '@acx/engine'
import { meanStd, runSimulations, SIM_SYMBOL, type SimulationSpec } from '../src/simulation.js'

/**
 * The correctness check of issue 6. The engine's own `almgren_chriss` and `twap` executions (its
 * schedule from the WebAssembly core, slice timing t_k = kτ on a virtual clock, whole-share sizing and
 * re-planning, shortfall against the arrival mid) run against `createModelMarket`: a market that is the
 * Almgren–Chriss model — arithmetic Brownian mid, permanent impact γ per fraction traded, every order
 * executed at S(t_k) + S₀(ε + η·n_k/τ). The realised shortfall must then have the engine's predicted
 * mean E and variance V, within Monte Carlo error, and AC must beat TWAP on E + λV at the same λ.
 *
 * Parameters are chosen so the check has power: impact is large enough that E differs clearly from
 * the half spread (and from TWAP's), and λ is large enough (κT ≈ 3) that the utility gap between AC and
 * TWAP is many Monte Carlo standard errors wide.
 */
const RUNS = 3000
const input: AcConfigInput = {
  impact: { model: 'order_fraction' }, // η and γ per fraction of the order, as given below
  ac: {
    temporaryImpact: 0.1, // η: 10 bps per (whole order per second)
    permanentImpact: 0.0005, // γ: 5 bps per whole order
    riskAversion: 585, // κT ≈ 3 with the default σ = 2%/day, T = 300 s, N = 5
    startAggression: 1, // marketable slices, as the model trades
    endAggression: 1,
  },
}
const spec = (strategy: 'almgren_chriss' | 'twap'): SimulationSpec => ({
  strategy,
  config: input,
  market: 'model',
  side: 'BUY',
  quantity: 100_000,
  price: 50,
  spread: 0.01,
  seed: 7,
})

describe('Almgren–Chriss on a market that follows the model', async () => {
  const [ac, twap] = await runSimulations([spec('almgren_chriss'), spec('twap')], RUNS)
  const lambda = acParamsFor(createAcConfig(input), SIM_SYMBOL).riskAversion

  const check = (r: NonNullable<typeof ac>) => {
    const s = meanStd(r.shortfallBps)
    const e = r.expectedCostBps[0] as number
    const sd = r.expectedStdBps[0] as number
    return { s, e, v: sd * sd, se: s.std / Math.sqrt(s.n), varRelSe: Math.sqrt(2 / (s.n - 1)) }
  }

  it('fills every run in full with no fallback, with the engine predicting the kernel E and V', () => {
    for (const r of [ac!, twap!]) {
      expect(Math.min(...r.fillPercentage)).toBe(100)
      expect(Math.max(...r.fallback)).toBe(0)
      expect(new Set(r.expectedCostBps).size).toBe(1) // the same arrival, the same prediction
    }
    const config = createAcConfig(input)
    const t = loadAcCoreSync().trajectory(
      toKernelParams(acParamsFor(config, SIM_SYMBOL), {
        tradingDaySeconds: config.tradingDaySeconds,
        fixedCost: 0.01 / 2 / 50,
      }),
    )
    expect(ac!.expectedCostBps[0]).toBeCloseTo(t.expectedCost * 1e4, 9)
    expect(t.kappa * 300).toBeGreaterThan(2.5)
  })

  it('realises the model mean E and variance V for almgren_chriss and for twap, within Monte Carlo error', () => {
    for (const r of [ac!, twap!]) {
      const c = check(r)
      expect(Math.abs(c.s.mean - c.e)).toBeLessThan(4 * c.se)
      expect(Math.abs((c.s.std * c.s.std) / c.v - 1)).toBeLessThan(4 * c.varRelSe)
    }
    // Power: the mean is resolved well enough to tell E from the half spread alone, and AC's E from TWAP's.
    const a = check(ac!)
    const t = check(twap!)
    expect(Math.abs(a.s.mean - 1)).toBeGreaterThan(10 * a.se) // ε = 1 bp
    expect(a.e - t.e).toBeGreaterThan(5 * Math.hypot(a.se, t.se))
    expect(a.s.mean).toBeGreaterThan(t.s.mean)
  })

  it('beats TWAP on E + λV at the same risk aversion, realised as predicted', () => {
    const a = check(ac!)
    const t = check(twap!)
    const objective = (mean: number, variance: number) => mean + lambda * variance * 1e-4 // bps: E + λV with costs as fractions
    const realisedAc = objective(a.s.mean, a.s.std ** 2)
    const realisedTwap = objective(t.s.mean, t.s.std ** 2)
    const modelAc = objective(a.e, a.v)
    const modelTwap = objective(t.e, t.v)
    expect(modelAc).toBeLessThan(modelTwap)
    expect(realisedAc).toBeLessThan(realisedTwap)
    // The realised gap agrees with the model's within a generous Monte Carlo allowance.
    const gapSe = Math.hypot(a.se, t.se) + lambda * 1e-4 * Math.hypot(a.v * a.varRelSe, t.v * t.varRelSe)
    expect(Math.abs(realisedTwap - realisedAc - (modelTwap - modelAc))).toBeLessThan(4 * gapSe)
    expect(modelTwap - modelAc).toBeGreaterThan(5 * gapSe)
  })
})
