import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { createAcConfig } from '../../src/config/createAcConfig.js'
import { resolveMarketStats } from '../../src/config/impactModel.js'
import { Dec } from '../../src/domain/dec.js'
import { parseOrderIntent } from '../../src/domain/orderIntent.js'
import { planExecution } from '../../src/execution/planExecution.js'
import { routeBySize } from '../../src/routing/sizeRoute.js'
import { aHarness, anIntent } from '../support/builders.js'

const ADV = 1_000_000
const D = 23_400
const intent = (quantity: string, strategy?: 'twap') => {
  const r = parseOrderIntent({
    side: 'BUY',
    symbol: 'SIM',
    quantity,
    urgency: 'MEDIUM',
    correlationId: 'c',
    ...(strategy ? { strategy } : {}),
  })
  if (!r.ok) throw new Error('bad intent')
  return r.value
}
const measured = (config = createAcConfig()) =>
  resolveMarketStats(config, 'SIM', { symbol: 'SIM', adv: new Dec(ADV), dailyVolatility: 0.02, days: 20 })

describe('the participation cap', () => {
  it('extends the horizon by slices of the same τ to the fewest whose largest slice fits cap·V̄·τ', () => {
    const config = createAcConfig()
    const plan = (q: string) =>
      planExecution(config, reference, intent(q), 'almgren_chriss', { quote: null, stats: measured(config) }).plan
    const p = plan('50000')
    const cap = Math.floor(0.1 * (ADV / D) * 60) // 256 shares
    expect(p.participationCap?.sliceCapQty.toNumber()).toBe(cap)
    expect(p.participationCap?.extendedFromSeconds).toBe(300)
    expect(p.participationCap?.slicesOverCap).toBe(0)
    const n = p.slices.length
    expect(p.horizonSeconds).toBe(n * 60)
    expect(Math.max(...p.slices.map((s) => s.qty.toNumber()))).toBeLessThanOrEqual(cap)
    expect(p.maxSliceParticipation!).toBeLessThanOrEqual(0.1 + 1e-12)
    expect(p.slices.reduce((a, s) => a.add(s.qty), new Dec(0)).toString()).toBe('50000')
    // one slice fewer would not fit: the kernel's largest slice over N − 1 slices of 60 s is above the cap
    const fewer = planExecution(
      createAcConfig({ ac: { numSlices: n - 1, totalTimeSeconds: (n - 1) * 60 }, impact: { maxParticipation: null } }),
      reference,
      intent('50000'),
      'almgren_chriss',
      { quote: null, stats: measured() },
    ).plan
    expect(Math.max(...fewer.slices.map((s) => s.fraction)) * 50_000).toBeGreaterThan(cap)
    expect(plan('1000').participationCap).toMatchObject({ extendedFromSeconds: null, slicesOverCap: 0 })
  })

  it('clips slices to the cap when the horizon limit is reached, and says how many are over it', () => {
    const config = createAcConfig({ impact: { maxHorizonSeconds: 600 } })
    const p = planExecution(config, reference, intent('50000', 'twap'), 'twap', {
      quote: null,
      stats: measured(config),
    }).plan
    expect(p.horizonSeconds).toBe(600)
    expect(p.slices).toHaveLength(10)
    expect(p.slices.slice(0, 9).every((s) => s.qty.toNumber() === 256)).toBe(true)
    expect(p.slices[9]?.qty.toNumber()).toBe(50_000 - 9 * 256)
    expect(p.participationCap?.slicesOverCap).toBe(1)
  })

  it('does not act on the configured default ADV', () => {
    const config = createAcConfig()
    const p = planExecution(config, reference, intent('50000'), 'almgren_chriss', { quote: null }).plan
    expect(p.marketStats.advSource).toBe('default')
    expect(p.participationCap).toBeNull()
    expect(p.horizonSeconds).toBe(300)
  })
})

describe('size-aware routing', () => {
  const routing = createAcConfig({ routing: { acMinAdvPct: 0.5 } }).routing
  const stats = measured()
  const q = (quantity: string, extra: object = {}) => ({ ...intent(quantity), ...extra })
  it('sends almgren_chriss below the threshold to walk_the_book and says why', () => {
    expect(routeBySize(q('1000'), routing, stats)).toEqual({
      strategy: 'walk_the_book',
      reason: 'below_ac_min_adv_pct',
      detail: `urgency MEDIUM: almgren_chriss; 0.1% of ADV is below the AC minimum of 0.5%: walk_the_book`,
    })
    expect(routeBySize(q('5000'), routing, stats)).toMatchObject({
      strategy: 'almgren_chriss',
      reason: 'at_or_above_ac_min_adv_pct',
    })
  })
  it('leaves other routes, named strategies and unmeasured ADVs alone', () => {
    expect(routeBySize(q('1000', { urgency: 'HIGH' }), routing, stats)).toEqual({
      strategy: 'market',
      reason: 'urgency',
      detail: 'urgency HIGH: market',
    })
    expect(routeBySize(q('1000', { strategy: 'almgren_chriss' }), routing, stats)).toEqual({
      strategy: 'almgren_chriss',
      reason: 'intent_strategy',
      detail: 'intent strategy almgren_chriss',
    })
    expect(routeBySize(q('1000'), routing, { ...stats, advSource: 'default' })).toEqual({
      strategy: 'almgren_chriss',
      reason: 'urgency',
      detail: 'urgency MEDIUM: almgren_chriss',
    })
    expect(routeBySize(q('1000'), { ...routing, acMinAdvPct: null }, stats).strategy).toBe('almgren_chriss')
  })
})

