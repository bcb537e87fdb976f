import { describe, expect, it } from 'vitest'
import { Dec } from '../../src/domain/dec.js'
import { checkQuote } from '../../src/domain/quote.js'
import { isOnTick, roundToIncrement, roundToTick, tickSize } from '../../src/domain/tick.js'
import { limitPrice } from '../../src/strategy/limitPrice.js'

describe('tick rounding', () => {
  it('uses $0.01 at or above $1 and $0.0001 below', () => {
    expect(tickSize(new Dec('1')).toString()).toBe('0.01')
    expect(tickSize(new Dec('0.9999')).toString()).toBe('0.0001')
  })

  it('rounds a BUY down and a SELL up (toward the passive side)', () => {
    expect(roundToTick(new Dec('190.017'), 'BUY').toString()).toBe('190.01')
    expect(roundToTick(new Dec('190.013'), 'SELL').toString()).toBe('190.02')
    expect(roundToTick(new Dec('0.51237'), 'BUY').toString()).toBe('0.5123')
    expect(roundToTick(new Dec('0.51231'), 'SELL').toString()).toBe('0.5124')
    expect(roundToTick(new Dec('190.01'), 'SELL').toString()).toBe('190.01')
  })

  it('keeps rounded prices on the tick', () => {
    for (const p of ['0.99995', '1.004', '25.555', '0.00004']) {
      for (const side of ['BUY', 'SELL'] as const)
        expect(isOnTick(roundToTick(new Dec(p), side)), `${p} ${side}`).toBe(true)
    }
  })
})

describe("a venue's own price step (a crypto pair's price_increment)", () => {
  it('rounds a BUY down and a SELL up to a multiple of the step, never below one step', () => {
    expect(roundToIncrement(new Dec('60005.5'), 'BUY', new Dec('1')).toFixed()).toBe('60005')
    expect(roundToIncrement(new Dec('60005.5'), 'SELL', new Dec('1')).toFixed()).toBe('60006')
    expect(roundToIncrement(new Dec('1817.37'), 'BUY', new Dec('0.1')).toFixed()).toBe('1817.3')
    expect(roundToIncrement(new Dec('60005'), 'SELL', new Dec('1')).toFixed()).toBe('60005')
    expect(roundToIncrement(new Dec('0.4'), 'BUY', new Dec('1')).toFixed()).toBe('1')
  })

  it('puts limit prices on the step when one is given, on the equity tick otherwise', () => {
    const quote = { bid: new Dec('60000.5'), ask: new Dec('60010.5') }
    expect(limitPrice(quote, 'BUY', 0.5, new Dec('1')).toFixed()).toBe('60005')
    expect(limitPrice(quote, 'SELL', 0.5, new Dec('1')).toFixed()).toBe('60006')
    expect(limitPrice(quote, 'BUY', 0.5).toFixed()).toBe('60005.5')
  })
})

describe('checkQuote', () => {
  const q = (bid: string, ask: string, ts = 0) => ({
    symbol: 'X',
    bid: new Dec(bid),
    ask: new Dec(ask),
    bidSize: new Dec(1),
    askSize: new Dec(1),
    timestampMs: ts,
  })

  it('computes mid and spread', () => {
    const r = checkQuote(q('190', '190.02'), 0, 10_000)
    expect(r.ok && r.quote.mid.toString()).toBe('190.01')
    expect(r.ok && r.quote.spread.toString()).toBe('0.02')
  })

  it('substitutes a zero side from the other and flags it', () => {
    const r = checkQuote(q('0', '190.02'), 0, 10_000)
    expect(r.ok && r.quote.bid.toString()).toBe('190.02')
    expect(r.ok && r.quote.flags).toEqual(['bid_substituted'])
    const s = checkQuote(q('190', '0'), 0, 10_000)
    expect(s.ok && s.quote.flags).toEqual(['ask_substituted'])
  })

  it('refuses no price, a crossed book, a stale quote and no quote', () => {
    expect(checkQuote(q('0', '0'), 0, 10_000)).toEqual({ ok: false, reason: 'no_price' })
    expect(checkQuote(q('190.03', '190.02'), 0, 10_000)).toEqual({ ok: false, reason: 'crossed' })
    expect(checkQuote(q('190', '190.02', 0), 10_001, 10_000)).toEqual({ ok: false, reason: 'stale' })
    expect(checkQuote(null, 0, 10_000)).toEqual({ ok: false, reason: 'missing' })
  })
})
