import { Dec, brokerOrderId, isBrokerError, type BrokerError } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { restingBuy, startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

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

describe('cancel', () => {
  it('a 204 only requests the cancel (requested): the order stays pending_cancel until Alpaca confirms', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    h.server.knobs.pendingCancelPolls = 3
    const { id } = await restingBuy(h, 'cx-pending')
    expect(await h.broker.cancelOrder(id)).toBe('requested')
    expect((await h.broker.getOrder(id)).status).toBe('pending_cancel')
    const done = await h.broker.waitForOrder(id)
    expect(done.status).toBe('canceled')
    expect(h.server.count('GET', '/v2/orders/')).toBeGreaterThanOrEqual(3)
  })

  it('cancelAndConfirm returns the final order', async () => {
    h = await startHarness()
    h.server.knobs.pendingCancelPolls = 2
    const { id } = await restingBuy(h, 'cx-confirm')
    const done = await h.broker.cancelAndConfirm(id)
    expect(done.status).toBe('canceled')
    expect(done.filledQty.isZero()).toBe(true)
  })

  it('a 422 because the order already filled answers already_final (not an error); the order is read and its fill booked', async () => {
    h = await startHarness()
    const { id } = await restingBuy(h, 'cx-filled')
    h.server.fill(id, '10')
    expect(await h.broker.cancelOrder(id)).toBe('already_final')
    expect(h.server.count('DELETE', '/v2/orders/')).toBe(1)
    expect(h.logger.records.some((r) => r.msg?.includes('already final'))).toBe(true)
    const o = await h.broker.getOrder(id)
    expect(o.status).toBe('filled')
    expect(o.filledQty.eq(10)).toBe(true)
    expect(o.filledAvgPrice?.eq('189.9')).toBe(true)
  })

  it('answers already_final for a canceled, an expired and a rejected order', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const canceled = await restingBuy(h, 'cx-final-canceled')
    await h.broker.cancelAndConfirm(canceled.id)
    expect(await h.broker.cancelOrder(canceled.id)).toBe('already_final')
    const expired = await restingBuy(h, 'cx-final-expired')
    h.server.endOfDay('expired')
    expect(await h.broker.cancelOrder(expired.id)).toBe('already_final')
    h.server.routeNextAs('rejected')
    const rejected = await restingBuy(h, 'cx-final-rejected')
    expect((await h.broker.waitForOrder(rejected.id, { timeoutMs: 2_000 })).status).toBe('rejected')
    expect(await h.broker.cancelOrder(rejected.id)).toBe('already_final')
  })

  it('a 422 while a cancel is already pending answers requested', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    h.server.knobs.pendingCancelPolls = Number.POSITIVE_INFINITY
    const { id } = await restingBuy(h, 'cx-pending-422')
    expect(await h.broker.cancelOrder(id)).toBe('requested')
    h.server.inject(
      { method: 'DELETE', path: '/v2/orders/' },
      { kind: 'status', status: 422, body: { code: 42210000, message: 'order is not cancelable' } },
    )
    expect(await h.broker.cancelOrder(id)).toBe('requested')
  })

  it('a 422 while the order is open and no cancel pending (a state in between) → retryable BROKER_REJECTED: ask again', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'cx-between')
    h.server.inject(
      { method: 'DELETE', path: '/v2/orders/' },
      { kind: 'status', status: 422, body: { code: 42210000, message: 'order is not cancelable' } },
    )
    const err = await caught(h.broker.cancelOrder(id))
    expect(err).toMatchObject({ code: 'BROKER_REJECTED', retryable: true, brokerStatus: 422 })
    expect(await h.broker.cancelOrder(id)).toBe('requested')
  })

  it('books fills that arrive after the cancel request (partial fill, then a fill racing the cancel)', async () => {
    h = await startHarness()
    h.server.knobs.restingFillRatio = 0.3
    h.server.knobs.fillOnCancelRatio = 0.5
    const { id } = await restingBuy(h, 'cx-race')
    expect((await h.broker.getOrder(id)).filledQty.eq(3)).toBe(true)
    const done = await h.broker.cancelAndConfirm(id)
    expect(done.status).toBe('canceled')
    expect(done.filledQty.eq('6.5')).toBe(true) // 3 before, 7 × 0.5 = 3.5 (AAPL is fractionable) racing the cancel
    const fills = h.server.fills.filter((f) => f.orderId === id)
    expect(fills.map((f) => f.afterCancelRequest)).toEqual([false, true])
    expect(fills.reduce((s, f) => s.add(f.qty), new Dec(0)).eq(done.filledQty)).toBe(true)
  })

  it('a racing fill that completes the order ends it filled', async () => {
    h = await startHarness()
    h.server.knobs.fillOnCancelRatio = 1
    const { id } = await restingBuy(h, 'cx-race-full')
    const done = await h.broker.cancelAndConfirm(id)
    expect(done.status).toBe('filled')
    expect(done.filledQty.eq(10)).toBe(true)
  })

  it('cancelling an unknown order throws BROKER_NOT_FOUND', async () => {
    h = await startHarness()
    const err = await caught(h.broker.cancelOrder(brokerOrderId('nope')))
    expect(err.code).toBe('BROKER_NOT_FOUND')
  })

  it('a 5xx on the cancel is thrown at once (one DELETE, retryable); asking again requests it (cancelling is idempotent)', async () => {
    h = await startHarness()
    const { id } = await restingBuy(h, 'cx-5xx')
    h.server.inject({ method: 'DELETE', path: '/v2/orders/' }, { kind: 'status', status: 503 })
    const err = await caught(h.broker.cancelOrder(id))
    expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true })
    expect(h.server.count('DELETE', '/v2/orders/')).toBe(1)
    expect(await h.broker.cancelOrder(id)).toBe('requested')
    expect((await h.broker.waitForOrder(id)).status).toBe('canceled')
  })
})

