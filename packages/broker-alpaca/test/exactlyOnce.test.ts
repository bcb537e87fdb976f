import { Dec, createVirtualClock, isBrokerError, type ClientOrderId, type SubmitOrderRequest } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const limitBuy = (clientOrderId: string, qty = '10'): SubmitOrderRequest => ({
  clientOrderId: clientOrderId as ClientOrderId,
  symbol: 'AAPL',
  side: 'BUY',
  qty: new Dec(qty),
  type: 'limit',
  limitPrice: new Dec('189.50'),
  timeInForce: 'day',
})

const posts = (x: Harness): { client_order_id: string }[] =>
  x.server.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders').map((r) => r.body as { client_order_id: string })
const lookups = (x: Harness): number => x.server.count('GET', '/v2/orders:by_client_order_id')

describe('exactly once: every order carries our client_order_id', () => {
  it('sends the client order id and decimal strings', async () => {
    h = await startHarness()
    await h.broker.submitOrder(limitBuy('eo-wire', '0.0000001'))
    const raw = h.server.requests.find((r) => r.method === 'POST')?.rawBody ?? ''
    expect(raw).toContain('"client_order_id":"eo-wire"')
    expect(raw).toContain('"qty":"0.0000001"')
    expect(raw).toContain('"limit_price":"189.5"')
    expect(raw).toContain('"time_in_force":"day"')
    expect(raw).not.toMatch(/"(qty|limit_price)":\d/)
  })

  it('a slow answer within the timeout is just an answer: no lookup, no resend', async () => {
    h = await startHarness({ broker: { timeoutMs: 1_000 } })
    h.server.knobs.latencyMs = 100
    await h.broker.submitOrder(limitBuy('eo-slow'))
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(0)
  })

  it('timeout → lookup → found: returns the order, sends it once', async () => {
    h = await startHarness({ broker: { timeoutMs: 150 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'delay', ms: 400, process: 'before' })
    const o = await h.broker.submitOrder(limitBuy('eo-timeout-found'))
    expect(o.clientOrderId).toBe('eo-timeout-found')
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(1)
    expect(h.server.orders()).toHaveLength(1)
    expect(h.logger.records.some((r) => r.msg?.includes('looking it up by client_order_id'))).toBe(true)
  })

  it('timeout → lookup → not found → resends with the same client order id', async () => {
    h = await startHarness({ broker: { timeoutMs: 150 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'delay', ms: 400, process: 'never' })
    const o = await h.broker.submitOrder(limitBuy('eo-timeout-resend'))
    expect(o.clientOrderId).toBe('eo-timeout-resend')
    expect(posts(h).map((b) => b.client_order_id)).toEqual(['eo-timeout-resend', 'eo-timeout-resend'])
    expect(lookups(h)).toBe(1)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('5xx after the order was created → lookup → found', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status_after_process', status: 500 })
    const o = await h.broker.submitOrder(limitBuy('eo-500-created'))
    expect(o.id).toBe(h.server.orders()[0]?.['id'])
    expect(posts(h)).toHaveLength(1)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('5xx before anything happened → lookup → not found → resend', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 503 })
    await h.broker.submitOrder(limitBuy('eo-503'))
    expect(posts(h)).toHaveLength(2)
    expect(lookups(h)).toBe(1)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('the response to a POST dropped after the order was created → lookup → found', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    const o = await h.broker.submitOrder(limitBuy('eo-dropped'))
    expect(o.clientOrderId).toBe('eo-dropped')
    expect(posts(h)).toHaveLength(1)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('a connection lost before the order was created → lookup → not found → resend', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: false })
    await h.broker.submitOrder(limitBuy('eo-lost'))
    expect(posts(h)).toHaveLength(2)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('an unreadable 2xx after the order was created → lookup → found', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'garbage', process: true })
    await h.broker.submitOrder(limitBuy('eo-garbage'))
    expect(posts(h)).toHaveLength(1)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('429 on the POST → waits, looks up, resends once', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'rate_limit', resetInMs: 10 })
    await h.broker.submitOrder(limitBuy('eo-429'))
    expect(posts(h)).toHaveLength(2)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('422 duplicate client_order_id → fetches the existing order and carries on', async () => {
    h = await startHarness()
    const existingId = h.server.seedOrder({ clientOrderId: 'eo-dup', symbol: 'AAPL', side: 'buy', type: 'limit', qty: '10', limitPrice: '189.50' })
    const o = await h.broker.submitOrder(limitBuy('eo-dup'))
    expect(o.id).toBe(existingId)
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(1)
    expect(h.server.orders()).toHaveLength(1)
    expect(h.logger.records.some((r) => r.msg?.includes('duplicate client_order_id'))).toBe(true)
  })

  it('422 duplicate for a different order under the same id → BROKER_REJECTED, never booked as ours', async () => {
    h = await startHarness()
    h.server.seedOrder({ clientOrderId: 'eo-reused', symbol: 'AAPL', side: 'buy', type: 'limit', qty: '99', limitPrice: '189.50' })
    const err = await h.broker.submitOrder(limitBuy('eo-reused')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code === 'BROKER_REJECTED' && err.brokerCode === 'CLIENT_ORDER_ID_REUSED').toBe(true)
  })

  it('two concurrent submits of one order create it once', async () => {
    h = await startHarness()
    const [a, b] = await Promise.all([h.broker.submitOrder(limitBuy('eo-race')), h.broker.submitOrder(limitBuy('eo-race'))])
    expect(a.id).toBe(b.id)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('after sends that may have been processed and look-ups that said 404, gives up with BROKER_UNKNOWN_OUTCOME, not "safe to retry"', async () => {
    h = await startHarness({ broker: { submitMaxAttempts: 2, outcomeLookups: 3 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 503 }, 2)
    const err = await h.broker.submitOrder(limitBuy('eo-giveup')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code).toBe('BROKER_UNKNOWN_OUTCOME')
    expect(isBrokerError(err) && err.retryable).toBe(false)
    expect((err as Error).message).toContain('client_order_id')
    expect(posts(h)).toHaveLength(2)
    expect(lookups(h)).toBe(2 + 3) // one after each send, then the bounded look-ups before giving up
    expect(h.server.orders()).toHaveLength(0)
    // The same request again (same client order id) still creates one order at most.
    await h.broker.submitOrder(limitBuy('eo-giveup'))
    expect(h.server.orders()).toHaveLength(1)
  })

  it('a dropped connection and an unreadable answer (each may have been processed) end in BROKER_UNKNOWN_OUTCOME too', async () => {
    h = await startHarness({ broker: { submitMaxAttempts: 2, outcomeLookups: 2 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: false })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'garbage', process: false })
    const err = await h.broker.submitOrder(limitBuy('eo-mixed')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code).toBe('BROKER_UNKNOWN_OUTCOME')
    expect(h.server.orders()).toHaveLength(0)
  })

  it('when every failure was a 429 (refused before processing), giving up is retryable: the order was never created', async () => {
    // A 429 waits for its reset (whole seconds in X-RateLimit-Reset): on the injected clock, not the wall clock.
    h = await startHarness({ broker: { submitMaxAttempts: 2, clock: createVirtualClock(), tradeUpdates: false } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'rate_limit', resetInMs: 5 }, 2)
    const err = await h.broker.submitOrder(limitBuy('eo-429-giveup')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code).toBe('BROKER_RATE_LIMITED')
    expect(isBrokerError(err) && err.retryable).toBe(true)
    expect((err as Error).message).toContain('safe to retry')
    expect(posts(h)).toHaveLength(2)
    expect(h.server.orders()).toHaveLength(0)
  })

  it('when the look-up after a lost answer fails, keeps looking (bounded) and returns the order', async () => {
    h = await startHarness({ broker: { maxRetries: 1 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    h.server.inject({ method: 'GET', path: '/v2/orders:by_client_order_id' }, { kind: 'status', status: 502 }, 2)
    const o = await h.broker.submitOrder(limitBuy('eo-lookup-down'))
    expect(o.clientOrderId).toBe('eo-lookup-down')
    expect(posts(h)).toHaveLength(1)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('when every look-up after a lost answer fails, throws BROKER_UNKNOWN_OUTCOME; a later look-up finds the order', async () => {
    h = await startHarness({ broker: { maxRetries: 0, outcomeLookups: 2 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    h.server.inject({ method: 'GET', path: '/v2/orders:by_client_order_id' }, { kind: 'status', status: 502 }, 3)
    const err = await h.broker.submitOrder(limitBuy('eo-lookups-down')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code).toBe('BROKER_UNKNOWN_OUTCOME')
    expect(posts(h)).toHaveLength(1)
    expect((await h.broker.getOrderByClientId('eo-lookups-down' as ClientOrderId))?.id).toBe(h.server.orders()[0]?.['id'])
  })

  it('a resend refused after a send that may have created the order ends in BROKER_UNKNOWN_OUTCOME, not in the refusal', async () => {
    h = await startHarness({ broker: { outcomeLookups: 2 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 500 })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 403, body: { code: 40310000, message: 'insufficient buying power' } })
    const err = await h.broker.submitOrder(limitBuy('eo-refused-resend')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code).toBe('BROKER_UNKNOWN_OUTCOME')
    expect(isBrokerError(err) && err.brokerStatus).toBe(403)
    expect(posts(h)).toHaveLength(2)
  })

  it('a retried submit whose order already filled returns it instead of failing preflight', async () => {
    h = await startHarness()
    const sell = { ...limitBuy('eo-sold', '100'), side: 'SELL' as const, type: 'market' as const, limitPrice: undefined }
    const first = await h.broker.submitOrder(sell)
    expect(h.server.order(first.id)?.['status']).toBe('filled') // routed and filled by the venue after the 200
    expect(h.server.positionQty('AAPL').isZero()).toBe(true)
    const again = await h.broker.submitOrder(sell)
    expect(again.id).toBe(first.id)
    expect(again.status).toBe('filled')
    expect(h.server.orders()).toHaveLength(1)
  })
})

describe('a duplicate-id 422 is proof the order exists', () => {
  it('a lost answer, a look-up that says 404 and a resend refused as a duplicate: keeps looking and returns the order, never BROKER_REJECTED', async () => {
    h = await startHarness()
    h.server.knobs.unseenReads = 2 // Alpaca's asynchronous processing: the order exists but look-ups say 404 for a while
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    const o = await h.broker.submitOrder(limitBuy('dup-async'))
    expect(o.clientOrderId).toBe('dup-async')
    expect(o.id).toBe(h.server.orders()[0]?.['id'])
    expect(posts(h)).toHaveLength(2) // the resend got 422 "client_order_id must be unique"
    expect(lookups(h)).toBe(3) // 404 after the lost answer, 404 after the 422, then found
    expect(h.server.orders()).toHaveLength(1)
  })

  it('one 404 on the look-up after a 422 duplicate: looks again after a backoff on the injected clock and returns the order', async () => {
    const clock = createVirtualClock()
    h = await startHarness({ broker: { clock, retryBaseMs: 1_000, retryMaxMs: 8_000, tradeUpdates: false } })
    const existingId = h.server.seedOrder({ clientOrderId: 'dup-404', symbol: 'AAPL', side: 'buy', type: 'limit', qty: '10', limitPrice: '189.50' })
    h.server.inject({ method: 'GET', path: '/v2/orders:by_client_order_id' }, { kind: 'status', status: 404, body: { code: 40410000, message: 'order not found' } })
    const t0 = clock.now()
    const o = await h.broker.submitOrder(limitBuy('dup-404'))
    expect(o.id).toBe(existingId)
    expect(lookups(h)).toBe(2)
    expect(clock.now() - t0).toBeGreaterThanOrEqual(800) // retryBaseMs ± 20% jitter, on the virtual clock
    expect(h.server.orders()).toHaveLength(1)
  })

  it('if the order still cannot be seen after outcomeLookups look-ups, throws BROKER_UNKNOWN_OUTCOME (not retryable, never BROKER_REJECTED)', async () => {
    const clock = createVirtualClock()
    h = await startHarness({ broker: { clock, retryBaseMs: 1_000, retryMaxMs: 8_000, outcomeLookups: 4, tradeUpdates: false } })
    h.server.seedOrder({ clientOrderId: 'dup-unseen', symbol: 'AAPL', side: 'buy', type: 'limit', qty: '10', limitPrice: '189.50' })
    h.server.inject({ method: 'GET', path: '/v2/orders:by_client_order_id' }, { kind: 'status', status: 404, body: { code: 40410000, message: 'order not found' } }, 10)
    const t0 = clock.now()
    const err = await h.broker.submitOrder(limitBuy('dup-unseen')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code).toBe('BROKER_UNKNOWN_OUTCOME')
    expect(isBrokerError(err) && err.retryable).toBe(false)
    expect((err as Error).message).toContain('client_order_id must be unique')
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(4)
    expect(clock.now() - t0).toBeGreaterThanOrEqual(0.8 * (1_000 + 2_000 + 4_000)) // doubling backoff between look-ups
  })

  it('a 422 40010001 whose message is not "client_order_id must be unique" is a validation refusal: no look-up', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 422, body: { code: 40010001, message: 'client_order_id must be no more than 128 characters' } })
    const err = await h.broker.submitOrder(limitBuy('dup-not')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code).toBe('BROKER_REJECTED')
    expect(lookups(h)).toBe(0)
  })
})
