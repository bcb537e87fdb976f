import { createVirtualClock, noopLogger, type BrokerOrder } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { FAKE_SECRET_KEY, readAlpacaFixture } from '@acx/test-utils'
import { resolveAlpacaConfig } from '../src/config.js'
import { parseOrderView, type AlpacaOrderView } from '../src/parse.js'
import { createOrderTracker } from '../src/stream.js'
import { eventually, restingBuy, startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('trade-update stream', () => {
  it('authenticates, listens to trade_updates and goes live', async () => {
    h = await startHarness()
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'live' && h!.server.streamListeners() === 1)
  })

  it('a fill on the stream wakes a waiter long before its next poll', async () => {
    h = await startHarness({ broker: { pollIntervalMs: 10_000 } })
    await eventually(() => h!.server.streamListeners() === 1)
    const o = await restingBuy(h, 'st-wake')
    const t0 = Date.now()
    const waiting = h.broker.waitForOrder(o.id, { timeoutMs: 20_000 })
    setTimeout(() => h!.server.fill(o.id, '10'), 30)
    const done = await waiting
    expect(done.status).toBe('filled')
    expect(Date.now() - t0).toBeLessThan(2_000)
  })

  it('serves a final state seen on the stream without another REST read', async () => {
    h = await startHarness()
    await eventually(() => h!.server.streamListeners() === 1)
    const o = await restingBuy(h, 'st-cache')
    h.server.fill(o.id, '10')
    await eventually(() => h!.logger.records.some((r) => r.obj['event'] === 'fill'))
    const before = h.server.count('GET', '/v2/orders/')
    const got = await h.broker.getOrder(o.id)
    expect(got.status).toBe('filled')
    expect(h.server.count('GET', '/v2/orders/')).toBe(before)
  })

  it('falls back to polling when the stream sends nothing', async () => {
    h = await startHarness({ broker: { pollIntervalMs: 20 } })
    h.server.knobs.streamUpdates = false
    const o = await restingBuy(h, 'st-poll')
    setTimeout(() => h!.server.fill(o.id, '10'), 30)
    expect((await h.broker.waitForOrder(o.id, { timeoutMs: 5_000 })).status).toBe('filled')
  })

  it('works with the stream switched off', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    expect(h.broker.tradeUpdatesStatus()).toBe('disabled')
    const o = await restingBuy(h, 'st-off')
    h.server.fill(o.id, '4')
    const got = await h.broker.getOrder(o.id)
    expect(got.status).toBe('partially_filled')
    expect(h.server.streamConnections()).toBe(0)
  })

  it('reconnects with backoff after the connection drops, and listens again', async () => {
    h = await startHarness()
    await eventually(() => h!.server.streamListeners() === 1)
    h.server.dropStreamConnections()
    await eventually(() => h!.server.streamConnections() >= 2 && h!.server.streamListeners() === 1, 5_000)
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'live')
    expect(h.logger.records.some((r) => r.msg === 'Alpaca trade-update stream reconnecting')).toBe(true)
    const o = await restingBuy(h, 'st-after-reconnect')
    h.server.fill(o.id, '10')
    await eventually(() => h!.logger.records.some((r) => r.obj['orderId'] === o.id && r.obj['event'] === 'fill'))
  })

  it('stops (polling only) when the stream refuses the credentials, without logging them', async () => {
    h = await startHarness({ broker: { secretKey: 'not-the-secret' } })
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'auth_failed')
    expect(h.logger.records.some((r) => r.level === 'error' && r.msg?.includes('refused the credentials'))).toBe(true)
    const text = JSON.stringify(h.logger.records)
    expect(text).not.toContain('not-the-secret')
    expect(text).not.toContain(FAKE_SECRET_KEY)
  })

  it('stops reconnecting when a reconnect is refused (credentials revoked)', async () => {
    h = await startHarness()
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'live')
    h.server.knobs.rejectAuth = true
    h.server.dropStreamConnections()
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'auth_failed', 5_000)
    const connections = h.server.streamConnections()
    await new Promise((r) => setTimeout(r, 150))
    expect(h.server.streamConnections()).toBe(connections)
  })

  it('close() ends the stream', async () => {
    h = await startHarness()
    await eventually(() => h!.server.streamListeners() === 1)
    await h.broker.close()
    expect(h.broker.tradeUpdatesStatus()).toBe('closed')
    await eventually(() => h!.server.streamListeners() === 0)
  })
})

