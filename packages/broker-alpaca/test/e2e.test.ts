/**
 * The "done when": an Almgren–Chriss execution from the engine, end to end through this adapter
 * (real SDK, real HTTP and WebSocket) against the fake Alpaca server. The fake server does real I/O, so
 * the engine runs on a scaled real clock (300× wall time): the default 5-minute, 5-slice schedule takes
 * about a second.
 */
import { Dec, createAcConfig, createEngine, createMemoryLogger, isOnTick, type Clock } from '@acx/engine'
import type { Decimal } from 'decimal.js'
import { afterEach, describe, expect, it } from 'vitest'
import { createAlpacaBroker, type AlpacaBroker } from '../src/index.js'
import { startFakeAlpaca, type FakeAlpacaServer } from '@acx/test-utils'

/** Engine time runs `scale` times faster than the wall clock. */
function createScaledClock(scale: number): Clock {
  const realStart = Date.now()
  const start = Date.UTC(2026, 0, 5, 14, 30, 0)
  return {
    now: () => start + (Date.now() - realStart) * scale,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve()
        const timer = setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          },
          Math.max(0, ms / scale),
        )
        const onAbort = (): void => {
          clearTimeout(timer)
          resolve()
        }
        signal?.addEventListener('abort', onAbort, { once: true })
      }),
  }
}

interface Posted {
  readonly client_order_id: string
  readonly qty: string
  readonly type: string
  readonly side: string
  readonly limit_price?: string
}

let server: FakeAlpacaServer | undefined
let broker: AlpacaBroker | undefined
afterEach(async () => {
  await broker?.close()
  await server?.close()
  server = broker = undefined
})

async function run(
  intent: { side: 'BUY' | 'SELL'; quantity: string; urgency: 'MEDIUM' | 'LOW'; correlationId: string },
  setup: (s: FakeAlpacaServer) => void = () => {},
) {
  const clock = createScaledClock(300)
  server = await startFakeAlpaca({
    now: clock.now,
    assets: { AAPL: { tradable: true, fractionable: false } },
    quotes: { AAPL: { bid: '190.00', ask: '190.04', bidSize: '300', askSize: '400' } },
    positions: { AAPL: '5000' },
    buyingPower: '10000000',
  })
  // Resting limits fill 40% at once; a quarter of what is left fills between the cancel request and its
  // confirmation; cancels are confirmed only on the second poll.
  server.knobs.restingFillRatio = 0.4
  server.knobs.fillOnCancelRatio = 0.25
  server.knobs.pendingCancelPolls = 2
  setup(server)
  broker = createAlpacaBroker({
    keyId: server.keyId,
    secretKey: server.secretKey,
    tradingBaseUrl: server.tradingBaseUrl,
    dataBaseUrl: server.dataBaseUrl,
    streamUrl: server.streamUrl,
    timeoutMs: 2_000,
    maxRequestsPerMinute: 100_000,
    burst: 1_000,
  })
  const logger = createMemoryLogger()
  const engine = createEngine({ broker, clock, config: createAcConfig(), logger })
  const result = await engine.execute({ ...intent, symbol: 'AAPL' })
  return { result, server, logger }
}

const sum = (xs: readonly Decimal[]): Decimal => xs.reduce((a, b) => a.add(b), new Dec(0))

