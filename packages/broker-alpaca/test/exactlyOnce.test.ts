import { Dec, isBrokerError, type ClientOrderId, type SubmitOrderRequest } from '@acx/engine'
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

  it('gives up after submitMaxAttempts with a retryable error, and a later retry still creates one order', async () => {
    h = await startHarness({ broker: { submitMaxAttempts: 2 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 503 }, 2)
    const err = await h.broker.submitOrder(limitBuy('eo-giveup')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code === 'BROKER_UNAVAILABLE' && err.retryable).toBe(true)
    expect(posts(h)).toHaveLength(2)
    expect(h.server.orders()).toHaveLength(0)
    await h.broker.submitOrder(limitBuy('eo-giveup'))
    expect(h.server.orders()).toHaveLength(1)
  })

  it('after ambiguous failures of every kind, all checked and not created, the error is retryable', async () => {
    h = await startHarness({ broker: { submitMaxAttempts: 2 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: false })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'garbage', process: false })
    const err = await h.broker.submitOrder(limitBuy('eo-mixed')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.retryable && err.code === 'BROKER_UNAVAILABLE').toBe(true)
    expect(h.server.orders()).toHaveLength(0)
  })

  it('when the lookup itself fails, throws retryable; the retried submit finds the order', async () => {
    h = await startHarness({ broker: { maxRetries: 1 } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    h.server.inject({ method: 'GET', path: '/v2/orders:by_client_order_id' }, { kind: 'status', status: 502 }, 2)
    const err = await h.broker.submitOrder(limitBuy('eo-lookup-down')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.retryable).toBe(true)
    const o = await h.broker.submitOrder(limitBuy('eo-lookup-down'))
    expect(o.clientOrderId).toBe('eo-lookup-down')
    expect(h.server.orders()).toHaveLength(1)
  })

  it('a retried submit whose order already filled returns it instead of failing preflight', async () => {
    h = await startHarness()
    const sell = { ...limitBuy('eo-sold', '100'), side: 'SELL' as const, type: 'market' as const, limitPrice: undefined }
    const first = await h.broker.submitOrder(sell)
    expect(h.server.positionQty('AAPL').isZero()).toBe(true)
    const again = await h.broker.submitOrder(sell)
    expect(again.id).toBe(first.id)
    expect(again.status).toBe('filled')
    expect(h.server.orders()).toHaveLength(1)
  })
})
