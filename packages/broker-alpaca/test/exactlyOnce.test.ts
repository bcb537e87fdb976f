import {
  Dec,
  createVirtualClock,
  isBrokerError,
  type BrokerError,
  type ClientOrderId,
  type SubmitOrderRequest,
} from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { submitAsTheEngine } from './support/engineProtocol.js'
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
  x.server.requests
    .filter((r) => r.method === 'POST' && r.path === '/v2/orders')
    .map((r) => r.body as { client_order_id: string })
const lookups = (x: Harness): number => x.server.count('GET', '/v2/orders:by_client_order_id')

async function caught(p: Promise<unknown>): Promise<BrokerError> {
  const e = await p.then(
    (v) => {
      throw new Error(`expected a BrokerError, got ${JSON.stringify(v)}`)
    },
    (err: unknown) => err,
  )
  if (!isBrokerError(e)) throw e
  return e
}

/** Never answered: the request times out whatever the machine's load. */
const NEVER = 600_000

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

  it('a slow answer within the timeout is just an answer: no look-up, no resend', async () => {
    h = await startHarness()
    h.server.knobs.latencyMs = 100
    await h.broker.submitOrder(limitBuy('eo-slow'))
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(0)
  })

  it('two concurrent submits of one order create it once', async () => {
    h = await startHarness()
    const [a, b] = await Promise.all([
      h.broker.submitOrder(limitBuy('eo-race')),
      h.broker.submitOrder(limitBuy('eo-race')),
    ])
    expect(a.id).toBe(b.id)
    expect(h.server.orders()).toHaveLength(1)
  })
})

describe('one attempt per submit: a failure that may have created the order is thrown at once, never "not created"', () => {
  it.each([
    {
      name: 'no answer in time, the order created',
      fault: { kind: 'delay', ms: NEVER, process: 'before' },
      code: 'BROKER_TIMEOUT',
      retryable: true,
    },
    {
      name: 'no answer in time, nothing processed',
      fault: { kind: 'delay', ms: NEVER, process: 'never' },
      code: 'BROKER_TIMEOUT',
      retryable: true,
    },
    {
      name: 'a 500 after the order was created',
      fault: { kind: 'status_after_process', status: 500 },
      code: 'BROKER_UNAVAILABLE',
      retryable: true,
    },
    {
      name: 'a 503 before anything happened',
      fault: { kind: 'status', status: 503 },
      code: 'BROKER_UNAVAILABLE',
      retryable: true,
    },
    { name: 'a 504', fault: { kind: 'status', status: 504 }, code: 'BROKER_TIMEOUT', retryable: true },
    {
      name: 'the answer dropped after the order was created',
      fault: { kind: 'drop', process: true },
      code: 'BROKER_UNAVAILABLE',
      retryable: true,
    },
    {
      name: 'the connection lost before the order was created',
      fault: { kind: 'drop', process: false },
      code: 'BROKER_UNAVAILABLE',
      retryable: true,
    },
    {
      name: 'an unreadable 2xx after the order was created',
      fault: { kind: 'garbage', process: true },
      code: 'BROKER_BAD_RESPONSE',
      retryable: false,
    },
  ] as const)('$name → $code (retryable: $retryable): one POST, no look-up', async ({ fault, code, retryable }) => {
    h = await startHarness({ broker: { timeoutMs: 1_000, tradeUpdates: false } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, fault)
    const err = await caught(h.broker.submitOrder(limitBuy('eo-once')))
    expect(err).toMatchObject({ code, retryable })
    expect(err.message).toContain('may have been created')
    expect(err.message).not.toContain('safe to retry')
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(0)
  })

  it('a 5xx whose message reads like a refusal is still "may have created it" (BROKER_UNAVAILABLE), not the refusal', async () => {
    h = await startHarness()
    h.server.inject(
      { method: 'POST', path: '/v2/orders' },
      { kind: 'status', status: 500, body: { code: 40310000, message: 'insufficient buying power' } },
    )
    const err = await caught(h.broker.submitOrder(limitBuy('eo-500-refusal')))
    expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true, brokerStatus: 500 })
    expect(err.reason).toBeUndefined()
  })

  it('a 429 is refused before processing: BROKER_RATE_LIMITED (retryable, retryAfterMs), no look-up, nothing created', async () => {
    h = await startHarness({ broker: { clock: createVirtualClock(), tradeUpdates: false } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'rate_limit', resetInMs: 5 })
    const err = await caught(h.broker.submitOrder(limitBuy('eo-429')))
    expect(err).toMatchObject({ code: 'BROKER_RATE_LIMITED', retryable: true, brokerStatus: 429 })
    expect(err.retryAfterMs).toBeGreaterThan(0)
    expect(err.message).toContain('the order was not created')
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(0)
    expect(h.server.orders()).toHaveLength(0)
  })
})

