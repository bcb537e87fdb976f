import { inspect } from 'node:util'
import {
  BROKER_ERRORS,
  Dec,
  brokerOrderId,
  createVirtualClock,
  isBrokerError,
  type BrokerError,
  type ClientOrderId,
} from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import {
  isDuplicateClientOrderId,
  mapFailure,
  possiblyCreatedCode,
  reasonOf,
  toBrokerError,
  type AlpacaFailure,
} from '../src/errors.js'
import { FAKE_KEY_ID, FAKE_SECRET_KEY, readAlpacaFixture } from '@acx/test-utils'
import { eventually, startHarness, type Harness } from './support/harness.js'

const http = (status: number, code?: number | string, message = 'x', retryAfterMs?: number): AlpacaFailure => ({
  kind: 'http',
  status,
  code,
  message,
  retryAfterMs,
  requestId: undefined,
})

async function caught(p: Promise<unknown>): Promise<BrokerError> {
  try {
    await p
  } catch (e) {
    if (isBrokerError(e)) return e
    throw e
  }
  throw new Error('expected a BrokerError')
}

describe('the error table', () => {
  const rows: [string, AlpacaFailure, BrokerError['code'], boolean][] = [
    ['401 40110000 auth', http(401, 40110000, 'request is not authorized'), 'BROKER_AUTH', false],
    ['403 40310000 buying power', http(403, 40310000, 'insufficient buying power'), 'BROKER_INSUFFICIENT_FUNDS', false],
    [
      '403 40310000 qty',
      http(403, 40310000, 'insufficient qty available for order'),
      'BROKER_INSUFFICIENT_FUNDS',
      false,
    ],
    ['404 40410000 not found', http(404, 40410000, 'order not found'), 'BROKER_NOT_FOUND', false],
    ['422 42210000 validation', http(422, 42210000, 'order is not cancelable'), 'BROKER_REJECTED', false],
    ['422 40010001 validation', http(422, 40010001, 'qty must be > 0'), 'BROKER_REJECTED', false],
    ['400 40010001 validation', http(400, 40010001, 'invalid symbol'), 'BROKER_REJECTED', false],
    ['429 rate limit', http(429, undefined, 'rate limit exceeded', 1200), 'BROKER_RATE_LIMITED', true],
    ['500', http(500, 50010000, 'internal server error occurred'), 'BROKER_UNAVAILABLE', true],
    ['502', http(502), 'BROKER_UNAVAILABLE', true],
    ['503', http(503), 'BROKER_UNAVAILABLE', true],
    ['504 gateway timeout', http(504), 'BROKER_TIMEOUT', true],
    ['599 any other 5xx', http(599), 'BROKER_UNAVAILABLE', true],
    ['403 without a code', http(403, undefined, 'forbidden'), 'BROKER_AUTH', false],
    ['418 any other 4xx', http(418, undefined, 'teapot'), 'BROKER_REJECTED', false],
    [
      'an unknown code with a known message',
      http(403, 99999999, 'Insufficient buying power'),
      'BROKER_INSUFFICIENT_FUNDS',
      false,
    ],
    [
      '403 40310100 pattern day trader protection',
      http(403, 40310100, 'trade denied due to pattern day trading protection'),
      'BROKER_PATTERN_DAY_TRADER',
      false,
    ],
    [
      '403 40310000 wash trade (the code of insufficient buying power)',
      http(403, 40310000, 'potential wash trade detected. use complex orders'),
      'BROKER_WASH_TRADE',
      false,
    ],
    [
      '403 market data without a SIP plan',
      http(403, undefined, 'subscription does not permit querying recent SIP data'),
      'BROKER_MARKET_DATA_FORBIDDEN',
      false,
    ],
    ['403 forbidden (bad keys) stays auth', http(403, undefined, 'forbidden'), 'BROKER_AUTH', false],
    ['network', { kind: 'network', message: 'request failed (ECONNRESET)' }, 'BROKER_UNAVAILABLE', true],
    ['timeout', { kind: 'timeout', message: 'no response within the timeout' }, 'BROKER_TIMEOUT', true],
    ['unreadable 2xx', { kind: 'bad_response', message: 'response body is not JSON' }, 'BROKER_BAD_RESPONSE', false],
  ]
  it.each(rows)('maps %s', (_name, failure, code, retryable) => {
    expect(mapFailure(failure).code).toBe(code)
    const err = toBrokerError(failure, 'ctx', [])
    expect(err.code).toBe(code)
    expect(err.retryable).toBe(retryable)
    expect(BROKER_ERRORS[code].retryable).toBe(retryable)
  })

  it('maps the documented error payloads (the errors fixture of @acx/test-utils)', () => {
    const payloads = readAlpacaFixture<{
      payload: Record<string, { status: number; body: { code?: number; message: string } }>
    }>('errors').payload
    const expected: Record<string, BrokerError['code']> = {
      unauthorized: 'BROKER_AUTH',
      insufficientBuyingPower: 'BROKER_INSUFFICIENT_FUNDS',
      insufficientQty: 'BROKER_INSUFFICIENT_FUNDS',
      orderNotFound: 'BROKER_NOT_FOUND',
      positionNotFound: 'BROKER_NOT_FOUND',
      assetNotFound: 'BROKER_NOT_FOUND',
      duplicateClientOrderId: 'BROKER_REJECTED',
      notCancelable: 'BROKER_REJECTED',
      subPenny: 'BROKER_REJECTED',
      rateLimited: 'BROKER_RATE_LIMITED',
      internal: 'BROKER_UNAVAILABLE',
      patternDayTrader: 'BROKER_PATTERN_DAY_TRADER',
      washTrade: 'BROKER_WASH_TRADE',
      sipForbidden: 'BROKER_MARKET_DATA_FORBIDDEN',
      invalidCryptoTimeInForce: 'BROKER_REJECTED',
      invalidTimeInForce: 'BROKER_REJECTED',
    }
    expect(Object.keys(payloads).sort()).toEqual(Object.keys(expected).sort())
    for (const [name, { status, body }] of Object.entries(payloads)) {
      expect(mapFailure(http(status, body.code, body.message)).code, name).toBe(expected[name])
    }
    const dup = payloads['duplicateClientOrderId']!
    expect(isDuplicateClientOrderId(http(dup.status, dup.body.code, dup.body.message))).toBe(true)
    const sub = payloads['subPenny']!
    expect(isDuplicateClientOrderId(http(sub.status, sub.body.code, sub.body.message))).toBe(false)
  })

  it('treats 40010001 as a duplicate only when the message says client_order_id must be unique', () => {
    expect(isDuplicateClientOrderId(http(422, 40010001, 'client_order_id must be unique'))).toBe(true)
    expect(isDuplicateClientOrderId(http(422, 40010001, 'client_order_id must be no more than 128 characters'))).toBe(
      false,
    )
    expect(isDuplicateClientOrderId(http(422, 40010001, 'qty must be > 0'))).toBe(false)
    expect(isDuplicateClientOrderId(http(422, 40010001, 'duplicate legs in order'))).toBe(false)
    expect(isDuplicateClientOrderId(http(500, 50010000, 'client_order_id must be unique'))).toBe(false)
  })

  it('names the cause in the message of the new codes', () => {
    expect(
      toBrokerError(http(403, 40310100, 'trade denied due to pattern day trading protection'), 'submit order x', [])
        .message,
    ).toContain('pattern day trader')
    expect(
      toBrokerError(http(403, 40310000, 'potential wash trade detected. use complex orders'), 'submit order x', [])
        .message,
    ).toContain('cancel that order first')
    expect(
      toBrokerError(http(403, undefined, 'subscription does not permit querying recent SIP data'), 'quote', []).message,
    ).toContain('feed "iex"')
  })

  it('names the reason of the refusals whose documented message says it', () => {
    const payloads = readAlpacaFixture<{
      payload: Record<string, { status: number; body: { code?: number; message: string } }>
    }>('errors').payload
    const reasons = Object.fromEntries(
      Object.entries(payloads).map(([name, { status, body }]) => [
        name,
        toBrokerError(http(status, body.code, body.message), 'ctx', []).reason,
      ]),
    )
    expect(reasons).toMatchObject({
      insufficientBuyingPower: 'insufficient_buying_power',
      insufficientQty: 'insufficient_position',
      subPenny: 'invalid_request',
      invalidCryptoTimeInForce: 'invalid_request',
      invalidTimeInForce: 'invalid_request',
      washTrade: undefined, // 40310000 too, but not a matter of buying power
      duplicateClientOrderId: undefined,
      notCancelable: undefined,
    })
    expect(reasonOf(http(500, 50010000, 'insufficient buying power'))).toBeUndefined() // only a 4xx refusal has a reason
  })

  it('gives a submit that may have created the order a code from the class of the failure alone', () => {
    expect(possiblyCreatedCode({ kind: 'timeout', message: 't' })).toBe('BROKER_TIMEOUT')
    expect(possiblyCreatedCode({ kind: 'network', message: 'n' })).toBe('BROKER_UNAVAILABLE')
    expect(possiblyCreatedCode({ kind: 'bad_response', message: 'b' })).toBe('BROKER_BAD_RESPONSE')
    expect(possiblyCreatedCode(http(408))).toBe('BROKER_TIMEOUT')
    expect(possiblyCreatedCode(http(504))).toBe('BROKER_TIMEOUT')
    // A 5xx whose message the tables would read as a refusal may still have created the order.
    expect(mapFailure(http(500, undefined, 'order not found')).code).toBe('BROKER_NOT_FOUND')
    expect(possiblyCreatedCode(http(500, undefined, 'order not found'))).toBe('BROKER_UNAVAILABLE')
    const err = toBrokerError(http(500, undefined, 'order not found'), 'submit', [], {
      code: 'BROKER_UNAVAILABLE',
      note: 'may exist',
    })
    expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true, brokerStatus: 500 })
    expect(err.message).toMatch(/order not found; may exist$/)
  })

  it('carries the status, code and retry-after of an HTTP failure', () => {
    const err = toBrokerError(http(429, 42910000, 'rate limit exceeded', 1500), 'get order', [])
    expect(err).toMatchObject({ brokerStatus: 429, brokerCode: 42910000, retryAfterMs: 1500 })
    expect(err.message).toContain('get order')
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('redacts keys from the message and the cause', () => {
    const err = toBrokerError(http(500, undefined, `echo ${FAKE_SECRET_KEY} ${FAKE_KEY_ID}`), 'ctx', [
      FAKE_KEY_ID,
      FAKE_SECRET_KEY,
    ])
    const all = `${err.message} ${inspect(err, { depth: 5 })}`
    expect(all).not.toContain(FAKE_SECRET_KEY)
    expect(all).not.toContain(FAKE_KEY_ID)
    expect(all).toContain('[REDACTED]')
  })
})

