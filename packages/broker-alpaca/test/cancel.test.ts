import { Dec, brokerOrderId, isBrokerError } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { restingBuy, startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('cancel', () => {
  it('a 204 only requests the cancel: the order stays pending_cancel until Alpaca confirms', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    h.server.knobs.pendingCancelPolls = 3
    const { id } = await restingBuy(h, 'cx-pending')
    await h.broker.cancelOrder(id)
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

  it('a 422 because the order already filled is not an error; the order is read and its fill booked', async () => {
    h = await startHarness()
    const { id } = await restingBuy(h, 'cx-filled')
    h.server.fill(id, '10')
    await h.broker.cancelOrder(id)
    expect(h.logger.records.some((r) => r.msg?.includes('not cancelable'))).toBe(true)
    const o = await h.broker.getOrder(id)
    expect(o.status).toBe('filled')
    expect(o.filledQty.eq(10)).toBe(true)
    expect(o.filledAvgPrice?.eq('189.9')).toBe(true)
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
    const err = await h.broker.cancelOrder(brokerOrderId('nope')).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code === 'BROKER_NOT_FOUND').toBe(true)
  })

  it('retries the cancel on a 5xx (cancelling is idempotent)', async () => {
    h = await startHarness()
    const { id } = await restingBuy(h, 'cx-retry')
    h.server.inject({ method: 'DELETE', path: '/v2/orders/' }, { kind: 'status', status: 503 })
    const done = await h.broker.cancelAndConfirm(id)
    expect(done.status).toBe('canceled')
    expect(h.server.count('DELETE', '/v2/orders/')).toBe(2)
  })

  it('waitForOrder gives up with a retryable BROKER_TIMEOUT when the order stays open', async () => {
    h = await startHarness()
    const { id } = await restingBuy(h, 'cx-open')
    const err = await h.broker.waitForOrder(id, { timeoutMs: 80 }).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code === 'BROKER_TIMEOUT' && err.retryable).toBe(true)
  })
})
