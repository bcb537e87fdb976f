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
import { computeSchedule } from '../../src/research/schedule.js'
import { acx } from './cliHarness.js'

const core = loadAcCoreSync()

describe('acx schedule', () => {
  it('gives the defaults the issue quotes: κT ≈ 0.88 and a first slice of ≈ 23.5%', () => {
    const r = computeSchedule({ config: {}, quantity: 1000, price: 100, spread: 0, strategy: 'almgren_chriss' })
    expect(r.kappaT).toBeCloseTo(0.876, 3)
    expect(r.slices[0]!.tradeFraction).toBeCloseTo(0.235, 3)
    expect(r.slices.map((s) => s.tradeQty)).toEqual([234, 211, 194, 183, 178])
    expect(r.slices.map((s) => s.startSeconds)).toEqual([0, 60, 120, 180, 240])
    expect(r.slices.map((s) => s.holdingsBefore)).toEqual([1000, 766, 555, 361, 178])
    expect(r.slices.map((s) => s.aggression)).toEqual([0.6, 0.675, 0.75, 0.825, 0.9])
    expect(r.halfLifeSeconds).toBeCloseTo(1 / r.kappa, 9)
  })

  it("matches the core's trajectory and the engine's preview, in bps and in dollars", () => {
    const input: AcConfigInput = { ac: { profile: 'small_cap', riskAversion: 2 } }
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

  it('prints a table and JSON from the command line, flags over the environment', async () => {
    const t = await acx('schedule', '--profile', 'large_cap', '--quantity', '1000', '--price', '190')
    expect(t.code).toBe(0)
    expect(t.stdout).toMatch(/κT 2\.73912/)
    expect(t.stdout).toMatch(/^\s+0\s+0\s+1000\s+100\.00%\s+426\s+42\.66%\s+0\.600$/m)
    const j = await acx(
      'schedule',
      '--slices',
      '3',
      '--horizon',
      '90',
      '--slice-wait',
      '10',
      '--strategy',
      'twap',
      '--format',
      'json',
    )
    expect(j.code).toBe(0)
    const r = JSON.parse(j.stdout)
    expect(r.kappa).toBe(0)
    expect(r.halfLifeSeconds).toBeNull()
    expect(r.slices.map((s: { tradeQty: number }) => s.tradeQty)).toEqual([333, 333, 334])
  })

  it('exits 2 naming each bad flag, and each bad variable a flag did not override', async () => {
    const r = await acx('schedule', '--slices', '0', '--temporary-impact', '-1')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--slices: must be ≥ 1/)
    expect(r.stderr).toMatch(/--temporary-impact: must be > 0/)
    process.env.AC_RISK_AVERSION = 'lots'
    process.env.AC_NUM_SLICES = '0'
    try {
      const e = await acx('schedule', '--slices', '4')
      expect(e.code).toBe(2)
      expect(e.stderr).toMatch(/AC_RISK_AVERSION: must be a number/)
      expect(e.stderr).not.toMatch(/AC_NUM_SLICES/) // the flag won
    } finally {
      delete process.env.AC_RISK_AVERSION
      delete process.env.AC_NUM_SLICES
    }
  })
})
