import { BROKER_TERMINAL_STATUSES, isBrokerError, type BrokerOrderId } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually, restingBuy, startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const isFinal = (s: string): boolean => BROKER_TERMINAL_STATUSES.has(s as never)

describe('an unknown status does not blind the engine', () => {
  it('an order in a status Alpaca adds later reads as open, is logged once by name, and can still be cancelled', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'st-unknown')
    h.server.setStatus(id, 'pending_review')
    const a = await h.broker.getOrder(id)
    const b = await h.broker.getOrder(id)
    expect(a.status).toBe('accepted')
    expect(b.status).toBe('accepted')
    const warnings = h.logger.records.filter((r) => r.level === 'warn' && r.obj['alpacaStatus'] === 'pending_review')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.msg).toContain('"pending_review"')
    const done = await h.broker.cancelAndConfirm(id, { timeoutMs: 2_000 })
    expect(done.status).toBe('canceled')
  })

  it('an unknown status on the trade-update stream is read, not dropped', async () => {
    h = await startHarness()
    await eventually(() => h!.server.streamListeners() === 1)
    const { id } = await restingBuy(h, 'st-unknown-stream')
    h.server.setStatus(id, 'pending_review')
    await eventually(() =>
      h!.logger.records.some((r) => r.msg === 'Alpaca trade update' && r.obj['alpacaStatus'] === 'pending_review'),
    )
    expect(h.logger.records.some((r) => r.msg?.includes('unreadable'))).toBe(false)
  })

  it('done_for_day is not final: the order keeps its fills and stays cancelable; expired at the close is final', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'st-dfd')
    h.server.fill(id, '3')
    h.server.endOfDay('done_for_day')
    const dfd = await h.broker.getOrder(id)
    expect(dfd.status).toBe('partially_filled')
    expect(isFinal(dfd.status)).toBe(false)
    expect(dfd.filledQty.eq(3)).toBe(true)
    h.server.endOfDay('expired')
    const expired = await h.broker.getOrder(id)
    expect(expired.status).toBe('expired')
    expect(expired.filledQty.eq(3)).toBe(true)
  })

  it('a done_for_day order can be cancelled', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    const { id } = await restingBuy(h, 'st-dfd-cancel')
    h.server.endOfDay('done_for_day')
    expect((await h.broker.cancelAndConfirm(id, { timeoutMs: 2_000 })).status).toBe('canceled')
  })

  it('held is open and cancelable', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    h.server.routeNextAs('held')
    const { id } = await restingBuy(h, 'st-held')
    const held = await h.broker.getOrder(id)
    expect(h.server.order(id)?.['status']).toBe('held')
    expect(held.status).toBe('accepted')
    expect((await h.broker.cancelAndConfirm(id, { timeoutMs: 2_000 })).status).toBe('canceled')
  })

  it('a submit answered 200 and then rejected by the venue: the submit returns the open order; a later read shows it rejected', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    h.server.routeNextAs('rejected')
    const sent = await restingBuy(h, 'st-rejected-after-200')
    expect(sent.status).toBe('accepted')
    const done = await h.broker.waitForOrder(sent.id, { timeoutMs: 2_000 })
    expect(done.status).toBe('rejected')
    expect(done.filledQty.isZero()).toBe(true)
  })

  it('a pending_cancel that lasts is not final: waiting times out (retryable) until Alpaca confirms', async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
    h.server.knobs.pendingCancelPolls = Number.POSITIVE_INFINITY
    const { id } = await restingBuy(h, 'st-pending-cancel')
    await h.broker.cancelOrder(id)
    const err = await h.broker.waitForOrder(id, { timeoutMs: 60 }).catch((e: unknown) => e)
    expect(isBrokerError(err) && err.code === 'BROKER_TIMEOUT' && err.retryable).toBe(true)
    expect((await h.broker.getOrder(id)).status).toBe('pending_cancel')
    h.server.confirmCancel(id)
    expect((await h.broker.waitForOrder(id as BrokerOrderId, { timeoutMs: 2_000 })).status).toBe('canceled')
  })
})