describe('exactly once with the engine retrying (look up by client order id, then resend with the same id)', () => {
  it.each([
    {
      name: 'no answer in time, the order created',
      fault: { kind: 'delay', ms: NEVER, process: 'before' },
      postCount: 1,
    },
    {
      name: 'no answer in time, nothing processed',
      fault: { kind: 'delay', ms: NEVER, process: 'never' },
      postCount: 2,
    },
    { name: 'a 500 after the order was created', fault: { kind: 'status_after_process', status: 500 }, postCount: 1 },
    { name: 'a 503 before anything happened', fault: { kind: 'status', status: 503 }, postCount: 2 },
    { name: 'the answer dropped after the order was created', fault: { kind: 'drop', process: true }, postCount: 1 },
    { name: 'the connection lost before the order was created', fault: { kind: 'drop', process: false }, postCount: 2 },
    { name: 'an unreadable 2xx after the order was created', fault: { kind: 'garbage', process: true }, postCount: 1 },
  ] as const)('$name → one order ($postCount POSTs; one look-up before any resend)', async ({ fault, postCount }) => {
    h = await startHarness({ broker: { timeoutMs: 1_000, tradeUpdates: false } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, fault)
    const r = await submitAsTheEngine(h.broker, limitBuy('eo-engine'))
    expect(r.order?.clientOrderId).toBe('eo-engine')
    expect(r.order?.id).toBe(h.server.orders()[0]?.['id'])
    expect(h.server.orders()).toHaveLength(1)
    expect(posts(h).map((b) => b.client_order_id)).toEqual(Array(postCount).fill('eo-engine'))
    expect(lookups(h)).toBe(1)
  })

  it('a 429: the engine resends after the reset without a look-up; one order', async () => {
    h = await startHarness({ broker: { clock: createVirtualClock(), tradeUpdates: false } })
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'rate_limit', resetInMs: 5 })
    const r = await submitAsTheEngine(h.broker, limitBuy('eo-429-engine'))
    expect(r.order?.clientOrderId).toBe('eo-429-engine')
    expect(posts(h)).toHaveLength(2)
    expect(lookups(h)).toBe(0)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('sends that kept failing without a clear answer end in an unknown outcome for the engine, never in a refusal; the same request later creates one order', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 503 }, 2)
    const r = await submitAsTheEngine(h.broker, limitBuy('eo-giveup'), { retries: 1, lookups: 3 })
    expect(r.unknown).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true })
    expect(r.refused).toBeUndefined()
    expect(r.submits).toBe(2)
    expect(posts(h)).toHaveLength(2) // one per submit call
    expect(h.server.orders()).toHaveLength(0)
    expect((await h.broker.submitOrder(limitBuy('eo-giveup'))).clientOrderId).toBe('eo-giveup')
    expect(h.server.orders()).toHaveLength(1)
  })
})