describe('an execution on a market with an ADV', () => {
  const market = { symbols: { AAPL: { price: '190', spread: '0.02', adv: 100_000, dailyVolatility: 0.02 } } }

  it('routes a small order to walk_the_book, with the venue statistics and the reason in the result and log', async () => {
    const h = aHarness({ market })
    const r = await h.engine.execute(anIntent({ quantity: '100' }))
    expect(r.executionStrategy).toBe('walk_the_book')
    expect(r.routeReason).toBe('below_ac_min_adv_pct')
    expect(r.marketStats).toMatchObject({ advSource: 'venue', volatilitySource: 'venue', dailyVolatility: 0.02 })
    expect(r.orderPctAdv).toBeCloseTo(0.1, 12)
    expect(r.participationRate).toBeCloseTo(100 / 30 / (100_000 / D), 12)
    const started = h.logger.records.find((x) => x.msg === 'Execution started')
    expect(started?.obj).toMatchObject({
      route_reason: 'below_ac_min_adv_pct',
      adv_source: 'venue',
      order_pct_adv: 0.1,
    })
  })

  it('extends a large order over more slices and stays within the cap', async () => {
    const h = aHarness({ market })
    const r = await h.engine.execute(anIntent({ quantity: '2000' }))
    expect(r.executionStrategy).toBe('almgren_chriss')
    expect(r.routeReason).toBe('at_or_above_ac_min_adv_pct')
    expect(r.participationCap?.extendedFromSeconds).toBe(300)
    expect(r.horizonSeconds).toBeGreaterThan(300)
    // every slice but the last within cap·V̄·τ; what the flow did not fill is carried to the last (then the fallback)
    const cap = Math.floor(0.1 * (100_000 / D) * 60)
    const limits = r.attempts.filter((x) => x.kind === 'limit')
    const last = Math.max(...limits.map((a) => a.sliceIndex))
    const slices = limits.filter((x) => x.sliceIndex < last)
    expect(slices.length).toBeGreaterThan(50)
    for (const a of slices) expect(a.qty.toNumber()).toBeLessThanOrEqual(cap)
    expect(h.logger.records.some((x) => x.msg === 'Horizon extended for the participation cap')).toBe(true)
  })

  it('says when the statistics are the configured defaults', async () => {
    const h = aHarness()
    const r = await h.engine.execute(anIntent({ quantity: '100' }))
    expect(r.marketStats).toMatchObject({ advSource: 'default', volatilitySource: 'default' })
    expect(r.executionStrategy).toBe('almgren_chriss')
    expect(h.logger.records.some((x) => x.msg === 'Market statistics: configured defaults used')).toBe(true)
  })
})

describe('the simulated market with an ADV', () => {
  const symbols = { SIM: { price: '100', spread: '0.02', adv: 1_000_000, dailyVolatility: 0.02 } }
  const order = (qty: string, type: 'market' | 'limit' = 'market', limitPrice?: string) => ({
    clientOrderId: `o-${qty}-${type}` as never,
    symbol: 'SIM',
    side: 'BUY' as const,
    qty: new Dec(qty),
    type,
    ...(limitPrice ? { limitPrice: new Dec(limitPrice) } : {}),
    timeInForce: 'day' as const,
  })

  it('answers its ADV and σ as daily statistics (none for a symbol without an ADV)', async () => {
    const h = aHarness({ market: { symbols: { ...symbols, OLD: { price: '10', spread: '0.01' } } } })
    const s = await h.market.getDailyStats?.('SIM')
    expect(s?.adv.toNumber()).toBe(1_000_000)
    expect(s?.dailyVolatility).toBe(0.02)
    expect(await h.market.getDailyStats?.('OLD')).toBeNull()
  })

  it('fills what the touch absorbs at the far touch, and the rest at far·(1 + η·σ·r/V̄)', async () => {
    const h = aHarness({ market: { symbols, dailyVolatility: 0, participationImpact: { eta: 0.5, gamma: 0 } } })
    const small = await h.market.submitOrder(order('300'))
    expect(small.filledAvgPrice?.toString()).toBe('100.01') // the touch shows 500
    const big = await h.market.submitOrder(order('6200'))
    // 200 more at the touch; 6,000 beyond it over the 60 s window: r = 100/s, V̄ = 1e6/23,400 /s
    const concession = 0.5 * 0.02 * (100 / (1_000_000 / D))
    const deep = Math.ceil(100.01 * (1 + concession) * 100) / 100
    const expected = (200 * 100.01 + 6000 * deep) / 6200
    expect(big.filledAvgPrice?.toNumber()).toBeCloseTo(expected, 9)
    const fills = h.market.fills().filter((f) => f.clientOrderId === big.clientOrderId)
    expect(fills.map((f) => [f.qty.toNumber(), f.price.toNumber()])).toEqual([
      [200, 100.01],
      [6000, deep],
    ])
  })

  it('rests what a marketable limit cannot take at the touch', async () => {
    const h = aHarness({ market: { symbols, dailyVolatility: 0 } })
    const o = await h.market.submitOrder(order('800', 'limit', '100.01'))
    expect(o.filledQty.toNumber()).toBe(500)
    expect(o.status).toBe('partially_filled')
  })

  it('moves the mid by γ·σ/ADV per share it trades', async () => {
    const h = aHarness({ market: { symbols, dailyVolatility: 0, participationImpact: { eta: 0.5, gamma: 0.3 } } })
    await h.market.submitOrder(order('400'))
    expect(h.market.mid('SIM').toNumber()).toBeCloseTo(100 * (1 + (0.3 * 0.02 * 400) / 1_000_000), 10)
  })
})
