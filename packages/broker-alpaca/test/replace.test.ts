import { BROKER_TERMINAL_STATUSES, Dec, type ClientOrderId } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { createAlpacaBroker, type AlpacaBroker } from '../src/index.js'
import { FAST, eventually, restingBuy, startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
let other: AlpacaBroker | undefined
afterEach(async () => {
  await other?.close()
  await h?.close()
  h = undefined
  other = undefined
})

// acx never replaces orders, but a human can (dashboard, PATCH /v2/orders/{id}); the fake's `replace` does
// what Alpaca's PATCH does: the original becomes `replaced` with `replaced_by`, the replacement is a new order.
describe('a replaced order is not a canceled one', () => {
  it('getOrder(original) presents the chain as one order: fills summed with their VWAP, the head’s status, the original id', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'rp-chain')
    h.server.fill(id, '4', '189.90')
    const replacement = h.server.replace(id, { limitPrice: '189.95' })
    h.server.fill(replacement, '2', '189.95')
    const o = await h.broker.getOrder(id)
    expect(o.id).toBe(id)
    expect(o.clientOrderId).toBe('rp-chain')
    expect(o.status).toBe('partially_filled') // the replacement is still working: never `canceled`
    expect(o.filledQty.eq(6)).toBe(true)
    expect(o.filledAvgPrice?.eq(new Dec('189.90').mul(4).add(new Dec('189.95').mul(2)).div(6))).toBe(true)
    expect(o.limitPrice?.eq('189.95')).toBe(true)
    expect(o.qty.eq(10)).toBe(true) // 4 filled on the original + the replacement's 6
  })

  it('cancelOrder(original) cancels the head of the chain', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'rp-cancel')
    h.server.fill(id, '3')
    const replacement = h.server.replace(id, { limitPrice: '189.95' })
    expect(await h.broker.cancelOrder(id)).toBe('requested')
    const done = await h.broker.waitForOrder(id, { timeoutMs: 2_000 })
    expect(done.status).toBe('canceled')
    expect(done.filledQty.eq(3)).toBe(true)
    expect(h.server.order(replacement)?.['status']).toBe('canceled')
    expect(h.logger.records.some((r) => r.msg === 'Alpaca order was replaced; cancelling its replacement')).toBe(true)
  })

  it('follows a chain of replaces statelessly: a new adapter (after a restart) sees the same one order', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'rp-restart')
    h.server.fill(id, '2', '189.90')
    const second = h.server.replace(id, { limitPrice: '189.92' })
    h.server.fill(second, '3', '189.92')
    const third = h.server.replace(second, { limitPrice: '189.99' })
    h.server.fill(third, '5', '189.99')
    other = createAlpacaBroker({
      keyId: h.server.keyId,
      secretKey: h.server.secretKey,
      tradingBaseUrl: h.server.tradingBaseUrl,
      dataBaseUrl: h.server.dataBaseUrl,
      ...FAST,
      tradeUpdates: false,
    })
    const o = await other.getOrder(id)
    expect(o).toMatchObject({ id, clientOrderId: 'rp-restart', status: 'filled' })
    expect(o.filledQty.eq(10)).toBe(true)
    expect(o.filledAvgPrice?.toFixed()).toBe('189.951') // (2×189.90 + 3×189.92 + 5×189.99) / 10
    expect((await other.getOrderByClientId('rp-restart' as ClientOrderId))?.filledQty.eq(10)).toBe(true)
  })

  it('a replacement Alpaca cannot show yet (404) leaves the order open, never final', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'rp-unseen')
    h.server.knobs.unseenReads = 1 // the replacement answers 404 once
    h.server.replace(id, { limitPrice: '189.95' })
    const first = await h.broker.getOrder(id)
    expect(BROKER_TERMINAL_STATUSES.has(first.status)).toBe(false)
    const then = await h.broker.getOrder(id)
    expect(then.status).toBe('new')
  })

  it('trade updates of a replace do not make the tracker report the original as final', async () => {
    h = await startHarness()
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'live' && h!.server.streamListeners() === 1)
    const { id } = await restingBuy(h, 'rp-stream')
    const replacement = h.server.replace(id, { limitPrice: '189.95' })
    await eventually(() =>
      h!.logger.records.some((r) => r.obj['orderId'] === id && r.obj['alpacaStatus'] === 'replaced'),
    )
    const o = await h.broker.getOrder(id)
    expect(o.status).toBe('new')
    setTimeout(() => h!.server.fill(replacement, '10'), 20)
    const done = await h.broker.waitForOrder(id, { timeoutMs: 2_000 })
    expect(done).toMatchObject({ id, status: 'filled' })
    expect(done.filledQty.eq(10)).toBe(true)
  })
})