describe('a 422 "client_order_id must be unique" is proof the order exists', () => {
  it('is answered with the existing order (one POST, one look-up)', async () => {
    h = await startHarness()
    const existingId = h.server.seedOrder({
      clientOrderId: 'eo-dup',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      qty: '10',
      limitPrice: '189.50',
    })
    const o = await h.broker.submitOrder(limitBuy('eo-dup'))
    expect(o.id).toBe(existingId)
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(1)
    expect(h.server.orders()).toHaveLength(1)
    expect(h.logger.records.some((r) => r.msg?.includes('duplicate client_order_id'))).toBe(true)
  })

  it('when the look-up cannot show it yet: BROKER_UNKNOWN_OUTCOME at once (one look-up, no loop), never BROKER_REJECTED; a later look-up finds it', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const existingId = h.server.seedOrder({
      clientOrderId: 'dup-unseen',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      qty: '10',
      limitPrice: '189.50',
    })
    h.server.inject(
      { method: 'GET', path: '/v2/orders:by_client_order_id' },
      { kind: 'status', status: 404, body: { code: 40410000, message: 'order not found' } },
    )
    const err = await caught(h.broker.submitOrder(limitBuy('dup-unseen')))
    expect(err).toMatchObject({ code: 'BROKER_UNKNOWN_OUTCOME', retryable: false, brokerStatus: 422 })
    expect(err.message).toContain('client_order_id must be unique')
    expect(posts(h)).toHaveLength(1)
    expect(lookups(h)).toBe(1)
    expect((await h.broker.getOrderByClientId('dup-unseen' as ClientOrderId))?.id).toBe(existingId)
  })

  it('when the look-up fails: BROKER_UNKNOWN_OUTCOME naming the failure', async () => {
    h = await startHarness()
    h.server.seedOrder({
      clientOrderId: 'dup-down',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      qty: '10',
      limitPrice: '189.50',
    })
    h.server.inject({ method: 'GET', path: '/v2/orders:by_client_order_id' }, { kind: 'status', status: 503 })
    const err = await caught(h.broker.submitOrder(limitBuy('dup-down')))
    expect(err.code).toBe('BROKER_UNKNOWN_OUTCOME')
    expect(err.message).toContain('look-up by client_order_id failed')
    expect(lookups(h)).toBe(1)
  })

  it('a lost answer, a look-up that says 404 and a resend answered as a duplicate: BROKER_UNKNOWN_OUTCOME, and the engine finds the one order', async () => {
    h = await startHarness()
    h.server.knobs.unseenReads = 2 // Alpaca's asynchronous processing: the order exists but look-ups say 404 for a while
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    const first = await caught(h.broker.submitOrder(limitBuy('dup-async')))
    expect(first).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true })
    expect(await h.broker.getOrderByClientId('dup-async' as ClientOrderId)).toBeNull() // 404 although it exists
    const second = await caught(h.broker.submitOrder(limitBuy('dup-async')))
    expect(second.code).toBe('BROKER_UNKNOWN_OUTCOME') // 422 duplicate, then a look-up that says 404
    const found = await h.broker.getOrderByClientId('dup-async' as ClientOrderId)
    expect(found?.id).toBe(h.server.orders()[0]?.['id'])
    expect(posts(h)).toHaveLength(2)
    expect(lookups(h)).toBe(3)
    expect(h.server.orders()).toHaveLength(1)
    // The same with the engine's protocol end to end.
    h.server.knobs.unseenReads = 2
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    const r = await submitAsTheEngine(h.broker, limitBuy('dup-async-2'))
    expect(r.order?.clientOrderId).toBe('dup-async-2')
    expect(h.server.orders().filter((o) => o['client_order_id'] === 'dup-async-2')).toHaveLength(1)
  })

  it('for a different order under the same id → BROKER_REJECTED, reason client_order_id_reused, never booked as ours', async () => {
    h = await startHarness()
    h.server.seedOrder({
      clientOrderId: 'eo-reused',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      qty: '99',
      limitPrice: '189.50',
    })
    const err = await caught(h.broker.submitOrder(limitBuy('eo-reused')))
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'client_order_id_reused', retryable: false })
    expect(err.message).toContain('BUY 99 AAPL limit @ 189.5')
  })

  it('a different limit price under the same id is a reused id too', async () => {
    h = await startHarness()
    h.server.seedOrder({
      clientOrderId: 'eo-reused-px',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      qty: '10',
      limitPrice: '189.40',
    })
    const err = await caught(h.broker.submitOrder(limitBuy('eo-reused-px')))
    expect(err.reason).toBe('client_order_id_reused')
  })

  it('a 422 40010001 whose message is not "client_order_id must be unique" is a validation refusal: no look-up', async () => {
    h = await startHarness()
    h.server.inject(
      { method: 'POST', path: '/v2/orders' },
      {
        kind: 'status',
        status: 422,
        body: { code: 40010001, message: 'client_order_id must be no more than 128 characters' },
      },
    )
    const err = await caught(h.broker.submitOrder(limitBuy('dup-not')))
    expect(err.code).toBe('BROKER_REJECTED')
    expect(lookups(h)).toBe(0)
  })
})

