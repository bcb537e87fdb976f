import { describe, expect, it } from 'vitest'
import { Dec } from '../../src/domain/dec.js'
import { checkQuote, type UsableQuote } from '../../src/domain/quote.js'
import { createVirtualClock } from '../../src/ports/clock.js'
import { createRiskGate } from '../../src/risk/riskGate.js'
import type { RiskLimits } from '../../src/risk/riskLimits.js'

const limits = (over: Partial<RiskLimits> = {}): RiskLimits => ({
  maxOrderQuantity: new Dec(1000),
  maxOrderNotional: new Dec(100_000),
  maxChildOrdersPerMinute: 3,
  priceCollarBps: 50,
  blockedSymbols: new Set(['GME']),
  ...over,
})

const quote = (bid: string, ask: string): UsableQuote => {
  const q = checkQuote(
    { symbol: 'AAPL', bid: new Dec(bid), ask: new Dec(ask), bidSize: new Dec(1), askSize: new Dec(1), timestampMs: 0 },
    0,
    1,
  )
  if (!q.ok) throw new Error('bad quote')
  return q.quote
}

const child = (over: Record<string, unknown> = {}) => ({
  symbol: 'AAPL',
  side: 'BUY' as const,
  qty: new Dec(10),
  limitPrice: new Dec('100.00'),
  quote: quote('99.99', '100.01'),
  ...over,
})

describe('createRiskGate', () => {
  it('refuses a parent over the quantity limit, and one over the notional at the mid', () => {
    const gate = createRiskGate(limits(), createVirtualClock())
    expect(gate.checkParent({ symbol: 'AAPL', quantity: new Dec(1000), mid: new Dec(100) })).toBeNull()
    expect(gate.checkParent({ symbol: 'AAPL', quantity: new Dec('1000.000000001'), mid: null })?.code).toBe(
      'RISK_MAX_ORDER_QUANTITY',
    )
    const r = gate.checkParent({ symbol: 'AAPL', quantity: new Dec(1000), mid: new Dec('100.01') })
    expect(r?.code).toBe('RISK_MAX_ORDER_NOTIONAL')
    expect(r?.message).toContain('100010.00')
    // without a quote the notional is not checked here (the engine checks again at the start)
    expect(gate.checkParent({ symbol: 'AAPL', quantity: new Dec(1000), mid: null })).toBeNull()
  })

  it('refuses blocked symbols and everything while halted, until resumed', () => {
    const clock = createVirtualClock()
    const gate = createRiskGate(limits(), clock)
    expect(gate.checkParent({ symbol: 'GME', quantity: new Dec(1), mid: null })?.code).toBe('RISK_BLOCKED_SYMBOLS')
    gate.halt('fat finger on desk 3')
    expect(gate.halted).toEqual({ reason: 'fat finger on desk 3', sinceMs: clock.now() })
    expect(gate.checkParent({ symbol: 'AAPL', quantity: new Dec(1), mid: null })?.code).toBe('RISK_HALTED')
    expect(gate.admitChild(child())?.code).toBe('RISK_HALTED')
    gate.resume()
    expect(gate.halted).toBeNull()
    expect(gate.admitChild(child())).toBeNull()
  })

  it('prices a market child at the far touch and refuses one with no quote at all', () => {
    const gate = createRiskGate(limits({ maxOrderNotional: new Dec(1000) }), createVirtualClock())
    // 10 at the ask 100.01 = 1000.10 > 1000, although 10 at the mid (1000.00) would pass
    expect(gate.admitChild(child({ limitPrice: undefined }))?.code).toBe('RISK_MAX_ORDER_NOTIONAL')
    expect(gate.admitChild(child({ limitPrice: undefined, side: 'SELL' }))).toBeNull() // at the bid: 999.90
    expect(gate.admitChild(child({ limitPrice: undefined, quote: null }))?.code).toBe('RISK_NO_PRICE')
  })

  it('refuses a limit price farther from the mid than the collar', () => {
    const gate = createRiskGate(limits({ maxChildOrdersPerMinute: 100 }), createVirtualClock())
    expect(gate.admitChild(child({ limitPrice: new Dec('100.50') }))).toBeNull() // exactly 50 bps
    const r = gate.admitChild(child({ limitPrice: new Dec('100.51') }))
    expect(r?.code).toBe('RISK_PRICE_COLLAR_BPS')
    expect(r?.message).toContain('51.0 bps')
    expect(gate.admitChild(child({ limitPrice: new Dec('99.49') }))?.code).toBe('RISK_PRICE_COLLAR_BPS')
  })

  it('lets at most the limit of child orders through in any minute, counting only those let through', async () => {
    const clock = createVirtualClock({ autoAdvance: false })
    const gate = createRiskGate(limits(), clock)
    expect(gate.admitChild(child({ limitPrice: new Dec('200') }))?.code).toBe('RISK_PRICE_COLLAR_BPS') // not counted
    for (let i = 0; i < 3; i++) {
      expect(gate.admitChild(child())).toBeNull()
      await clock.advance(10_000)
    }
    expect(gate.admitChild(child())?.code).toBe('RISK_MAX_CHILD_ORDERS_PER_MINUTE')
    await clock.advance(30_000) // the first left the window (60 s after it was sent)
    expect(gate.admitChild(child())).toBeNull()
    expect(gate.admitChild(child())?.code).toBe('RISK_MAX_CHILD_ORDERS_PER_MINUTE')
  })
})