describe('the error table through the SDK and the fake server: one request per call', () => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
  })
  const order = (clientOrderId: string, side: 'BUY' | 'SELL', qty: string) => ({
    clientOrderId: clientOrderId as ClientOrderId,
    symbol: 'AAPL',
    side,
    qty: new Dec(qty),
    type: 'market' as const,
    timeInForce: 'day' as const,
  })

  it('401 → BROKER_AUTH, one request', async () => {
    h = await startHarness({ broker: { secretKey: 'wrong-secret', tradeUpdates: false } })
    const err = await caught(h.broker.getQuote('AAPL'))
    expect(err).toMatchObject({ code: 'BROKER_AUTH', retryable: false, brokerStatus: 401, brokerCode: 40110000 })
    expect(h.server.count('GET', '/v2/stocks')).toBe(1)
  })

  it('403 40310000 insufficient buying power → BROKER_INSUFFICIENT_FUNDS, reason insufficient_buying_power', async () => {
    h = await startHarness({ broker: { preflight: false } })
    h.server.setBuyingPower('10')
    const err = await caught(h.broker.submitOrder(order('bp-1', 'BUY', '10')))
    expect(err).toMatchObject({
      code: 'BROKER_INSUFFICIENT_FUNDS',
      reason: 'insufficient_buying_power',
      retryable: false,
      brokerStatus: 403,
      brokerCode: 40310000,
    })
    expect(h.server.orders()).toHaveLength(0)
  })

  it('403 40310000 insufficient qty → BROKER_INSUFFICIENT_FUNDS, reason insufficient_position', async () => {
    h = await startHarness({ broker: { preflight: false } })
    const err = await caught(h.broker.submitOrder(order('qty-1', 'SELL', '1000')))
    expect(err).toMatchObject({ code: 'BROKER_INSUFFICIENT_FUNDS', reason: 'insufficient_position', brokerStatus: 403 })
  })

  it('404 40410000 → BROKER_NOT_FOUND', async () => {
    h = await startHarness()
    const err = await caught(h.broker.getOrder(brokerOrderId('5c9d0a3e-0000-4000-8000-000000000000')))
    expect(err).toMatchObject({ code: 'BROKER_NOT_FOUND', retryable: false, brokerCode: 40410000 })
  })

  it.each([
    [422, 42210000],
    [422, 40010001],
    [400, 40010001],
  ])('%i %i → BROKER_REJECTED, the order not looked up', async (status, code) => {
    h = await startHarness()
    h.server.inject(
      { method: 'POST', path: '/v2/orders' },
      { kind: 'status', status, body: { code, message: 'invalid order' } },
    )
    const err = await caught(h.broker.submitOrder(order(`rej-${status}-${code}`, 'BUY', '1')))
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', retryable: false, brokerStatus: status, brokerCode: code })
    expect(h.server.count('POST', '/v2/orders')).toBe(1)
    expect(h.server.count('GET', '/v2/orders:by_client_order_id')).toBe(0)
  })

  it('a sub-penny refusal from Alpaca → BROKER_REJECTED, reason invalid_request', async () => {
    h = await startHarness()
    h.server.inject(
      { method: 'POST', path: '/v2/orders' },
      {
        kind: 'status',
        status: 422,
        body: {
          code: 42210000,
          message: 'invalid limit_price 150.125. sub-penny increment does not fulfill minimum pricing criteria',
        },
      },
    )
    const err = await caught(h.broker.submitOrder(order('sub-penny', 'BUY', '1')))
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', reason: 'invalid_request', brokerStatus: 422 })
  })

  it('403 40310100 on a submit → BROKER_PATTERN_DAY_TRADER, not looked up', async () => {
    h = await startHarness()
    h.server.inject(
      { method: 'POST', path: '/v2/orders' },
      {
        kind: 'status',
        status: 403,
        body: { code: 40310100, message: 'trade denied due to pattern day trading protection' },
      },
    )
    const err = await caught(h.broker.submitOrder(order('pdt-1', 'SELL', '10')))
    expect(err).toMatchObject({
      code: 'BROKER_PATTERN_DAY_TRADER',
      retryable: false,
      brokerStatus: 403,
      brokerCode: 40310100,
    })
    expect(err.message).toContain('pattern day trader protection')
    expect(h.server.count('GET', '/v2/orders:by_client_order_id')).toBe(0)
    expect(h.server.count('POST', '/v2/orders')).toBe(1)
  })

  it("Alpaca's wash-trade protection (403 40310000) → BROKER_WASH_TRADE, not insufficient funds", async () => {
    h = await startHarness()
    h.server.knobs.washTradeProtection = true
    await h.broker.submitOrder({ ...order('wash-buy', 'BUY', '5'), type: 'limit', limitPrice: new Dec('189.90') })
    const err = await caught(
      h.broker.submitOrder({ ...order('wash-sell', 'SELL', '5'), type: 'limit', limitPrice: new Dec('189.80') }),
    )
    expect(err).toMatchObject({ code: 'BROKER_WASH_TRADE', retryable: false, brokerStatus: 403, brokerCode: 40310000 })
    expect(err.reason).toBeUndefined()
    expect(err.message).toContain('potential wash trade detected')
    expect(h.server.orders()).toHaveLength(1)
  })

  it('a market-data plan without SIP → BROKER_MARKET_DATA_FORBIDDEN, not BROKER_AUTH', async () => {
    h = await startHarness({ broker: { feed: 'sip' } })
    h.server.knobs.sipForbidden = true
    const err = await caught(h.broker.getQuote('AAPL'))
    expect(err).toMatchObject({ code: 'BROKER_MARKET_DATA_FORBIDDEN', retryable: false, brokerStatus: 403 })
    expect(err.message).toContain('subscription does not permit querying recent SIP data')
    // The trading keys are fine: trading still works.
    expect((await h.broker.getAccount()).canTrade).toBe(true)
  })

  it("429 → BROKER_RATE_LIMITED at once (retryable, retryAfterMs = Alpaca's reset); every request waits for the reset on the injected clock", async () => {
    const clock = createVirtualClock({ autoAdvance: false })
    h = await startHarness({ broker: { clock, tradeUpdates: false } })
    h.server.inject({ method: 'GET', path: '/v2/assets' }, { kind: 'rate_limit', resetInMs: 1_500 })
    const err = await caught(h.broker.getAsset('AAPL'))
    expect(err).toMatchObject({ code: 'BROKER_RATE_LIMITED', retryable: true, brokerStatus: 429 })
    const resetMs = err.retryAfterMs ?? 0
    expect(resetMs).toBeGreaterThan(0)
    expect(h.server.count('GET', '/v2/assets')).toBe(1) // not repeated
    let done = false
    const next = h.broker.getAccount().then(() => (done = true))
    await clock.advance(resetMs - 1)
    expect(done).toBe(false)
    expect(h.server.count('GET', '/v2/account')).toBe(0) // held by the paused bucket, not sent
    await clock.advance(1)
    await next
    expect(h.server.count('GET', '/v2/account')).toBe(1)
  })

  it('a 429 without a reset time pauses requests for a second', async () => {
    const clock = createVirtualClock({ autoAdvance: false })
    h = await startHarness({ broker: { clock, tradeUpdates: false } })
    h.server.inject(
      { method: 'GET', path: '/v2/account' },
      { kind: 'status', status: 429, body: { code: 42910000, message: 'rate limit exceeded' } },
    )
    const err = await caught(h.broker.getAccount())
    expect(err).toMatchObject({ code: 'BROKER_RATE_LIMITED', retryAfterMs: 1_000 })
  })

  it.each([
    [500, 'BROKER_UNAVAILABLE'],
    [502, 'BROKER_UNAVAILABLE'],
    [503, 'BROKER_UNAVAILABLE'],
    [504, 'BROKER_TIMEOUT'],
  ] as const)('%i on a read → %s (retryable) at once, one request; the next call succeeds', async (status, code) => {
    h = await startHarness()
    const { id } = await h.broker.submitOrder({
      ...order('5xx-read', 'BUY', '1'),
      type: 'limit',
      limitPrice: new Dec('189.00'),
    })
    const before = h.server.count('GET', '/v2/orders/')
    h.server.inject({ method: 'GET', path: '/v2/orders/' }, { kind: 'status', status })
    const err = await caught(h.broker.getOrder(id))
    expect(err).toMatchObject({ code, retryable: true, brokerStatus: status })
    expect(h.server.count('GET', '/v2/orders/') - before).toBe(1)
    expect((await h.broker.getOrder(id)).id).toBe(id)
  })

  it('network failure → BROKER_UNAVAILABLE (retryable), one request', async () => {
    h = await startHarness()
    h.server.inject({ method: 'GET', path: '/v2/account' }, { kind: 'drop', process: false })
    const err = await caught(h.broker.getAccount())
    expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true })
    expect(err.brokerStatus).toBeUndefined()
    expect(h.server.count('GET', '/v2/account')).toBe(1)
  })

  it('timeout → BROKER_TIMEOUT (retryable), one request', async () => {
    // Never answered: the request times out whatever the machine's load (and no other request shares the short timeout).
    h = await startHarness({ broker: { timeoutMs: 250, tradeUpdates: false } })
    h.server.inject({ method: 'GET', path: '/v2/account' }, { kind: 'delay', ms: 600_000, process: 'never' })
    const err = await caught(h.broker.getAccount())
    expect(err).toMatchObject({ code: 'BROKER_TIMEOUT', retryable: true })
    expect(h.server.count('GET', '/v2/account')).toBe(1)
  })

  it('an unreadable 2xx → BROKER_BAD_RESPONSE (not retryable)', async () => {
    h = await startHarness()
    h.server.inject({ method: 'GET', path: '/v2/account' }, { kind: 'garbage', process: false })
    const err = await caught(h.broker.getAccount())
    expect(err).toMatchObject({ code: 'BROKER_BAD_RESPONSE', retryable: false })
    expect(h.server.count('GET', '/v2/account')).toBe(1)
  })

  it('an order body that breaks the documented shape → BROKER_BAD_RESPONSE', async () => {
    h = await startHarness()
    h.server.inject(
      { method: 'GET', path: '/v2/orders/' },
      { kind: 'status', status: 200, body: { id: 'x', status: 'new' } },
    )
    const err = await caught(h.broker.getOrder(brokerOrderId('x')))
    expect(err.code).toBe('BROKER_BAD_RESPONSE')
  })

  it('never puts a key in an error, its cause or a log record', async () => {
    h = await startHarness()
    const errors: unknown[] = []
    const keep = (p: Promise<unknown>) => p.catch((e: unknown) => errors.push(e))
    h.server.inject(
      { path: '/v2/account' },
      { kind: 'status', status: 500, body: { code: 1, message: `bad key ${FAKE_KEY_ID}:${FAKE_SECRET_KEY}` } },
    )
    await keep(h.broker.getAccount())
    h.server.inject({ path: '/v2/account' }, { kind: 'drop', process: false })
    await keep(h.broker.getAccount())
    h.server.inject(
      { method: 'POST', path: '/v2/orders' },
      { kind: 'status', status: 503, body: { code: 1, message: `echo ${FAKE_SECRET_KEY}` } },
    )
    await keep(h.broker.submitOrder(order('leak-1', 'BUY', '1')))
    await keep(h.broker.getOrder(brokerOrderId('nope')))
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'live')
    h.server.knobs.rejectAuth = true
    await keep(h.broker.getQuote('AAPL'))
    h.server.dropStreamConnections()
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'auth_failed', 5_000)
    expect(errors).toHaveLength(5)
    const text = [
      ...errors.map((e) => `${String(e)} ${inspect(e, { depth: 10, showHidden: true })} ${JSON.stringify(e)}`),
      ...h.logger.records.map((r) => `${r.msg} ${JSON.stringify(r.obj)}`),
    ].join('\n')
    expect(text).not.toContain(FAKE_SECRET_KEY)
    expect(text).not.toContain(FAKE_KEY_ID)
    expect(h.logger.records.some((r) => r.level === 'error' && r.msg?.includes('refused the credentials'))).toBe(true)
  })
})
