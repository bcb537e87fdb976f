import { describe, expect, it } from 'vitest'
import { Dec } from '../../src/domain/dec.js'
import type { ClientOrderId } from '../../src/domain/ids.js'
import { isOnTick } from '../../src/domain/tick.js'
import { isBrokerError, type SubmitOrderRequest } from '../../src/ports/broker.js'
import { createVirtualClock } from '../../src/ports/clock.js'
import { createSimulatedMarket, type SimulatedMarketOptions } from '../../src/sim/simulatedMarket.js'

const cid = (s: string) => s as ClientOrderId
const setup = (opts: Partial<Omit<SimulatedMarketOptions, 'clock'>> = {}) => {
  const clock = createVirtualClock({ startMs: 0 })
  const market = createSimulatedMarket({
    seed: 1,
    symbols: {
      AAPL: { price: '190', spread: '0.02' },
      PENNY: { price: '0.5123', spread: '0.0004' },
      WHOLE: { price: '20', spread: '0.01', fractionable: false },
    },
    ...opts,
    clock,
  })
  return { clock, market }
}
const buy = (over: Partial<SubmitOrderRequest> = {}): SubmitOrderRequest => ({
  clientOrderId: cid('o1'),
  symbol: 'AAPL',
  side: 'BUY',
  qty: new Dec(100),
  type: 'limit',
  limitPrice: new Dec('190.00'),
  timeInForce: 'day',
  ...over,
})
const caught = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}

