import { Dec, isBrokerError, type BrokerError, type ClientOrderId, type TimeInForce } from '@acx/engine'
import { FAKE_KEY_ID, FAKE_SECRET_KEY } from '@acx/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import type { AlpacaBrokerOptions } from '../src/index.js'
import { DEFAULT_MARKET, startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

/** With Alpaca's legacy crypto symbol (no slash, class crypto) besides the default market. */
const start = (broker: Partial<AlpacaBrokerOptions> = {}): Promise<Harness> =>
  startHarness({
    market: { ...DEFAULT_MARKET, assets: { ...DEFAULT_MARKET.assets, BTCUSD: { class: 'crypto' } } },
    broker,
  })

const order = (
  symbol: string,
  timeInForce: TimeInForce,
  type: 'market' | 'limit' = 'limit',
  limitPrice = symbol.includes('BTC') ? '54000.00' : '189.90',
) => ({
  clientOrderId: `tif-${Math.random().toString(36).slice(2)}` as ClientOrderId,
  symbol,
  side: 'BUY' as const,
  qty: new Dec(symbol.includes('BTC') ? '0.01' : '1'),
  type,
  ...(type === 'limit' ? { limitPrice: new Dec(limitPrice) } : {}),
  timeInForce,
})

const refusal = async (p: Promise<unknown>): Promise<BrokerError> => {
  const e = await p.then(
    (v) => new Error(`expected a refusal, got ${JSON.stringify(v)}`),
    (err: unknown) => err,
  )
  if (!isBrokerError(e)) throw e
  return e
}

const posts = (x: Harness): number => x.server.count('POST', '/v2/orders')
const bodies = (x: Harness): unknown[] =>
  x.server.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders').map((r) => r.body)

describe('time in force', () => {
  it.each(['gtc', 'ioc'] as const)('sends %s for a crypto pair as time_in_force', async (timeInForce) => {
    h = await start()
    const sent = await h.broker.submitOrder(order('BTC/USD', timeInForce))
    expect(bodies(h)).toMatchObject([{ symbol: 'BTC/USD', time_in_force: timeInForce, qty: '0.01' }])
    expect(h.server.order(sent.id)?.['time_in_force']).toBe(timeInForce)
  })

  it('sends day for an equity', async () => {
    h = await start()
    await h.broker.submitOrder(order('AAPL', 'day'))
    expect(bodies(h)).toMatchObject([{ symbol: 'AAPL', time_in_force: 'day' }])
  })

  it('refuses day for a crypto pair before any request, naming the rule and its source', async () => {
    h = await start()
    const err = await refusal(h.broker.submitOrder(order('BTC/USD', 'day', 'market')))
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'invalid_request', retryable: false })
    expect(err.message).toContain('Alpaca takes gtc or ioc (https://docs.alpaca.markets/docs/crypto-orders)')
    expect(h.server.requests).toEqual([])
  })

  it('refuses gtc and ioc for an equity whose class it knows, before any request', async () => {
    h = await start()
    await h.broker.getAsset('AAPL')
    const before = h.server.requests.length
    for (const timeInForce of ['gtc', 'ioc'] as const) {
      const err = await refusal(h.broker.submitOrder(order('AAPL', timeInForce)))
      expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'invalid_request' })
      expect(err.message).toContain(`time_in_force ${timeInForce} is not taken for the equity AAPL`)
    }
    expect(h.server.requests.length).toBe(before)
  })

  it('refuses gtc for an equity it meets for the first time after the preflight read its asset, sending nothing', async () => {
    h = await start()
    const err = await refusal(h.broker.submitOrder(order('AAPL', 'gtc')))
    expect(err.reason).toBe('invalid_request')
    expect(h.server.count('GET', '/v2/assets/AAPL')).toBe(1)
    expect(posts(h)).toBe(0)
  })

  it('reads the class of a symbol without a slash (legacy BTCUSD) to refuse day, with the preflight off', async () => {
    h = await start({ preflight: false })
    const err = await refusal(h.broker.submitOrder(order('BTCUSD', 'day')))
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'invalid_request' })
    expect(h.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v2/assets/BTCUSD'])
    await h.broker.submitOrder(order('BTCUSD', 'gtc'))
    expect(h.server.count('GET', '/v2/assets/BTCUSD')).toBe(1) // the class is remembered
    expect(posts(h)).toBe(1)
  })

  it('leaves an asset Alpaca does not have to Alpaca when the preflight is off', async () => {
    h = await start({ preflight: false })
    const err = await refusal(h.broker.submitOrder(order('NOPE', 'day')))
    expect(posts(h)).toBe(1)
    expect(err.code).toBe('BROKER_REJECTED')
  })

  it('refuses a time in force outside day, gtc and ioc', async () => {
    h = await start()
    const err = await refusal(h.broker.submitOrder({ ...order('AAPL', 'day'), timeInForce: 'fok' as TimeInForce }))
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'invalid_request' })
    expect(err.message).toContain('time_in_force must be day, gtc or ioc (got fok)')
    expect(h.server.requests).toEqual([])
  })

  it('ends a crypto ioc order that cannot fill at once canceled, with nothing filled', async () => {
    h = await start()
    const sent = await h.broker.submitOrder(order('BTC/USD', 'ioc', 'limit', '54000.00'))
    const done = await h.broker.waitForOrder(sent.id, { timeoutMs: 2_000 })
    expect(done.status).toBe('canceled')
    expect(done.filledQty.isZero()).toBe(true)
  })
})

