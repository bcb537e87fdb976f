import { describe, expect, it } from 'vitest'
import { Dec } from '../../src/domain/dec.js'
import { aHarness, anIntent } from '../support/builders.js'

// A crypto pair with a minimum order size, as Alpaca's min_order_size: slices below it are merged forward.
const market = {
  symbols: { 'ETH/USD': { price: '3000', spread: '0.5', fractionable: true, minOrderSize: '0.3' } },
  tradeProbability: 1,
}
const always = { routing: { acMinAdvPct: null }, fractionalTrading: true } // AC whatever the size

describe("a venue's minimum order size", () => {
  it('refuses an intent below it at assessment and at the start, sending nothing', async () => {
    const h = aHarness({ market, config: always })
    const a = await h.engine.assess(anIntent({ symbol: 'ETH/USD', quantity: '0.25' }))
    expect(a.ok ? 'ok' : `${a.refusal.kind}:${a.refusal.code}`).toBe('venue:below_min_order_size')
    const r = await h.engine.execute(anIntent({ symbol: 'ETH/USD', quantity: '0.25' }))
    expect(r.error).toMatchObject({ code: 'below_min_order_size', message: expect.stringContaining('0.3') })
    expect(h.market.orders()).toEqual([])
    expect((await h.engine.assess(anIntent({ symbol: 'ETH/USD', quantity: '0.3' }))).ok).toBe(true)
  })

  it('merges Almgren–Chriss slices below it into later ones and never leaves a remainder below it', async () => {
    for (const quantity of ['1', '0.5', '0.61']) {
      const h = aHarness({ market, config: always })
      const r = await h.engine.execute(anIntent({ symbol: 'ETH/USD', quantity, urgency: 'MEDIUM' }))
      expect(r.executionStrategy).toBe('almgren_chriss')
      const sent = h.market.orders()
      expect(sent.length).toBeGreaterThan(0)
      for (const o of sent) expect(o.qty.gte('0.3')).toBe(true)
      // fewer children than the plan's slices: the small early ones went out with later ones
      const planned = h.journal.entries.find((e) => e.type === 'execution_planned')
      expect(planned?.type === 'execution_planned' && planned.plan.slices.length).toBeGreaterThan(sent.length)
      expect(r.totalFilled.eq(quantity)).toBe(true)
      const filled = sent.reduce((s, o) => s.add(o.filledQty), new Dec(0))
      expect(filled.eq(quantity)).toBe(true)
    }
  })
})