describe('createSimulatedMarket', () => {
  it('is deterministic by seed', async () => {
    const path = async (seed: number) => {
      const { clock, market } = setup({ seed })
      const mids: string[] = []
      for (let i = 0; i < 5; i++) {
        await clock.advance(60_000)
        mids.push(market.mid('AAPL').toString())
      }
      return mids
    }
    expect(await path(3)).toEqual(await path(3))
    expect(await path(3)).not.toEqual(await path(4))
  })

  it('moves the mid with the given daily volatility', async () => {
    const { clock, market } = setup({ dailyVolatility: 0.03 })
    const returns: number[] = []
    let prev = market.mid('AAPL').toNumber()
    for (let i = 0; i < 4000; i++) {
      await clock.advance(60_000)
      const mid = market.mid('AAPL').toNumber()
      returns.push(Math.log(mid / prev))
      prev = mid
    }
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length
    const sd = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (returns.length - 1))
    const expected = 0.03 * Math.sqrt(60 / 23_400) // per-minute σ
    expect(sd / expected).toBeGreaterThan(0.95)
    expect(sd / expected).toBeLessThan(1.05)
  })

  it('quotes a constant spread on the tick with a fresh timestamp', async () => {
    const { clock, market } = setup()
    await clock.advance(12_345)
    const q = await market.getQuote('AAPL')
    expect(q).not.toBeNull()
    expect(q!.ask.sub(q!.bid).toString()).toBe('0.02')
    expect(isOnTick(q!.bid) && isOnTick(q!.ask)).toBe(true)
    expect(clock.now() - q!.timestampMs).toBeLessThan(1000)
    const p = await market.getQuote('PENNY')
    expect(p!.bid.decimalPlaces()).toBeLessThanOrEqual(4)
    expect(p!.ask.sub(p!.bid).toString()).toBe('0.0004')
  })

  it('fills a market order at the far touch plus temporary impact, rounded against us', async () => {
    const { market } = setup({ temporaryImpactPerShare: 1e-6 })
    const q = await market.getQuote('AAPL')
    const o = await market.submitOrder(buy({ type: 'market', limitPrice: undefined, qty: new Dec(1000) }))
    expect(o.status).toBe('filled')
    // 190.01 × (1 + 0.001) = 190.20001 → up to the cent
    expect(q!.ask.toString()).toBe('190.01')
    expect(o.filledAvgPrice!.toString()).toBe('190.21')
  })

  it('fills a marketable limit at once at the touch', async () => {
    const { market } = setup()
    const o = await market.submitOrder(buy({ limitPrice: new Dec('190.05') }))
    expect(o.status).toBe('filled')
    expect(o.filledAvgPrice!.toString()).toBe('190.01')
  })

  it('fills a resting limit partially as sellers trade into it', async () => {
    const { clock, market } = setup({ meanTradeSize: 50, dailyVolatility: 0 })
    const o = await market.submitOrder(buy({ qty: new Dec(5000), limitPrice: new Dec('190.00') }))
    expect(o.status).toBe('new')
    await clock.advance(20_000)
    const later = await market.getOrder(o.id)
    expect(later.filledQty.gt(0)).toBe(true)
    expect(later.filledQty.lt(5000)).toBe(true)
    expect(later.status).toBe('partially_filled')
    expect(later.filledAvgPrice!.toString()).toBe('190')
    const fills = market.fills()
    expect(fills.length).toBeGreaterThan(1)
    expect(fills.reduce((s, f) => s.add(f.qty), new Dec(0)).eq(later.filledQty)).toBe(true)
  })

  it('leaves a limit far from the market unfilled', async () => {
    const { clock, market } = setup()
    const o = await market.submitOrder(buy({ limitPrice: new Dec('150.00') }))
    await clock.advance(60_000)
    expect((await market.getOrder(o.id)).filledQty.toString()).toBe('0')
  })

  it('moves a cancelled order through pending_cancel to canceled', async () => {
    const { clock, market } = setup({ cancelLatencyMs: 500 })
    const o = await market.submitOrder(buy({ limitPrice: new Dec('150.00') }))
    expect(await market.cancelOrder(o.id)).toBe('requested')
    expect((await market.getOrder(o.id)).status).toBe('pending_cancel')
    expect(await market.cancelOrder(o.id)).toBe('requested')
    await clock.advance(500)
    expect((await market.getOrder(o.id)).status).toBe('canceled')
    expect(await market.cancelOrder(o.id)).toBe('already_final')
    expect(isBrokerError(await caught(market.cancelOrder('sim-nope' as typeof o.id)))).toBe(true)
  })

  it('tells subscribers of each change to an order, once it is saved, until they unsubscribe', async () => {
    const { clock, market } = setup({ cancelLatencyMs: 500 })
    const seen: string[] = []
    const stop = market.subscribeOrderUpdates!((o) => seen.push(`${o.clientOrderId}:${o.status}`))
    const o = await market.submitOrder(buy({ limitPrice: new Dec('150.00') }))
    await market.cancelOrder(o.id)
    await clock.advance(500)
    await market.getOrder(o.id)
    expect(seen).toEqual([`${o.clientOrderId}:new`, `${o.clientOrderId}:pending_cancel`, `${o.clientOrderId}:canceled`])
    stop()
    await market.submitOrder(buy({ clientOrderId: 'c-after' as typeof o.clientOrderId, limitPrice: new Dec('150.00') }))
    expect(seen).toHaveLength(3)
  })

  it('can make a fill race the cancel', async () => {
    const { clock, market } = setup({ faults: { fillOnCancel: () => true } })
    const o = await market.submitOrder(buy({ limitPrice: new Dec('150.00') }))
    await market.cancelOrder(o.id)
    await clock.advance(1000)
    const done = await market.getOrder(o.id)
    expect(['canceled', 'filled']).toContain(done.status)
    expect(done.filledQty.gt(0)).toBe(true)
    expect(market.fills().every((f) => f.afterCancelRequest)).toBe(true)
  })

  it('is idempotent on the client order id', async () => {
    const { market } = setup()
    const a = await market.submitOrder(buy({ limitPrice: new Dec('150.00') }))
    const b = await market.submitOrder(buy({ limitPrice: new Dec('150.00') }))
    expect(b.id).toBe(a.id)
    expect(market.orders()).toHaveLength(1)
    expect((await market.getOrderByClientId(cid('o1')))?.id).toBe(a.id)
    expect(await market.getOrderByClientId(cid('nope'))).toBeNull()
  })

  it('rejects off-tick prices and fractional quantities of whole-share assets', async () => {
    const { market } = setup()
    expect(await caught(market.submitOrder(buy({ limitPrice: new Dec('190.005') })))).toMatchObject({
      code: 'BROKER_REJECTED',
      retryable: false,
    })
    expect(
      await caught(
        market.submitOrder(
          buy({ clientOrderId: cid('w'), symbol: 'WHOLE', qty: new Dec('1.5'), limitPrice: new Dec('19.00') }),
        ),
      ),
    ).toMatchObject({
      code: 'BROKER_REJECTED',
    })
    expect(market.orders()).toHaveLength(0)
  })

  it('rate-limits with a retry-after', async () => {
    const { market } = setup({ faults: { maxRequestsPerSecond: 2 } })
    await market.getQuote('AAPL')
    await market.getQuote('AAPL')
    const e = await caught(market.getQuote('AAPL'))
    expect(e).toMatchObject({ code: 'BROKER_RATE_LIMITED', retryable: true, retryAfterMs: 500 })
  })

  it('can lose a submit response after creating the order', async () => {
    const { market } = setup({
      faults: { script: (c) => (c.method === 'submitOrder' && c.n === 1 ? 'lost_response' : undefined) },
    })
    expect(await caught(market.submitOrder(buy()))).toMatchObject({ code: 'BROKER_TIMEOUT', retryable: true })
    expect(await market.getOrderByClientId(cid('o1'))).not.toBeNull()
  })

  it('spends latency on the clock', async () => {
    const { clock, market } = setup({ latencyMs: 250 })
    await market.getQuote('AAPL')
    expect(clock.now()).toBe(250)
  })

  it('moves the mid by the permanent impact and tracks the position', async () => {
    const { market } = setup({ permanentImpactPerShare: 1e-6 })
    const before = market.mid('AAPL')
    await market.submitOrder(buy({ type: 'market', limitPrice: undefined, qty: new Dec(1000) }))
    expect(market.mid('AAPL').div(before).toNumber()).toBeCloseTo(1.001, 9)
    expect((await market.getPosition('AAPL'))?.qty.toString()).toBe('1000')
    expect(await market.getPosition('PENNY')).toBeNull()
  })

  it('reports unknown assets as BROKER_NOT_FOUND', async () => {
    const { market } = setup()
    expect(await caught(market.getAsset('NOPE'))).toMatchObject({ code: 'BROKER_NOT_FOUND' })
    expect(await market.getQuote('NOPE')).toBeNull()
  })
})