describe('order-update subscriptions', () => {
  const statusesOf = (seen: readonly BrokerOrder[], id: string): string[] =>
    seen.filter((o) => o.id === id).map((o) => o.status)

  it('tells a subscriber of each change on the stream, up to the fill', async () => {
    h = await startHarness({ broker: { pollIntervalMs: 10_000 } })
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'live' && h!.server.streamListeners() === 1)
    const seen: BrokerOrder[] = []
    h.broker.subscribeOrderUpdates((o) => seen.push(o))
    const o = await restingBuy(h, 'sub-stream')
    h.server.fill(o.id, '4')
    h.server.fill(o.id, '6')
    await eventually(() => statusesOf(seen, o.id).includes('filled'))
    expect(statusesOf(seen, o.id)).toEqual(['accepted', 'new', 'partially_filled', 'filled'])
    const filled = seen.at(-1)!
    expect(filled).toMatchObject({ clientOrderId: 'sub-stream', symbol: 'AAPL', side: 'BUY' })
    expect(filled.filledQty.eq(10)).toBe(true)
    expect(h.server.count('GET', '/v2/orders/')).toBe(0) // the stream alone
  })

  it('with the stream off, a read that finds a change tells the subscribers (the polling fallback); a read that finds none does not', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const seen: BrokerOrder[] = []
    h.broker.subscribeOrderUpdates((o) => seen.push(o))
    const o = await restingBuy(h, 'sub-poll')
    expect(statusesOf(seen, o.id)).toEqual(['accepted']) // the submit's own answer
    expect((await h.broker.getOrder(o.id)).status).toBe('new')
    h.server.fill(o.id, '10')
    const done = await h.broker.waitForOrder(o.id, { timeoutMs: 5_000 })
    expect(done.status).toBe('filled')
    expect(statusesOf(seen, o.id)).toEqual(['accepted', 'new', 'filled'])
    const told = seen.length
    await h.broker.getOrder(o.id)
    await h.broker.getOrderByClientId(o.clientOrderId)
    expect(seen).toHaveLength(told)
  })

  it('unsubscribing stops the calls; other subscribers go on', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const a: BrokerOrder[] = []
    const b: BrokerOrder[] = []
    const stopA = h.broker.subscribeOrderUpdates((o) => a.push(o))
    h.broker.subscribeOrderUpdates((o) => b.push(o))
    const first = await restingBuy(h, 'sub-stop-1')
    stopA()
    stopA()
    const second = await restingBuy(h, 'sub-stop-2')
    expect(a.map((o) => o.id)).toEqual([first.id])
    expect(b.map((o) => o.id)).toEqual([first.id, second.id])
  })

  it('a listener that throws is logged and does not stop the others, the stream or the call that learned of the change', async () => {
    h = await startHarness()
    await eventually(() => h!.broker.tradeUpdatesStatus() === 'live' && h!.server.streamListeners() === 1)
    const seen: BrokerOrder[] = []
    h.broker.subscribeOrderUpdates(() => {
      throw new Error('listener bug')
    })
    h.broker.subscribeOrderUpdates((o) => seen.push(o))
    const o = await restingBuy(h, 'sub-throws')
    h.server.fill(o.id, '10')
    await eventually(() => statusesOf(seen, o.id).includes('filled'))
    expect(
      h.logger.records.some((r) => r.level === 'warn' && r.msg === 'An order-update listener threw; ignored'),
    ).toBe(true)
    expect(h.broker.tradeUpdatesStatus()).toBe('live')
  })

  it('close() ends every subscription', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const seen: BrokerOrder[] = []
    h.broker.subscribeOrderUpdates((o) => seen.push(o))
    await h.broker.close()
    await restingBuy(h, 'sub-closed')
    expect(seen).toEqual([])
  })
})

describe('the order tracker', () => {
  const order = readAlpacaFixture<{ payload: Record<string, unknown> }>('order').payload
  const at = (status: string, filledQty = '0', updatedAt = '2026-01-05T15:00:00.123456Z'): AlpacaOrderView =>
    parseOrderView({
      ...order,
      status,
      filled_qty: filledQty,
      filled_avg_price: filledQty === '0' ? null : '190',
      updated_at: updatedAt,
    })
  const tracker = (onChange: (v: AlpacaOrderView) => void) =>
    createOrderTracker(
      resolveAlpacaConfig({ keyId: 'k', secretKey: 's', tradeUpdates: false }),
      createVirtualClock(),
      noopLogger,
      { onChange },
    )

  it('never moves an order back to an earlier stage read in the same millisecond (the POST answer after the stream’s new)', () => {
    const changes: string[] = []
    const t = tracker((v) => changes.push(v.alpacaStatus))
    t.remember(at('new'))
    expect(t.remember(at('accepted')).alpacaStatus).toBe('new')
    t.remember(at('replaced'))
    expect(t.remember(at('new')).alpacaStatus).toBe('replaced')
    expect(changes).toEqual(['new', 'replaced'])
  })

  it('takes a later time, or more filled, over the stage; never leaves a final state; tells each change once', () => {
    const changes: string[] = []
    const t = tracker((v) => changes.push(`${v.alpacaStatus}:${v.order.filledQty.toFixed()}`))
    t.remember(at('new', '0', '2026-01-05T15:00:00.100Z'))
    t.remember(at('new', '0', '2026-01-05T15:00:00.100Z')) // the same state again: nothing to tell
    t.remember(at('done_for_day', '0', '2026-01-05T21:00:00Z'))
    t.remember(at('partially_filled', '3', '2026-01-05T15:00:00.050Z')) // more filled wins, whatever its time
    t.remember(at('canceled', '3', '2026-01-05T21:00:01Z'))
    expect(t.remember(at('pending_cancel', '3', '2026-01-05T22:00:00Z')).alpacaStatus).toBe('canceled')
    expect(changes).toEqual(['new:0', 'done_for_day:0', 'partially_filled:3', 'canceled:3'])
  })
})
