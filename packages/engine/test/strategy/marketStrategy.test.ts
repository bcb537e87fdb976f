import { describe, expect, it } from 'vitest'
import { aHarness, anIntent } from '../support/builders.js'

describe('market end to end on the simulator', () => {
  it('sends one market order for HIGH urgency and pays the far touch plus impact', async () => {
    const h = aHarness({ market: { dailyVolatility: 0, temporaryImpactPerShare: 1e-6 } })
    const r = await h.engine.execute(anIntent({ urgency: 'HIGH', correlationId: 'mkt-1' }))
    expect(r.executionStrategy).toBe('market')
    expect(r.attempts).toHaveLength(1)
    expect(r.attempts[0]).toMatchObject({ clientOrderId: 'mkt-1-s0-a0', kind: 'market', status: 'filled' })
    // ask 190.01 × 1.001 = 190.20001 → 190.21
    expect(r.avgFillPrice.toString()).toBe('190.21')
    // (190.21 − 190) / 190 = 11.05 bps of cost
    expect(r.implementationShortfallBps).toBeCloseTo(11.0526, 3)
    expect(r.executionTimeSeconds).toBe(0)
    expect(r.slicesUsed).toBe(1)
  })

  it('refuses a market order when there is no quote at all: its notional cannot be bounded', async () => {
    const h = aHarness({ market: { symbols: { AAPL: { price: '190', spread: '0.02', quoteFault: 'missing' } } } })
    const r = await h.engine.execute(anIntent({ urgency: 'HIGH' }))
    expect(r.success).toBe(false)
    expect(r.error).toMatchObject({ code: 'risk_limit', riskCode: 'RISK_NO_PRICE' })
    expect(r.arrivalMid).toBeNull()
    expect(h.market.orders()).toHaveLength(0)
    expect(h.journal.entries.filter((e) => e.type === 'child_order_created')).toHaveLength(0)
  })
})
