import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { createAcConfig } from '../../src/config/createAcConfig.js'
import { impactKernelParams, participationOf, resolveMarketStats } from '../../src/config/impactModel.js'
import { Dec } from '../../src/domain/dec.js'
import { dailyStatsFromBars } from '../../src/domain/marketStats.js'
import { planExecution } from '../../src/execution/planExecution.js'
import { parseOrderIntent, type OrderIntentInput } from '../../src/domain/orderIntent.js'
import { isConfigError } from '../../src/errors.js'

const D = 23_400
const intent = (quantity: string, extra: Partial<OrderIntentInput> = {}) => {
  const r = parseOrderIntent({ side: 'BUY', symbol: 'SIM', quantity, urgency: 'MEDIUM', correlationId: 'c', ...extra })
  if (!r.ok) throw new Error('bad intent')
  return r.value
}
const venue = (adv: number, dailyVolatility: number) => ({
  symbol: 'SIM',
  adv: new Dec(adv),
  dailyVolatility,
  days: 20,
})

describe('the participation impact model', () => {
  it('maps η and γ onto the kernel: η·σ·Q·D/ADV and γ·σ·Q/ADV (relative 1e-15)', () => {
    const config = createAcConfig({ impact: { eta: 0.4, gamma: 0.3 } })
    const stats = resolveMarketStats(config, 'SIM', venue(2_000_000, 0.015))
    const p = impactKernelParams(config.ac, config.impact, stats, new Dec(50_000), D)
    expect(p.temporaryImpact / ((0.4 * 0.015 * 50_000 * D) / 2_000_000) - 1).toBeLessThan(1e-15)
    expect(p.permanentImpact / ((0.3 * 0.015 * 50_000) / 2_000_000) - 1).toBeLessThan(1e-15)
    expect(p.volatility).toBe(0.015)
    const kept = createAcConfig({ impact: { model: 'order_fraction' } })
    expect(impactKernelParams(kept.ac, kept.impact, stats, new Dec(50_000), D)).toBe(kept.ac)
  })

  it('gives TWAP the closed form E = ε + η·σ·(Q/T)/V̄ + ½·γ·σ·(Q/ADV)·(1 − 1/N) (relative 1e-9)', () => {
    const config = createAcConfig({ impact: { eta: 0.357, gamma: 0.314 } })
    const stats = resolveMarketStats(config, 'SIM', venue(1_000_000, 0.02))
    const quote = { bid: new Dec('99.99'), ask: new Dec('100.01'), mid: new Dec(100), spread: new Dec('0.02') }
    for (const q of [100, 10_000, 50_000]) {
      const { plan } = planExecution(config, reference, intent(String(q)), 'twap', {
        quote: quote as never,
        stats,
        lot: new Dec(1),
      })
      const T = plan.horizonSeconds
      const N = plan.slices.length
      const vBar = 1_000_000 / D
      const eps = 0.01 / 100
      const closed = eps + 0.357 * 0.02 * (q / T / vBar) + 0.5 * 0.314 * 0.02 * (q / 1_000_000) * (1 - 1 / N)
      expect(Math.abs((plan.expectedCostBps as number) / (closed * 1e4) - 1)).toBeLessThan(1e-9)
      expect(plan.orderPctAdv).toBeCloseTo((q / 1_000_000) * 100, 12)
      expect(plan.participationRate).toBeCloseTo(q / T / vBar, 12)
    }
  })

  it('makes the estimate grow with size, and says the spread dominates for tiny orders', () => {
    const config = createAcConfig()
    const stats = resolveMarketStats(config, 'SIM', venue(1_000_000, 0.02))
    const quote = { bid: new Dec('99.99'), ask: new Dec('100.01'), mid: new Dec(100), spread: new Dec('0.02') }
    const est = (q: number) =>
      planExecution(config, reference, intent(String(q), { strategy: 'almgren_chriss' }), 'almgren_chriss', {
        quote: quote as never,
        stats: { ...stats, advSource: 'default' }, // no cap: the same horizon for every size
      }).plan
    const small = est(10)
    const mid = est(1_000)
    const large = est(100_000)
    expect(small.expectedCostBps!).toBeLessThan(mid.expectedCostBps!)
    expect(mid.expectedCostBps!).toBeLessThan(large.expectedCostBps!)
    expect(large.expectedCostBps! - large.halfSpreadBps).toBeGreaterThan(
      50 * (mid.expectedCostBps! - mid.halfSpreadBps),
    )
    expect(small.dominantCost).toBe('spread')
    expect(large.dominantCost).toBe('impact')
  })

  it('reports participation of an instant as null', () => {
    expect(participationOf(100, 0, new Dec(1e6), D)).toBeNull()
    expect(participationOf(100, 10, new Dec(D), D)).toBe(10)
  })
})