describe('waitForOrder polls', () => {
  it('gives up with a retryable BROKER_TIMEOUT when the order stays open', async () => {
    h = await startHarness()
    const { id } = await restingBuy(h, 'wait-open')
    const err = await caught(h.broker.waitForOrder(id, { timeoutMs: 80 }))
    expect(err).toMatchObject({ code: 'BROKER_TIMEOUT', retryable: true })
  })

  it('a poll that fails with a retryable error is made again at the next poll', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'wait-5xx')
    h.server.fill(id, '10')
    h.server.inject({ method: 'GET', path: '/v2/orders/' }, { kind: 'status', status: 503 }, 2)
    const done = await h.broker.waitForOrder(id, { timeoutMs: 5_000 })
    expect(done.status).toBe('filled')
    expect(h.server.count('GET', '/v2/orders/')).toBe(3)
    expect(h.logger.records.filter((r) => r.msg?.includes('a poll failed'))).toHaveLength(2)
  })

  it('a non-retryable failure is thrown at once', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const err = await caught(h.broker.waitForOrder(brokerOrderId('wait-nope'), { timeoutMs: 5_000 }))
    expect(err.code).toBe('BROKER_NOT_FOUND')
    expect(h.server.count('GET', '/v2/orders/')).toBe(1)
  })

  it('at the deadline after failed polls: BROKER_TIMEOUT with the last failure as its cause', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'wait-down')
    h.server.inject({ method: 'GET', path: '/v2/orders/' }, { kind: 'status', status: 503 }, 1_000)
    const err = await caught(h.broker.waitForOrder(id, { timeoutMs: 60 }))
    expect(err).toMatchObject({ code: 'BROKER_TIMEOUT', retryable: true })
    expect(err.message).toContain('not read')
    expect(isBrokerError(err.cause) && err.cause.code).toBe('BROKER_UNAVAILABLE')
  })
})