describe('an Almgren–Chriss execution end to end through the adapter and the fake Alpaca', () => {
  it('sends the right child orders, on the tick, cancels confirmed, fill totals exact', async () => {
    const {
      result,
      server: s,
      logger,
    } = await run({ side: 'BUY', quantity: '1000', urgency: 'MEDIUM', correlationId: 'e2e-ac-1' })

    expect(result.executionStrategy).toBe('almgren_chriss')
    expect(result.error).toBeUndefined()
    expect(result.success).toBe(true)
    expect(result.totalFilled.eq(1000)).toBe(true)
    expect(result.fillPercentage).toBe(100)

    const posts = s.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders')
    const bodies = posts.map((r) => r.body as Posted)
    // Child orders: unique deterministic client order ids, day orders, decimal strings, whole shares.
    const ids = bodies.map((b) => b.client_order_id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const b of bodies) {
      expect(b.client_order_id).toMatch(/^e2e-ac-1-s\d+-a\d+$/)
      expect(b.side).toBe('buy')
      expect(typeof b.qty).toBe('string')
      expect(new Dec(b.qty).isInteger()).toBe(true)
    }
    const limits = bodies.filter((b) => b.type === 'limit')
    expect(limits.length).toBeGreaterThanOrEqual(2)
    for (const b of limits) {
      const px = new Dec(b.limit_price as string)
      expect(isOnTick(px)).toBe(true)
      expect(px.gte('190.00') && px.lte('190.04')).toBe(true)
    }
    // Never more sent than the parent: each child is sized from what is left.
    expect(sum(bodies.map((b) => new Dec(b.qty))).gte(1000)).toBe(true)
    expect(s.requests.filter((r) => r.method === 'POST').every((r) => r.openOrders === 0)).toBe(true)

    // Confirmed cancels: every limit child that did not fill was cancelled, and the next order went out
    // only once it was final at Alpaca (openOrders === 0 above); all orders end final.
    const final = s.orders()
    expect(final.every((o) => ['filled', 'canceled'].includes(o['status'] as string))).toBe(true)
    expect(s.count('DELETE', '/v2/orders/')).toBe(
      final.filter((o) => o['type'] === 'limit' && o['status'] === 'canceled').length,
    )
    // Fills that raced a cancel were booked.
    expect(s.fills.some((f) => f.afterCancelRequest)).toBe(true)
    expect(
      sum(result.attempts.map((a) => a.lateFillQty)).eq(
        sum(s.fills.filter((f) => f.afterCancelRequest).map((f) => f.qty)),
      ),
    ).toBe(true)

    // Exact fill totals: the engine's totals equal the broker's fills.
    const filled = sum(s.fills.map((f) => f.qty))
    const notional = sum(s.fills.map((f) => f.qty.mul(f.price)))
    expect(filled.eq(result.totalFilled)).toBe(true)
    expect(result.avgFillPrice.sub(notional.div(filled)).abs().lt('1e-20')).toBe(true)
    expect(sum(result.attempts.map((a) => a.filledQty)).eq(result.totalFilled)).toBe(true)
    for (const a of result.attempts) {
      const o = final.find((x) => x['client_order_id'] === a.clientOrderId)
      expect(o, a.clientOrderId).toBeDefined()
      expect(new Dec(o!['filled_qty'] as string).eq(a.filledQty)).toBe(true)
    }
    expect(s.positionQty('AAPL').eq(6000)).toBe(true)
    expect(logger.records.some((r) => r.msg === 'Execution completed' && r.obj['total_filled'] === '1000')).toBe(true)
  }, 20_000)

  it('walks the book for a LOW-urgency sell, with the same guarantees', async () => {
    const { result, server: s } = await run({
      side: 'SELL',
      quantity: '300',
      urgency: 'LOW',
      correlationId: 'e2e-wtb-1',
    })
    expect(result.executionStrategy).toBe('walk_the_book')
    expect(result.success).toBe(true)
    expect(result.totalFilled.eq(300)).toBe(true)
    expect(sum(s.fills.map((f) => f.qty)).eq(300)).toBe(true)
    expect(s.requests.filter((r) => r.method === 'POST').every((r) => r.openOrders === 0)).toBe(true)
    for (const b of s.requests.filter((r) => r.method === 'POST').map((r) => r.body as Posted)) {
      if (b.type === 'limit') expect(isOnTick(new Dec(b.limit_price as string))).toBe(true)
    }
    expect(s.positionQty('AAPL').eq(4700)).toBe(true)
  }, 20_000)

  it('an order in a status Alpaca adds later does not stop the execution: the engine cancels it and carries on', async () => {
    // The first child is accepted, then parked by the venue in a status no version of the adapter knew.
    const {
      result,
      server: s,
      logger,
    } = await run({ side: 'BUY', quantity: '300', urgency: 'MEDIUM', correlationId: 'e2e-unknown-1' }, (x) =>
      x.routeNextAs('pending_review'),
    )
    expect(result.error).toBeUndefined()
    expect(result.success).toBe(true)
    expect(result.totalFilled.eq(300)).toBe(true)
    const first = s.orders().find((o) => o['client_order_id'] === result.attempts[0]?.clientOrderId)
    expect(first?.['status']).toBe('canceled') // cancelled by the engine from the unknown status
    expect(logger.records.some((r) => r.obj['broker_error'] === 'BROKER_BAD_RESPONSE')).toBe(false)
    expect(s.positionQty('AAPL').eq(5300)).toBe(true)
  }, 20_000)
})