describe('a resend after a submit that may have created the order', () => {
  it('a refused resend ends in BROKER_UNKNOWN_OUTCOME, not in the refusal (the refusal proves nothing about the first send)', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 500 })
    h.server.inject(
      { method: 'POST', path: '/v2/orders' },
      { kind: 'status', status: 403, body: { code: 40310000, message: 'insufficient buying power' } },
    )
    expect((await caught(h.broker.submitOrder(limitBuy('eo-refused-resend')))).code).toBe('BROKER_UNAVAILABLE')
    const err = await caught(h.broker.submitOrder(limitBuy('eo-refused-resend')))
    expect(err).toMatchObject({ code: 'BROKER_UNKNOWN_OUTCOME', brokerStatus: 403 })
    expect(err.message).toContain('an earlier submit may have created it')
    expect(posts(h)).toHaveLength(2)
    expect(lookups(h)).toBe(1)
  })

  it('a refused resend whose look-up finds the order answers with it', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    h.server.inject(
      { method: 'POST', path: '/v2/orders' },
      { kind: 'status', status: 403, body: { code: 40310000, message: 'insufficient buying power' } },
    )
    await caught(h.broker.submitOrder(limitBuy('eo-refused-found')))
    const o = await h.broker.submitOrder(limitBuy('eo-refused-found'))
    expect(o.id).toBe(h.server.orders()[0]?.['id'])
  })

  it('skips the preflight: Alpaca answers for the order (a 422 duplicate here)', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true })
    await caught(h.broker.submitOrder(limitBuy('eo-no-preflight')))
    const assetReads = h.server.count('GET', '/v2/assets')
    const o = await h.broker.submitOrder(limitBuy('eo-no-preflight'))
    expect(o.clientOrderId).toBe('eo-no-preflight')
    expect(h.server.count('GET', '/v2/assets')).toBe(assetReads)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('once the order is settled, a later submit of the id is an ordinary one again (preflight included)', async () => {
    h = await startHarness()
    h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'status', status: 503 })
    await caught(h.broker.submitOrder(limitBuy('eo-settled')))
    await h.broker.submitOrder(limitBuy('eo-settled')) // resend: created
    const positionReads = h.server.count('GET', '/v2/positions')
    await h.broker.submitOrder(limitBuy('eo-settled')) // preflight, then 422 duplicate → the order
    expect(h.server.count('GET', '/v2/positions')).toBe(positionReads + 1)
    expect(h.server.orders()).toHaveLength(1)
  })

  it('a retried submit whose order already filled returns it instead of failing preflight', async () => {
    h = await startHarness()
    const sell = {
      ...limitBuy('eo-sold', '100'),
      side: 'SELL' as const,
      type: 'market' as const,
      limitPrice: undefined,
    }
    const first = await h.broker.submitOrder(sell)
    expect(h.server.order(first.id)?.['status']).toBe('filled') // routed and filled by the venue after the 200
    expect(h.server.positionQty('AAPL').isZero()).toBe(true)
    const again = await h.broker.submitOrder(sell)
    expect(again.id).toBe(first.id)
    expect(again.status).toBe('filled')
    expect(h.server.orders()).toHaveLength(1)
  })
})
