import { Dec, isBrokerError, type ClientOrderId } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const submitErr = async (
  x: Harness,
  req: { symbol: string; side: 'BUY' | 'SELL'; qty: string; limitPrice?: string },
) => {
  const err = await x.broker
    .submitOrder({
      clientOrderId: `pf-${Math.random()}` as ClientOrderId,
      symbol: req.symbol,
      side: req.side,
      qty: new Dec(req.qty),
      type: req.limitPrice ? 'limit' : 'market',
      ...(req.limitPrice ? { limitPrice: new Dec(req.limitPrice) } : {}),
      timeInForce: 'day',
    })
    .catch((e: unknown) => e)
  if (!isBrokerError(err)) throw new Error(`expected a BrokerError, got ${String(err)}`)
  return err
}

describe('preflight', () => {
  it('passes a sound buy, with the facts it checked', async () => {
    h = await startHarness()
    const r = await h.broker.preflight({ symbol: 'AAPL', side: 'BUY', qty: new Dec('2.5'), type: 'market' })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.asset).toMatchObject({ tradable: true, fractionable: true })
    expect(r.value.estimatedPrice?.toFixed()).toBe('194.791') // the ask 190.04 + Alpaca's 2.5% market-order buffer
    expect(r.value.openingQty.eq('2.5')).toBe(true)
    expect(r.value.position?.qty.eq(100)).toBe(true)
    expect(r.value.account?.buyingPower.eq(100000)).toBe(true)
  })

  it('refuses a non-tradable asset before anything is sent', async () => {
    h = await startHarness()
    const r = await h.broker.preflight({ symbol: 'HALT', side: 'BUY', qty: new Dec(1), type: 'market' })
    expect(r).toMatchObject({ ok: false, issues: [{ reason: 'asset_not_tradable' }] })
    const err = await submitErr(h, { symbol: 'HALT', side: 'BUY', qty: '1' })
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'asset_not_tradable', retryable: false })
    expect(err.brokerCode).toBeUndefined() // brokerCode is Alpaca's own code only
    expect(h.server.count('POST', '/v2/orders')).toBe(0)
  })

  it('refuses a fractional quantity of a whole-share asset', async () => {
    h = await startHarness()
    const err = await submitErr(h, { symbol: 'LOWP', side: 'BUY', qty: '10.5', limitPrice: '0.5015' })
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'not_fractionable' })
    expect(err.message).toContain('not fractionable')
    expect(h.server.count('POST', '/v2/orders')).toBe(0)
  })

  it('allows a fractional quantity of a fractionable asset, sent as a decimal string', async () => {
    h = await startHarness()
    await h.broker.submitOrder({
      clientOrderId: 'pf-frac' as ClientOrderId,
      symbol: 'AAPL',
      side: 'BUY',
      qty: new Dec('0.125'),
      type: 'market',
      timeInForce: 'day',
    })
    expect(h.server.requests.find((r) => r.method === 'POST')?.rawBody).toContain('"qty":"0.125"')
  })

  it('refuses a buy beyond buying power, valued at its limit price (a market buy at the ask plus the buffer)', async () => {
    h = await startHarness()
    h.server.setBuyingPower('1000')
    const limit = await submitErr(h, { symbol: 'AAPL', side: 'BUY', qty: '6', limitPrice: '180.00' })
    expect(limit).toMatchObject({ code: 'BROKER_INSUFFICIENT_FUNDS', reason: 'insufficient_buying_power' })
    expect(limit.message).toContain('1080.00')
    const market = await submitErr(h, { symbol: 'AAPL', side: 'BUY', qty: '6' })
    expect(market.message).toContain('1168.75') // 6 × 190.04 × 1.025
    expect(h.server.count('POST', '/v2/orders')).toBe(0)
  })

  it("values a market buy at the ask plus Alpaca's market-order buffer: 2.5% from $50, 4% below", async () => {
    h = await startHarness()
    h.server.setBuyingPower('1150') // 6 × 190.04 = 1140.24 fits; with the buffer (1168.75) it does not
    const err = await submitErr(h, { symbol: 'AAPL', side: 'BUY', qty: '6' })
    expect(err).toMatchObject({ code: 'BROKER_INSUFFICIENT_FUNDS', reason: 'insufficient_buying_power' })
    expect(err.message).toContain("the ask 190.04 + Alpaca's 2.5% market-order buffer")
    const cheap = await h.broker.preflight({ symbol: 'LOWP', side: 'BUY', qty: new Dec(100), type: 'market' })
    expect(cheap.ok && cheap.value.estimatedPrice?.toFixed()).toBe('0.52208') // 0.502 × 1.04
    expect(h.server.count('POST', '/v2/orders')).toBe(0)
  })

  it('needs no buying power for a buy that covers a short; only the part beyond it is checked', async () => {
    h = await startHarness()
    h.server.setPosition('AAPL', '-50')
    h.server.setBuyingPower('0')
    const cover = await h.broker.submitOrder({
      clientOrderId: 'pf-cover' as ClientOrderId,
      symbol: 'AAPL',
      side: 'BUY',
      qty: new Dec(50),
      type: 'market',
      timeInForce: 'day',
    })
    expect(cover.clientOrderId).toBe('pf-cover')
    expect(h.server.order(cover.id)?.['status']).toBe('filled') // accepted by Alpaca: covering needs no buying power
    h.server.setPosition('AAPL', '-50')
    h.server.setBuyingPower('1000')
    const beyond = await submitErr(h, { symbol: 'AAPL', side: 'BUY', qty: '60', limitPrice: '190.00' })
    expect(beyond).toMatchObject({ code: 'BROKER_INSUFFICIENT_FUNDS', reason: 'insufficient_buying_power' })
    expect(beyond.message).toContain('buying 10 AAPL') // 60 − the 50 that cover the short
    expect(beyond.message).toContain('1900.00')
  })

  it('needs no buying power for a sell that reduces a long', async () => {
    h = await startHarness()
    h.server.setBuyingPower('0')
    const r = await h.broker.preflight({ symbol: 'AAPL', side: 'SELL', qty: new Dec(40), type: 'market' })
    expect(r.ok && r.value.openingQty.isZero()).toBe(true)
    expect(h.server.count('GET', '/v2/account')).toBe(0)
  })

  it('checks a short sale against buying power at max(limit, ask + 3%)', async () => {
    h = await startHarness({ broker: { allowShortSelling: true } })
    h.server.setBuyingPower('2')
    const market = await submitErr(h, { symbol: 'LOWP', side: 'SELL', qty: '5' })
    expect(market).toMatchObject({ code: 'BROKER_INSUFFICIENT_FUNDS', reason: 'insufficient_buying_power' })
    expect(market.message).toContain('short-selling 5 LOWP valued at 0.51706') // 0.502 × 1.03
    // A limit above the ask + 3% is valued at the limit: 3 × 0.60 = 1.80.
    const atLimit = await h.broker.preflight({
      symbol: 'LOWP',
      side: 'SELL',
      qty: new Dec(3),
      type: 'limit',
      limitPrice: new Dec('0.60'),
    })
    expect(atLimit.ok && atLimit.value.estimatedPrice?.toFixed()).toBe('0.6')
    h.server.setBuyingPower('1.79')
    expect(
      (
        await h.broker.preflight({
          symbol: 'LOWP',
          side: 'SELL',
          qty: new Dec(3),
          type: 'limit',
          limitPrice: new Dec('0.60'),
        })
      ).ok,
    ).toBe(false)
    // A limit below the ask + 3% is valued at the ask + 3%: 3 × 0.51706 = 1.55118.
    const belowAsk = await h.broker.preflight({
      symbol: 'LOWP',
      side: 'SELL',
      qty: new Dec(3),
      type: 'limit',
      limitPrice: new Dec('0.45'),
    })
    expect(belowAsk.ok && belowAsk.value.estimatedPrice?.toFixed()).toBe('0.51706')
    // Selling the long first, then short: only the part beyond the long is valued.
    const partly = await h.broker.preflight({ symbol: 'AAPL', side: 'SELL', qty: new Dec(101), type: 'market' })
    expect(partly.ok).toBe(false)
    if (!partly.ok) expect(partly.issues[0]?.message).toContain('short-selling 1 AAPL')
  })

  it('does not let a market-data failure block a market buy (buying power left to Alpaca)', async () => {
    h = await startHarness()
    h.server.inject(
      { path: '/v2/stocks/' },
      { kind: 'status', status: 403, body: { message: 'subscription does not permit querying recent SIP data' } },
    )
    const r = await h.broker.preflight({ symbol: 'AAPL', side: 'BUY', qty: new Dec(1), type: 'market' })
    expect(r.ok && r.value.estimatedPrice).toBeUndefined()
    expect(h.logger.records.some((x) => x.msg?.includes('buying power not checked'))).toBe(true)
  })

  it('refuses a sell beyond the position free to sell (no shorting by default)', async () => {
    h = await startHarness()
    const over = await submitErr(h, { symbol: 'AAPL', side: 'SELL', qty: '101' })
    expect(over).toMatchObject({ code: 'BROKER_INSUFFICIENT_FUNDS', reason: 'insufficient_position' })
    const flat = await submitErr(h, { symbol: 'LOWP', side: 'SELL', qty: '1' })
    expect(flat.message).toContain('only 0 is held')
    // Shares held for an open sell order are not free to sell again.
    await h.broker.submitOrder({
      clientOrderId: 'pf-hold' as ClientOrderId,
      symbol: 'AAPL',
      side: 'SELL',
      qty: new Dec(60),
      type: 'limit',
      limitPrice: new Dec('250.00'),
      timeInForce: 'day',
    })
    const held = await submitErr(h, { symbol: 'AAPL', side: 'SELL', qty: '50' })
    expect(held.message).toContain('only 40 is held')
  })

  it('lets a short sale through when allowShortSelling', async () => {
    h = await startHarness({ broker: { allowShortSelling: true } })
    const r = await h.broker.preflight({ symbol: 'LOWP', side: 'SELL', qty: new Dec(5), type: 'market' })
    expect(r.ok).toBe(true)
  })

  it('reports an unknown asset as BROKER_NOT_FOUND', async () => {
    h = await startHarness()
    const err = await submitErr(h, { symbol: 'NOPE', side: 'BUY', qty: '1' })
    expect(err).toMatchObject({ code: 'BROKER_NOT_FOUND', reason: 'asset_not_found' })
  })

  it('caches the asset between orders', async () => {
    h = await startHarness()
    await h.broker.preflight({ symbol: 'AAPL', side: 'SELL', qty: new Dec(1), type: 'market' })
    await h.broker.preflight({ symbol: 'AAPL', side: 'SELL', qty: new Dec(1), type: 'market' })
    expect(h.server.count('GET', '/v2/assets/AAPL')).toBe(1)
  })

  it('checks the request itself: tick, quantity, time in force', async () => {
    h = await startHarness()
    const offTick = await submitErr(h, { symbol: 'AAPL', side: 'BUY', qty: '1', limitPrice: '189.995' })
    expect(offTick).toMatchObject({ code: 'BROKER_REJECTED', reason: 'invalid_request' })
    expect(offTick.message).toContain('not on the tick')
    const subPenny = await h.broker.preflight({
      symbol: 'LOWP',
      side: 'BUY',
      qty: new Dec(10),
      type: 'limit',
      limitPrice: new Dec('0.5013'),
    })
    expect(subPenny.ok).toBe(true)
    const zero = await submitErr(h, { symbol: 'AAPL', side: 'BUY', qty: '0' })
    expect(zero.message).toContain('qty must be > 0')
    expect(h.server.count('POST', '/v2/orders')).toBe(0)
  })
})
