/**
 * Crypto pairs on the adapter, against the fake Alpaca speaking Alpaca's crypto shapes: the latest quote
 * from the crypto data API, the asset's steps (`price_increment`, `min_trade_increment`, `min_order_size`),
 * the position kept under the slashless symbol, and an engine execution of 0.01 BTC/USD end to end.
 */
import { Dec, createAcConfig, createEngine, createMemoryLogger, type ClientOrderId, type Clock } from '@acx/engine'
import { readAlpacaFixture } from '@acx/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { parseLatestCryptoQuote } from '../src/parse.js'
import { DEFAULT_MARKET, startHarness, type Harness } from './support/harness.js'

/** Engine time 300× the wall clock (as e2e.test.ts), so the 5-minute MEDIUM schedule takes about a second. */
function createScaledClock(scale: number): Clock {
  const realStart = Date.now()
  const start = Date.UTC(2026, 0, 5, 14, 30, 0)
  return {
    now: () => start + (Date.now() - realStart) * scale,
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms / scale))),
  }
}

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const paths = (x: Harness): string[] => x.server.requests.map((r) => `${r.method} ${r.path}`)

describe('crypto pairs', () => {
  it('reads the documented crypto latest-quotes answer, sizes in the base asset', () => {
    const raw = readAlpacaFixture<{ payload: unknown }>('cryptoLatestQuotes').payload
    const q = parseLatestCryptoQuote(raw, 'BTC/USD')
    expect(q).toMatchObject({ symbol: 'BTC/USD', timestampMs: Date.UTC(2022, 4, 26, 11, 47, 18, 443) })
    expect(q?.bid.toFixed()).toBe('29058')
    expect(q?.ask.toFixed()).toBe('29059')
    expect(q?.bidSize.toFixed()).toBe('0.3544')
    expect(parseLatestCryptoQuote(raw, 'SOL/USD')).toBeNull()
    expect(parseLatestCryptoQuote({ quotes: {} }, 'BTC/USD')).toBeNull()
  })

  it('quotes a pair from /v1beta3/crypto/us/latest/quotes with the keys, never from the stocks route', async () => {
    h = await startHarness()
    const q = await h.broker.getQuote('BTC/USD')
    expect(q?.symbol).toBe('BTC/USD')
    expect(q?.bid.toFixed()).toBe('60000')
    expect(q?.ask.toFixed()).toBe('60010')
    const r = h.server.requests.find((x) => x.path === '/v1beta3/crypto/us/latest/quotes')
    expect(r?.query['symbols']).toBe('BTC/USD')
    expect(r?.headers['apca-api-key-id']).toBe(h.server.keyId)
    expect(paths(h).some((p) => p.includes('/v2/stocks'))).toBe(false)
    // equities are unchanged
    await h.broker.getQuote('AAPL')
    expect(paths(h)).toContain('GET /v2/stocks/AAPL/quotes/latest')
  })

  it('answers null for a pair Alpaca has no quote for, and maps a crypto 429 to BROKER_RATE_LIMITED', async () => {
    h = await startHarness({ market: { ...DEFAULT_MARKET, assets: { ...DEFAULT_MARKET.assets, 'ETH/USD': {} } } })
    expect(await h.broker.getQuote('ETH/USD')).toBeNull()
    h.server.inject({ path: '/v1beta3/crypto' }, { kind: 'rate_limit', resetInMs: 50 })
    await expect(h.broker.getQuote('BTC/USD')).rejects.toMatchObject({ code: 'BROKER_RATE_LIMITED', retryable: true })
  })

  it('quotes a legacy crypto symbol (BTCUSD) under the pair its asset names', async () => {
    h = await startHarness({
      market: { ...DEFAULT_MARKET, assets: { ...DEFAULT_MARKET.assets, BTCUSD: { class: 'crypto' } } },
    })
    await h.broker.getAsset('BTCUSD') // the fake names the asset BTCUSD: no pair form known
    await expect(h.broker.getQuote('BTCUSD')).rejects.toMatchObject({ code: 'BROKER_REJECTED' })
    const r = h.server.requests.find((x) => x.path === '/v1beta3/crypto/us/latest/quotes')
    expect(r?.query['symbols']).toBe('BTCUSD')
  })

  it("gives the asset's steps as priceIncrement, qtyIncrement and minOrderSize; an equity has none", async () => {
    h = await startHarness({
      market: { ...DEFAULT_MARKET, assets: { ...DEFAULT_MARKET.assets, 'ETH/USD': { priceIncrement: '0.1' } } },
    })
    const btc = await h.broker.getAsset('BTC/USD')
    expect(btc.priceIncrement?.toFixed()).toBe('1')
    expect(btc.qtyIncrement?.toFixed()).toBe('0.0001')
    expect(btc.minOrderSize?.toFixed()).toBe('0.0001')
    expect((await h.broker.getAsset('ETH/USD')).priceIncrement?.toFixed()).toBe('0.1')
    const aapl = await h.broker.getAsset('AAPL')
    expect(aapl.priceIncrement).toBeUndefined()
    expect(aapl.qtyIncrement).toBeUndefined()
  })

  it('reads the position of BTC/USD from /v2/positions/BTCUSD and reports it as BTC/USD', async () => {
    h = await startHarness({ market: { ...DEFAULT_MARKET, positions: { AAPL: '100', 'BTC/USD': '0.25' } } })
    const p = await h.broker.getPosition('BTC/USD')
    expect(p?.symbol).toBe('BTC/USD')
    expect(p?.qty.toFixed()).toBe('0.25')
    expect(paths(h)).toEqual(['GET /v2/positions/BTCUSD'])
    expect((await h.broker.getPosition('AAPL'))?.symbol).toBe('AAPL')
    expect(paths(h)).toContain('GET /v2/positions/AAPL')
  })

  it('refuses, before sending, a crypto limit off price_increment or a quantity off min_trade_increment / below min_order_size', async () => {
    h = await startHarness()
    const base = {
      symbol: 'BTC/USD',
      side: 'BUY' as const,
      type: 'limit' as const,
      timeInForce: 'gtc' as const,
    }
    const cases = [
      { qty: '0.01', limitPrice: '54000.50', text: 'price_increment 1' },
      { qty: '0.00015', limitPrice: '54000', text: 'min_trade_increment 0.0001' },
    ]
    for (const [i, c] of cases.entries()) {
      const err = await h.broker
        .submitOrder({
          ...base,
          clientOrderId: `crypto-steps-${i}` as ClientOrderId,
          qty: new Dec(c.qty),
          limitPrice: new Dec(c.limitPrice),
        })
        .then(
          () => undefined,
          (e: unknown) => e as { code: string; reason: string; message: string },
        )
      expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'invalid_request' })
      expect(err?.message).toContain(c.text)
    }
    expect(h.server.count('POST', '/v2/orders')).toBe(0)
    // on the steps, it goes out (a sub-cent-free whole-dollar limit)
    const ok = await h.broker.submitOrder({
      ...base,
      clientOrderId: 'crypto-steps-ok' as ClientOrderId,
      qty: new Dec('0.01'),
      limitPrice: new Dec('54000'),
    })
    expect(ok.limitPrice?.toFixed()).toBe('54000')
  })

  it('executes a BUY of 0.01 BTC/USD (MEDIUM) through the engine: gtc/ioc orders, prices on the step, position read back', async () => {
    const clock = createScaledClock(300)
    h = await startHarness({
      broker: { clock },
      market: {
        ...DEFAULT_MARKET,
        now: clock.now,
        // a quote off the $1 step, so only the asset's price_increment puts the limits on it
        quotes: { ...DEFAULT_MARKET.quotes, 'BTC/USD': { bid: '60000.5', ask: '60010.5', bidSize: '2', askSize: '3' } },
      },
    })
    h.server.knobs.restingFillRatio = 0.5
    const engine = createEngine({
      broker: h.broker,
      config: createAcConfig(),
      logger: createMemoryLogger(),
      clock,
    })
    const result = await engine.execute({
      symbol: 'BTC/USD',
      side: 'BUY',
      quantity: '0.01',
      urgency: 'MEDIUM',
      correlationId: 'crypto-e2e-1',
    })
    expect(result.error).toBeUndefined()
    expect(result.success).toBe(true)
    expect(result.totalFilled.toFixed()).toBe('0.01')

    const bodies = h.server.requests
      .filter((r) => r.method === 'POST' && r.path === '/v2/orders')
      .map((r) => r.body as { symbol: string; type: string; qty: string; time_in_force: string; limit_price?: string })
    expect(bodies.length).toBeGreaterThan(0)
    for (const b of bodies) {
      expect(b.symbol).toBe('BTC/USD')
      expect(['gtc', 'ioc']).toContain(b.time_in_force)
      expect(new Dec(b.qty).mod('0.0001').isZero()).toBe(true)
      if (b.type === 'limit') {
        const px = new Dec(b.limit_price as string)
        expect(px.isInteger()).toBe(true) // price_increment 1
        expect(px.gte('60000') && px.lte('60011')).toBe(true)
      }
    }
    // the arrival quote came from the crypto route, and nothing asked the stocks one
    expect(paths(h).some((p) => p.startsWith('GET /v1beta3/crypto/us/latest/quotes'))).toBe(true)
    expect(paths(h).some((p) => p.includes('/v2/stocks/'))).toBe(false)
    const position = await h.broker.getPosition('BTC/USD')
    expect(position?.symbol).toBe('BTC/USD')
    expect(position?.qty.toFixed()).toBe('0.01')
    expect(h.server.positionQty('BTC/USD').toFixed()).toBe('0.01')
  }, 20_000)
})