describe("the fake Alpaca's time in force (as Alpaca)", () => {
  const post = async (x: Harness, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${x.server.tradingBaseUrl}/v2/orders`, {
      method: 'POST',
      headers: {
        'APCA-API-KEY-ID': FAKE_KEY_ID,
        'APCA-API-SECRET-KEY': FAKE_SECRET_KEY,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ side: 'buy', type: 'market', ...body }),
    })
    return { status: res.status, body: await res.json() }
  }

  it('refuses day for a crypto pair (422 invalid crypto time_in_force) and an unknown time in force', async () => {
    h = await start()
    expect(await post(h, { symbol: 'BTC/USD', qty: '0.01', time_in_force: 'day' })).toEqual({
      status: 422,
      body: { code: 42210000, message: 'invalid crypto time_in_force' },
    })
    expect(await post(h, { symbol: 'AAPL', qty: '1', time_in_force: 'week' })).toEqual({
      status: 422,
      body: { code: 40010001, message: 'invalid time_in_force' },
    })
  })

  it('takes fractional equity orders only as day orders', async () => {
    h = await start()
    expect((await post(h, { symbol: 'AAPL', qty: '0.5', time_in_force: 'gtc' })).status).toBe(422)
    expect((await post(h, { symbol: 'AAPL', qty: '1', time_in_force: 'gtc' })).status).toBe(200)
    expect((await post(h, { symbol: 'AAPL', qty: '0.5', time_in_force: 'day' })).status).toBe(200)
  })

  it('describes a crypto pair as class crypto, fractionable', async () => {
    h = await start()
    const asset = await h.broker.getAsset('BTC/USD')
    expect(asset).toMatchObject({ symbol: 'BTC/USD', tradable: true, fractionable: true, assetClass: 'crypto' })
  })

  it('ends only day orders at the close: a gtc crypto order stays open', async () => {
    h = await start()
    const crypto = await h.broker.submitOrder(order('BTC/USD', 'gtc'))
    const equity = await h.broker.submitOrder(order('AAPL', 'day'))
    h.server.endOfDay('expired')
    expect(h.server.order(crypto.id)?.['status']).toBe('new')
    expect(h.server.order(equity.id)?.['status']).toBe('expired')
  })
})