describe('market statistics', () => {
  it('computes ADV and the sample σ of daily log returns from bars', () => {
    const closes = [100, 102, 99, 101, 100.5]
    const volumes = [1000, 3000, 2000, 4000, 5000]
    const s = dailyStatsFromBars(
      'X',
      closes.map((close, i) => ({ close, volume: volumes[i] as number })),
    )
    const r = closes.slice(1).map((c, i) => Math.log(c / (closes[i] as number)))
    const m = r.reduce((a, b) => a + b, 0) / r.length
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / (r.length - 1))
    expect(s?.adv.toNumber()).toBe(3000)
    expect(s?.dailyVolatility).toBeCloseTo(sd, 15)
    expect(s?.days).toBe(5)
  })

  it('gives nothing for too few bars, a flat price, no volume or a bad bar', () => {
    expect(
      dailyStatsFromBars('X', [
        { close: 1, volume: 1 },
        { close: 2, volume: 1 },
      ]),
    ).toBeNull()
    expect(
      dailyStatsFromBars(
        'X',
        [1, 1, 1].map((close) => ({ close, volume: 10 })),
      ),
    ).toBeNull()
    expect(
      dailyStatsFromBars(
        'X',
        [1, 2, 3].map((close) => ({ close, volume: 0 })),
      ),
    ).toBeNull()
    expect(
      dailyStatsFromBars(
        'X',
        [1, Number.NaN, 3].map((close) => ({ close, volume: 5 })),
      ),
    ).toBeNull()
  })

  it('takes an override over the venue, the venue over the default', () => {
    const config = createAcConfig({
      ac: { volatility: 0.03 },
      marketStats: { defaultAdv: '500000', bySymbol: { AAPL: { adv: '50000000' }, XYZ: { volatility: 0.05 } } },
    })
    expect(resolveMarketStats(config, 'AAPL', venue(1e6, 0.01))).toMatchObject({
      advSource: 'override',
      volatilitySource: 'venue',
      dailyVolatility: 0.01,
    })
    const xyz = resolveMarketStats(config, 'XYZ', null)
    expect(xyz).toMatchObject({ advSource: 'default', volatilitySource: 'override', dailyVolatility: 0.05 })
    expect(xyz.adv.toString()).toBe('500000')
    const bad = resolveMarketStats(config, 'QQQ', {
      symbol: 'QQQ',
      adv: new Dec(0),
      dailyVolatility: Number.NaN,
      days: 3,
    })
    expect(bad).toMatchObject({ advSource: 'default', volatilitySource: 'default', dailyVolatility: 0.03 })
  })

  it('refuses bad impact settings, each naming its field', () => {
    const issues = (input: Parameters<typeof createAcConfig>[0]) => {
      try {
        createAcConfig(input)
        return []
      } catch (e) {
        if (!isConfigError(e)) throw e
        return e.issues.map((i) => i.path.join('.'))
      }
    }
    expect(issues({ impact: { model: 'linear' as never } })).toEqual(['impact.model'])
    expect(issues({ impact: { eta: 0 } })).toEqual(['impact.eta'])
    expect(issues({ impact: { eta: Number.NaN } })).toEqual(['impact.eta'])
    expect(issues({ impact: { gamma: -1 } })).toEqual(['impact.gamma'])
    expect(issues({ impact: { maxParticipation: 1.5 } })).toEqual(['impact.maxParticipation'])
    expect(issues({ impact: { maxHorizonSeconds: Number.POSITIVE_INFINITY } })).toEqual(['impact.maxHorizonSeconds'])
    expect(issues({ ac: { volatility: 0 } })).toEqual(['ac.volatility'])
    expect(issues({ ac: { volatility: 0 }, impact: { model: 'order_fraction' } })).toEqual([])
    expect(issues({ marketStats: { defaultAdv: '0', bySymbol: { AAPL: { adv: 'x', volatility: 0 } } } })).toEqual([
      'marketStats.defaultAdv',
      'marketStats.bySymbol.AAPL.adv',
      'marketStats.bySymbol.AAPL.volatility',
    ])
    expect(issues({ routing: { acMinAdvPct: 101 } })).toEqual(['routing.acMinAdvPct'])
    expect(createAcConfig({ impact: { maxParticipation: null }, routing: { acMinAdvPct: null } })).toMatchObject({
      impact: { maxParticipation: null },
      routing: { acMinAdvPct: null },
    })
  })
})
