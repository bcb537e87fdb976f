import { describe, expect, it } from 'vitest'
import { Dec } from '../../src/domain/dec.js'
import { isEngineError } from '../../src/errors.js'
import { childOrdersFromJournal } from '../../src/ports/executionJournal.js'
import { aHarness, anIntent } from '../support/builders.js'

const sum = (xs: readonly Dec[]) => xs.reduce((a, b) => a.add(b), new Dec(0))
const illiquid = { tradeProbability: 0.1, meanTradeSize: 30, dailyVolatility: 0 }

describe('quotes', () => {
  it('fails MEDIUM and LOW with no_quote_available and sends nothing', async () => {
    for (const urgency of ['MEDIUM', 'LOW'] as const) {
      const h = aHarness({ market: { symbols: { AAPL: { price: '190', spread: '0.02', quoteFault: 'missing' } } } })
      const r = await h.engine.execute(anIntent({ urgency }))
      expect(r.success).toBe(false)
      expect(r.error?.code).toBe('no_quote_available')
      expect(h.market.orders()).toHaveLength(0)
      expect(h.journal.entries.at(-1)).toMatchObject({ type: 'execution_finished', status: 'failed' })
    }
  })

  it('refetches a stale quote and refuses it when still stale', async () => {
    const h = aHarness({ market: { symbols: { AAPL: { price: '190', spread: '0.02', quoteFault: 'stale' } } } })
    const r = await h.engine.execute(anIntent())
    expect(r.error?.code).toBe('no_quote_available')
    expect(h.market.callCounts().getQuote).toBe(2)
  })

  it('substitutes a zero bid from the ask and flags it', async () => {
    const h = aHarness({
      market: { dailyVolatility: 0, symbols: { AAPL: { price: '190', spread: '0.02', quoteFault: 'zero_bid' } } },
    })
    const r = await h.engine.execute(anIntent())
    expect(r.arrivalMid?.toString()).toBe('190.01')
    expect(r.attempts[0]?.quoteFlags).toEqual(['bid_substituted'])
    expect(h.logger.records.some((x) => x.msg === 'Quote adjusted')).toBe(true)
  })
})

describe('cancels', () => {
  it('books fills that race the cancel as late fills and keeps totals exact', async () => {
    const h = aHarness({ market: { ...illiquid, faults: { fillOnCancel: () => true } } })
    const r = await h.engine.execute(anIntent({ correlationId: 'race' }))
    const late = r.attempts.filter((a) => a.lateFillQty.gt(0))
    expect(late.length).toBeGreaterThan(0)
    const simLate = h.market.fills().filter((f) => f.afterCancelRequest)
    expect(sum(late.map((a) => a.lateFillQty)).eq(sum(simLate.map((f) => f.qty)))).toBe(true)
    expect(r.totalFilled.eq(sum(h.market.fills().map((f) => f.qty)))).toBe(true)
    expect(r.totalFilled.toString()).toBe('1000')
    expect(sum(r.attempts.map((a) => a.filledQty)).toString()).toBe('1000')
  })

  it('waits for the cancel confirmation before the next slice', async () => {
    const h = aHarness({ market: { ...illiquid, cancelLatencyMs: 4_500 } })
    const r = await h.engine.execute(anIntent())
    const limits = r.attempts.filter((a) => a.kind === 'limit')
    // each slice rests 30 s, then polls at +0, 0.1, 0.3, 0.7, 1.5, 2.5, 3.5, 4.5 s: confirmed at 4.5 s
    for (const a of limits) expect((a.completedAt - a.submittedAt) / 1000).toBe(34.5)
    const orders = h.market.orders()
    for (let i = 1; i < orders.length; i++) {
      expect(orders[i - 1]!.updatedAtMs).toBeLessThanOrEqual(orders[i]!.submittedAtMs)
    }
  })

  it('asks again when a venue drops a cancel, and never leaves the order working', async () => {
    const h = aHarness({ market: { ...illiquid, tradeProbability: 0 } })
    let dropped = 0
    const venue = {
      ...h.market,
      async cancelOrder(id: Parameters<typeof h.market.cancelOrder>[0]) {
        if (dropped++ === 0) return 'requested' as const // accepted, then lost: the order stays open
        return h.market.cancelOrder(id)
      },
    }
    const { reference } = await import('@acx/ac-core-wasm')
    const { createEngine } = await import('../../src/engine.js')
    const engine = createEngine({
      broker: venue,
      clock: h.clock,
      config: h.config,
      journal: h.journal,
      core: reference,
    })
    const r = await engine.execute(anIntent({ urgency: 'LOW' }))
    expect(dropped).toBeGreaterThan(1)
    const first = h.market.orders()[0]!
    expect(first.status).toBe('canceled')
    expect(r.error?.code).not.toBe('cancel_unconfirmed')
  })

  it('stops and sends nothing more when a cancel is never confirmed', async () => {
    const h = aHarness({ market: { ...illiquid, cancelLatencyMs: 1e9 } })
    const r = await h.engine.execute(anIntent())
    expect(r.error?.code).toBe('cancel_unconfirmed')
    expect(h.market.orders()).toHaveLength(1)
    expect(r.success).toBe(false)
  })
})

