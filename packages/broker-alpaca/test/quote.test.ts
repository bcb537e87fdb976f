import { checkQuote } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('quotes from the latest-quote endpoint', () => {
  it('asks the data API with the configured feed (iex by default)', async () => {
    h = await startHarness()
    await h.broker.getQuote('AAPL')
    const r = h.server.requests.find((x) => x.path === '/v2/stocks/AAPL/quotes/latest')
    expect(r?.query['feed']).toBe('iex')
  })

  it('passes another feed through', async () => {
    h = await startHarness({ broker: { feed: 'sip' } })
    await h.broker.getQuote('AAPL')
    expect(h.server.requests.find((x) => x.path.startsWith('/v2/stocks'))?.query['feed']).toBe('sip')
  })

  it('returns bid, ask, sizes and the quote’s own timestamp, so its age is its own', async () => {
    h = await startHarness()
    const t = Date.UTC(2026, 0, 5, 15, 0, 0)
    h.server.setQuote('AAPL', { bid: '190.01', ask: '190.05', bidSize: '7', askSize: '9', tMs: t })
    const q = await h.broker.getQuote('AAPL')
    expect(q).toMatchObject({ symbol: 'AAPL', timestampMs: t })
    expect(q?.bid.toFixed()).toBe('190.01')
    expect(q?.ask.toFixed()).toBe('190.05')
    expect(q?.bidSize.toFixed()).toBe('7')
    expect(q?.askSize.toFixed()).toBe('9')
    expect(checkQuote(q, t + 60_000, 10_000)).toEqual({ ok: false, reason: 'stale' })
  })

  it('returns a zero side as zero; the engine substitutes and flags it', async () => {
    h = await startHarness()
    h.server.setQuote('AAPL', { bid: '0', ask: '190.05' })
    const q = await h.broker.getQuote('AAPL')
    expect(q?.bid.isZero()).toBe(true)
    const checked = checkQuote(q, q!.timestampMs, 10_000)
    expect(checked.ok && checked.quote.bid.toFixed()).toBe('190.05')
    expect(checked.ok && checked.quote.flags).toEqual(['bid_substituted'])
  })

  it('returns null when Alpaca has no quote (404 or a zero-time placeholder)', async () => {
    h = await startHarness()
    expect(await h.broker.getQuote('NOPE')).toBeNull()
    h.server.knobs.unknownQuote = 'zero'
    expect(await h.broker.getQuote('NOPE')).toBeNull()
  })

  it('keeps sub-penny prices exact', async () => {
    h = await startHarness()
    const q = await h.broker.getQuote('LOWP')
    expect(q?.bid.toFixed()).toBe('0.5012')
    expect(q?.ask.toFixed()).toBe('0.502')
  })
})