describe('createSimulatedMarket options', () => {
  const clock = createVirtualClock({ startMs: 0 })
  const symbols = { AAPL: { price: '190', spread: '0.02' } }
  it.each([
    ['a NaN volatility', { dailyVolatility: Number.NaN }, 'dailyVolatility'],
    ['an infinite step', { stepMs: Number.POSITIVE_INFINITY }, 'stepMs'],
    ['a zero step', { stepMs: 0 }, 'stepMs'],
    ['a negative trade size', { meanTradeSize: -1 }, 'meanTradeSize'],
    ['a probability above 1', { tradeProbability: 1.5 }, 'tradeProbability'],
    ['a fractional seed', { seed: 1.5 }, 'seed'],
    ['a zero rate limit', { faults: { maxRequestsPerSecond: 0 } }, 'faults.maxRequestsPerSecond'],
    ['a zero price', { symbols: { X: { price: '0', spread: '0.01' } } }, 'symbols.X.price'],
    ['an off-tick spread', { symbols: { X: { price: '10', spread: '0.015' } } }, 'symbols.X.spread'],
    ['a non-numeric price', { symbols: { X: { price: 'abc', spread: '0.01' } } }, 'symbols.X.price'],
  ])('rejects %s', (_name, over, field) => {
    expect(() => createSimulatedMarket({ clock, seed: 1, symbols, ...over } as SimulatedMarketOptions)).toThrowError(
      expect.objectContaining({ code: 'ENGINE_INVALID_ARGUMENT', message: expect.stringContaining(field) }),
    )
  })

  it('rejects a non-finite virtual clock start', () => {
    expect(() => createVirtualClock({ startMs: Number.NaN })).toThrowError(
      expect.objectContaining({ code: 'ENGINE_INVALID_ARGUMENT' }),
    )
  })
})