describe('broker errors', () => {
  it('skips a rejected slice and re-plans the remainder', async () => {
    const h = aHarness({
      market: {
        dailyVolatility: 0,
        faults: { script: (c) => (c.method === 'submitOrder' && c.n === 2 ? 'reject' : undefined) },
      },
    })
    const r = await h.engine.execute(anIntent({ correlationId: 'rej' }))
    expect(r.attempts[1]).toMatchObject({ clientOrderId: 'rej-s1-a0', status: 'rejected' })
    expect(r.attempts[1]?.filledQty.toString()).toBe('0')
    expect(r.success).toBe(true)
    expect(r.attempts[2]?.qty.toNumber()).toBeGreaterThan(194) // slice 2 picks up part of slice 1
    expect(h.market.orders()).toHaveLength(4)
  })

  it('retries retryable errors with the same client order id and never duplicates an order', async () => {
    const h = aHarness({
      market: {
        dailyVolatility: 0,
        faults: {
          script: (c) =>
            c.method === 'submitOrder' && c.n === 1
              ? 'unavailable'
              : c.method === 'submitOrder' && c.n === 3
                ? 'lost_response'
                : c.method === 'getOrder' && c.n === 2
                  ? 'timeout'
                  : undefined,
        },
      },
    })
    const r = await h.engine.execute(anIntent({ correlationId: 'retry' }))
    expect(r.success).toBe(true)
    const ids = h.market.orders().map((o) => o.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(['retry-s0-a0', 'retry-s1-a0', 'retry-s2-a0', 'retry-s3-a0', 'retry-s4-a0'])
    expect(h.market.callCounts().getOrderByClientId).toBeGreaterThanOrEqual(2)
    expect(h.logger.records.filter((x) => x.msg === 'Retrying broker call').length).toBeGreaterThanOrEqual(3)
  })

  it('adopts an order whose submit answer was unreadable instead of sending a second one', async () => {
    const h = aHarness({
      market: {
        dailyVolatility: 0,
        faults: { script: (c) => (c.method === 'submitOrder' && c.n === 2 ? 'garbled_response' : undefined) },
      },
    })
    const r = await h.engine.execute(anIntent({ correlationId: 'garbled' }))
    expect(r.success).toBe(true)
    // slice 1's order exists at the broker although its answer was garbage: it is tracked, not re-sent
    expect(r.attempts[1]).toMatchObject({ clientOrderId: 'garbled-s1-a0' })
    expect(r.attempts[1]?.status).not.toBe('rejected')
    const ids = h.market.orders().map((o) => o.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
    const filled = h.market.fills().reduce((sum, f) => sum.add(f.qty), r.totalFilled.mul(0))
    expect(filled.eq(r.totalFilled)).toBe(true)
    expect(r.totalFilled.toString()).toBe('1000')
  })

  it('completes under a rate limit', async () => {
    const h = aHarness({ market: { ...illiquid, faults: { maxRequestsPerSecond: 1 }, latencyMs: 0 } })
    const r = await h.engine.execute(anIntent())
    expect(r.success).toBe(true)
    const ids = h.market.orders().map((o) => o.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('stops on insufficient funds with the broker code', async () => {
    const h = aHarness({
      market: { faults: { script: (c) => (c.method === 'submitOrder' ? 'insufficient_funds' : undefined) } },
    })
    const r = await h.engine.execute(anIntent())
    expect(r.error).toMatchObject({ code: 'broker_error', brokerCode: 'BROKER_INSUFFICIENT_FUNDS' })
    expect(h.market.callCounts().submitOrder).toBe(1)
  })

  it('after retries are exhausted, looks the order up until the deadline, then stops without re-planning it', async () => {
    const h = aHarness({
      market: { faults: { script: (c) => (c.method === 'submitOrder' ? 'unavailable' : undefined) } },
    })
    const r = await h.engine.execute(anIntent())
    expect(r.error).toMatchObject({ code: 'outcome_unknown', brokerCode: 'BROKER_UNAVAILABLE' })
    expect(h.market.callCounts().submitOrder).toBe(4) // 1 + BROKER_MAX_RETRIES, all with the same client order id
    // a 503 may have created the order: it stays `submitted` (never rejected), nothing else is sent
    const children = childOrdersFromJournal(h.journal.entries, r.executionId)
    expect(children.map((c) => [c.sliceIndex, c.status])).toEqual([[0, 'submitted']])
    expect(h.market.callCounts().getOrderByClientId).toBeGreaterThan(10)
    expect(r.executionTimeSeconds).toBeGreaterThanOrEqual(60) // UNKNOWN_OUTCOME_TIMEOUT_SECONDS
  })
})

describe('preflight', () => {
  it('refuses unknown, untradable and fractional-without-permission orders before sending', async () => {
    const h = aHarness()
    expect((await h.engine.execute(anIntent({ symbol: 'NOPE' }))).error?.code).toBe('asset_not_found')
    expect((await h.engine.execute(anIntent({ symbol: 'HALT' }))).error?.code).toBe('asset_not_tradable')
    expect((await h.engine.execute(anIntent({ symbol: 'FRAC', quantity: '10.5' }))).error?.code).toBe(
      'fractional_not_allowed',
    )
    expect(h.market.orders()).toHaveLength(0)
  })

  it('trades fractional quantities when the asset and the config allow it', async () => {
    const h = aHarness({ config: { fractionalTrading: true }, market: { dailyVolatility: 0 } })
    const r = await h.engine.execute(anIntent({ symbol: 'FRAC', quantity: '10.5' }))
    expect(r.success).toBe(true)
    expect(r.totalFilled.toString()).toBe('10.5')
    expect(r.attempts.some((a) => !a.qty.isInteger())).toBe(true)
  })

  it('refuses a close larger than the position', async () => {
    const h = aHarness()
    const r = await h.engine.execute(anIntent({ side: 'SELL', closeType: 'FULL', quantity: '6000' }))
    expect(r.error?.code).toBe('insufficient_position')
    const ok = await h.engine.execute(
      anIntent({ side: 'SELL', closeType: 'PARTIAL', quantity: '100', urgency: 'HIGH' }),
    )
    expect(ok.success).toBe(true)
  })

  it('throws ENGINE_INVALID_INTENT listing every issue for a bad intent', async () => {
    const h = aHarness()
    try {
      await h.engine.execute(anIntent({ quantity: '-1', symbol: '' }))
      expect.unreachable()
    } catch (e) {
      expect(isEngineError(e) && e.code).toBe('ENGINE_INVALID_INTENT')
      expect(isEngineError(e) && e.issues?.map((i) => i.path[0]).sort()).toEqual(['quantity', 'symbol'])
    }
    expect(h.market.callCounts()).toEqual({})
  })
})

describe('abort', () => {
  it('cancels the open child, confirms it and sends nothing more', async () => {
    const h = aHarness({ market: illiquid })
    const ac = new AbortController()
    const running = h.engine.execute(anIntent({ correlationId: 'stop' }), { signal: ac.signal, executionId: 'exec-9' })
    await h.clock.sleep(75_000) // inside slice 1's rest
    ac.abort()
    const r = await running
    expect(r.executionId).toBe('exec-9')
    expect(r.error?.code).toBe('aborted')
    expect(h.market.orders().map((o) => o.clientOrderId)).toEqual(['stop-s0-a0', 'stop-s1-a0'])
    expect(h.market.orders().every((o) => ['canceled', 'filled'].includes(o.status))).toBe(true)
    expect(h.journal.entries.at(-1)).toMatchObject({
      type: 'execution_finished',
      status: 'cancelled',
      executionId: 'exec-9',
    })
  })

  it("pauses on a 'pause' abort: open child confirmed cancelled, result paused, logged as paused and not completed", async () => {
    const h = aHarness({ market: illiquid })
    const ac = new AbortController()
    const running = h.engine.execute(anIntent({ correlationId: 'pause' }), { signal: ac.signal })
    await h.clock.sleep(75_000)
    ac.abort('pause')
    const r = await running
    expect(r.error?.code).toBe('paused')
    expect(h.market.orders().every((o) => ['canceled', 'filled'].includes(o.status))).toBe(true)
    expect(h.journal.entries.at(-1)).toMatchObject({ type: 'execution_finished', status: 'running' })
    const messages = h.logger.records.map((l) => l.msg)
    expect(messages).toContain('Execution paused')
    expect(messages).not.toContain('Execution completed')
  })
})

describe('odd broker answers', () => {
  it('stops with BROKER_BAD_RESPONSE when fills come without an average price', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 } })
    const { reference } = await import('@acx/ac-core-wasm')
    const { createEngine } = await import('../../src/engine.js')
    const broker = {
      ...h.market,
      getOrder: async (id: Parameters<typeof h.market.getOrder>[0]) => ({
        ...(await h.market.getOrder(id)),
        filledAvgPrice: null,
      }),
    }
    const r = await createEngine({ broker, clock: h.clock, config: h.config, core: reference }).execute(anIntent())
    expect(r.error).toMatchObject({ code: 'broker_error', brokerCode: 'BROKER_BAD_RESPONSE' })
    expect(h.market.orders()).toHaveLength(1)
  })

  it('books a child the broker rejects after accepting it as rejected and goes on', async () => {
    const h = aHarness({ market: { dailyVolatility: 0, tradeProbability: 0 } })
    const { reference } = await import('@acx/ac-core-wasm')
    const { createEngine } = await import('../../src/engine.js')
    const broker = {
      ...h.market,
      getOrder: async (id: Parameters<typeof h.market.getOrder>[0]) => {
        const o = await h.market.getOrder(id)
        return o.clientOrderId.endsWith('-s0-a0') ? { ...o, status: 'rejected' as const } : o
      },
    }
    const r = await createEngine({ broker, clock: h.clock, config: h.config, core: reference }).execute(
      anIntent({ correlationId: 'late-rej' }),
    )
    expect(r.attempts[0]).toMatchObject({ clientOrderId: 'late-rej-s0-a0', status: 'rejected' })
    expect(r.attempts.at(-1)).toMatchObject({ kind: 'market_fallback', status: 'filled' })
    expect(r.success).toBe(true)
  })
})

describe('journal', () => {
  it('never sends a child order whose journal entry failed, and throws ENGINE_JOURNAL_FAILED', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 } })
    const { reference } = await import('@acx/ac-core-wasm')
    const { createEngine } = await import('../../src/engine.js')
    let children = 0
    const journal = {
      append: (e: { type: string }) => {
        if (e.type === 'child_order_created' && ++children === 2) throw new Error('disk full')
      },
    }
    const engine = createEngine({ broker: h.market, clock: h.clock, config: h.config, journal, core: reference })
    await expect(engine.execute(anIntent({ correlationId: 'jf' }))).rejects.toMatchObject({
      code: 'ENGINE_JOURNAL_FAILED',
      cause: expect.objectContaining({ message: 'disk full' }),
    })
    expect(h.market.orders().map((o) => o.clientOrderId)).toEqual(['jf-s0-a0'])
  })
})
