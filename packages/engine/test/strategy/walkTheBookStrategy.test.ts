import { describe, expect, it } from 'vitest'
import { aHarness, anIntent } from '../support/builders.js'

describe('walk_the_book end to end on the simulator', () => {
  it('walks 0.50 / 0.75 / 0.95 of the spread, re-sending only what is left, then goes to market', async () => {
    // Spread 0.10 so the three steps land on different cents; thin flow so each step fills partly.
    const h = aHarness({
      market: {
        dailyVolatility: 0,
        tradeProbability: 0.2,
        meanTradeSize: 40,
        symbols: { WIDE: { price: '50', spread: '0.10' } },
      },
    })
    const r = await h.engine.execute(
      anIntent({ symbol: 'WIDE', urgency: 'LOW', quantity: '500', correlationId: 'wtb-1' }),
    )
    expect(r.executionStrategy).toBe('walk_the_book')
    // bid 49.95, ask 50.05: 49.95 + 0.05 = 50.00, + 0.075 = 50.025 → 50.02, + 0.095 = 50.045 → 50.04
    expect(r.attempts.map((a) => [a.clientOrderId, a.kind, a.limitPrice?.toString()])).toEqual([
      ['wtb-1-s0-a0', 'limit', '50'],
      ['wtb-1-s0-a1', 'limit', '50.02'],
      ['wtb-1-s0-a2', 'limit', '50.04'],
      ['wtb-1-s0-a3', 'market_fallback', undefined],
    ])
    let left = r.requestedQuantity
    for (const a of r.attempts) {
      expect(a.qty.toString()).toBe(left.toString())
      left = left.sub(a.filledQty)
    }
    // each step rests 10 s; the cancel (200 ms at the simulator) is confirmed by polls at +0, +0.1 and +0.3 s
    expect(r.attempts.slice(0, 3).map((a) => (a.submittedAt - r.startedAt) / 1000)).toEqual([0, 10.3, 20.6])
    expect(r.success).toBe(true)
    expect(r.marketFallbackUsed).toBe(true)
    expect(r.slicesUsed).toBe(1)
    expect(r.expectedCostBps).toBeNull()
    expect(h.logger.records.some((x) => x.msg === 'Market order fallback')).toBe(true)
  })

  it('stops walking once filled', async () => {
    const h = aHarness({ market: { dailyVolatility: 0, tradeProbability: 0.9, meanTradeSize: 500 } })
    const r = await h.engine.execute(anIntent({ urgency: 'LOW', quantity: '100' }))
    expect(r.success).toBe(true)
    expect(r.attempts).toHaveLength(1)
    expect(r.marketFallbackUsed).toBe(false)
  })

  it('walks a SELL down from the ask, rounding up to the tick', async () => {
    const h = aHarness({
      market: { dailyVolatility: 0, tradeProbability: 0, symbols: { WIDE: { price: '50', spread: '0.10' } } },
    })
    const r = await h.engine.execute(
      anIntent({ symbol: 'WIDE', side: 'SELL', urgency: 'LOW', quantity: '300', correlationId: 'wtb-s' }),
    )
    // ask 50.05 − 0.05 = 50.00; − 0.075 = 49.975 → 49.98; − 0.095 = 49.955 → 49.96; then market at the bid
    expect(r.attempts.map((a) => a.limitPrice?.toString() ?? 'market')).toEqual(['50', '49.98', '49.96', 'market'])
    expect(r.attempts.slice(0, 3).every((a) => a.qty.eq(300) && a.filledQty.isZero())).toBe(true)
    // the bid 49.95 less the default temporary impact 1e-7 × 300 shares = 49.9485, rounded down against us
    expect(r.avgFillPrice.toString()).toBe('49.94')
    expect(r.success).toBe(true)
  })

  it('skips steps without a usable quote and still finishes at market', async () => {
    const h = aHarness({
      market: { dailyVolatility: 0, tradeProbability: 0, symbols: { WIDE: { price: '50', spread: '0.10' } } },
    })
    const running = h.engine.execute(
      anIntent({ symbol: 'WIDE', urgency: 'LOW', quantity: '300', correlationId: 'wtb-q' }),
    )
    await h.clock.sleep(5_000)
    h.market.setQuoteFault('WIDE', 'missing')
    const r = await running
    expect(r.attempts.map((a) => a.clientOrderId)).toEqual(['wtb-q-s0-a0', 'wtb-q-s0-a3'])
    expect(r.success).toBe(true)
    expect(h.logger.records.filter((x) => x.msg === 'No usable quote')).toHaveLength(2)
  })
})
