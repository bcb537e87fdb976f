import { afterEach, describe, expect, it } from 'vitest'
import { FAKE_SECRET_KEY } from '@acx/test-utils'
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
