import { describe, expect, it } from 'vitest'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import {
  createAcConfig,
  createEngine,
  createSimulatedMarket,
  createVirtualClock,
  toKernelParams,
  type AcConfigInput,
} from '@acx/engine'
import { computeSchedule, formatScheduleTable, researchConfig } from '../src/index.js'

const core = loadAcCoreSync()
/** The rollout guide's impact semantics (AC_IMPACT_MODEL=order_fraction), whose numbers these tests check. */
const orderFraction: AcConfigInput = { impact: { model: 'order_fraction' } }

describe('computeSchedule', () => {
  it('gives the defaults the issue quotes: κT ≈ 0.88 and a first slice of ≈ 23.5%', () => {
    const r = computeSchedule({
      config: orderFraction,
      quantity: 1000,
      price: 100,
      spread: 0,
      strategy: 'almgren_chriss',
    })
    expect(r.kappaT).toBeCloseTo(0.876, 3)
    expect(r.slices[0]!.tradeFraction).toBeCloseTo(0.235, 3)
    expect(r.slices.map((s) => s.tradeQty)).toEqual([234, 211, 194, 183, 178])
    expect(r.slices.map((s) => s.startSeconds)).toEqual([0, 60, 120, 180, 240])
    expect(r.slices.map((s) => s.holdingsBefore)).toEqual([1000, 766, 555, 361, 178])
    expect(r.slices.map((s) => s.aggression)).toEqual([0.6, 0.675, 0.75, 0.825, 0.9])
    expect(r.decayTimeSeconds).toBeCloseTo(1 / r.kappa, 9)
    expect(r.halfLifeSeconds).toBeCloseTo(Math.LN2 / r.kappa, 9)
    const table = formatScheduleTable(r)
    expect(table).toMatch(/ln 2\/κ/)
    expect(table).toMatch(/1\/κ/)
  })

  it("matches the core's trajectory and the engine's preview, in bps and in dollars", () => {
    const input: AcConfigInput = { ac: { profile: 'small_cap', riskAversion: 2 }, ...orderFraction }
    const r = computeSchedule({ config: input, quantity: 25_000, price: 40, spread: 0.02, strategy: 'almgren_chriss' })
    const config = createAcConfig(input)
    const t = core.trajectory(toKernelParams(config.ac, { tradingDaySeconds: 23_400, fixedCost: 0.02 / 2 / 40 }))
    expect(r.kappa).toBe(t.kappa)
    expect(r.kappaT).toBe(t.kappa * 450)
    expect(r.expectedCostBps).toBe(t.expectedCost * 1e4)
    expect(r.expectedStdBps).toBe(Math.sqrt(t.variance) * 1e4)
    expect(r.expectedCostDollars).toBeCloseTo(t.expectedCost * 25_000 * 40, 9)
    expect(r.expectedStdDollars).toBeCloseTo(Math.sqrt(t.variance) * 1e6, 9)
    expect(r.slices).toHaveLength(7)
    r.slices.forEach((s, k) => {
      expect(s.holdingsFraction).toBe(t.holdings[k])
      expect(s.tradeFraction).toBe(t.trades[k])
    })
    const clock = createVirtualClock({ autoAdvance: false })
    const preview = createEngine({
      broker: createSimulatedMarket({ clock, seed: 1, symbols: {} }),
      clock,
      config,
      core,
    }).plan({
      side: 'BUY',
      symbol: 'SIM',
      quantity: '25000',
      urgency: 'MEDIUM',
      correlationId: 'x',
      strategy: 'almgren_chriss',
    })
    expect(r.slices.map((s) => s.tradeQty)).toEqual(preview.slices.map((s) => s.qty.toNumber()))
    expect(r.slices.reduce((a, s) => a + s.tradeQty, 0)).toBe(25_000)
    // Without a spread the estimate is the engine's preview (impact only).
    const noSpread = computeSchedule({
      config: input,
      quantity: 25_000,
      price: 40,
      spread: 0,
      strategy: 'almgren_chriss',
    })
    expect(noSpread.expectedCostBps).toBe(preview.expectedCostBps)
    expect(noSpread.expectedStdBps).toBe(preview.expectedStdBps)
  })

  it('scales η and γ with the order under the participation model, so the estimate grows with size', () => {
    const at = (quantity: number) => computeSchedule({ config: {}, quantity, price: 100, spread: 0, strategy: 'twap' })
    const small = at(1_000)
    const large = at(100_000)
    // AC_DEFAULT_ADV 1,000,000, σ 0.02, η 0.357, γ 0.314: η_kernel = η·σ·Q·D/ADV, γ_kernel = γ·σ·Q/ADV
    expect(small.params.temporaryImpact).toBeCloseTo((0.357 * 0.02 * 1000 * 23_400) / 1e6, 12)
    expect(large.params.permanentImpact).toBeCloseTo((0.314 * 0.02 * 100_000) / 1e6, 12)
    expect(small.orderPctAdv).toBe(0.1)
    expect(large.expectedCostBps / small.expectedCostBps).toBeCloseTo(100, 6) // no spread: E ∝ Q for TWAP
    expect(small.impactModel).toBe('participation')
  })
})

describe('researchConfig', () => {
  it('puts flags over the environment and names the flag or the variable in each problem', () => {
    const ok = researchConfig({ AC_RISK_AVERSION: '0.25' }, { slices: 7 })
    expect(ok.problems).toEqual([])
    expect(ok.input.ac).toMatchObject({ riskAversion: 0.25, numSlices: 7 })
    const bad = researchConfig({ AC_NUM_SLICES: '-3' }, { riskAversion: -1 })
    const where = bad.problems.map((p) => JSON.stringify(p))
    expect(where.some((w) => w.includes('--risk-aversion'))).toBe(true)
    expect(where.some((w) => w.includes('AC_NUM_SLICES'))).toBe(true)
  })
})
