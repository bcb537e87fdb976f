import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { createAcConfig } from '../../src/config/createAcConfig.js'
import { Dec } from '../../src/domain/dec.js'
import type { ClientOrderId } from '../../src/domain/ids.js'
import { createEngine } from '../../src/engine.js'
import { isBrokerError, type BrokerOrder, type SubmitOrderRequest } from '../../src/ports/broker.js'
import { createVirtualClock, type VirtualClock } from '../../src/ports/clock.js'
import { childOrdersFromJournal, createInMemoryJournal } from '../../src/ports/executionJournal.js'
import { createPrng } from '../../src/sim/prng.js'
import {
  createSimulatedMarket,
  type SimulatedMarket,
  type SimulatedMarketOptions,
} from '../../src/sim/simulatedMarket.js'
import {
  createInMemorySimulatedVenueStore,
  type InMemorySimulatedVenueStore,
  type SimulatedVenueStore,
} from '../../src/sim/simulatedVenueStore.js'
import { crashingBroker } from '../support/crashingBroker.js'

const cid = (s: string) => s as ClientOrderId
const sum = (xs: readonly Dec[]) => xs.reduce((a, b) => a.add(b), new Dec(0))
const symbols = { AAPL: { price: '190', spread: '0.02' }, MSFT: { price: '410', spread: '0.04' } }
const open = (
  clock: VirtualClock,
  store: SimulatedVenueStore | undefined,
  opts: Partial<Omit<SimulatedMarketOptions, 'clock' | 'store'>> = {},
): SimulatedMarket =>
  createSimulatedMarket({
    clock,
    seed: 1,
    symbols,
    dailyVolatility: 0,
    meanTradeSize: 40,
    ...opts,
    ...(store ? { store } : {}),
  })
const limit = (id: string, price: string, over: Partial<SubmitOrderRequest> = {}): SubmitOrderRequest => ({
  clientOrderId: cid(id),
  symbol: 'AAPL',
  side: 'BUY',
  qty: new Dec(1000),
  type: 'limit',
  limitPrice: new Dec(price),
  timeInForce: 'day',
  ...over,
})
const market = (id: string, qty = 10, over: Partial<SubmitOrderRequest> = {}): SubmitOrderRequest => ({
  clientOrderId: cid(id),
  symbol: 'AAPL',
  side: 'BUY',
  qty: new Dec(qty),
  type: 'market',
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

/** A store that fails every save while `failing` is set, and otherwise passes through. */
const flaky = (inner: SimulatedVenueStore) => {
  const s = {
    failing: false,
    load: () => inner.load(),
    save: (c: Parameters<SimulatedVenueStore['save']>[0]) => {
      if (s.failing) throw new Error('disk full')
      inner.save(c)
    },
  }
  return s
}

/** The order as the store holds it (what a restarted venue would know), or undefined. */
const stored = (store: InMemorySimulatedVenueStore, id: string) => store.load()?.orders.find((o) => o.id === id)

describe('order ids', () => {
  it('continue from the stored counter in a venue restarted on the same store', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    const a = open(clock, store)
    const first = [
      await a.submitOrder(market('a1')),
      await a.submitOrder(market('a2')),
      await a.submitOrder(limit('a3', '150.00')),
    ]
    const b = open(clock, store)
    const second = [await b.submitOrder(market('b1')), await b.submitOrder(market('b2'))]
    const ids = [...first, ...second].map((o) => o.id)
    expect(new Set(ids).size).toBe(5)
    const prefix = ids[0]!.replace(/-1$/, '')
    expect(ids).toEqual([1, 2, 3, 4, 5].map((n) => `${prefix}-${n}`))
    expect(store.load()?.meta).toMatchObject({ lastOrderNo: 5, generation: 1 })
  })

  it('never repeat across venues without a store, even with the same seed', async () => {
    const ids = async () => {
      const m = open(createVirtualClock(), undefined)
      return [(await m.submitOrder(market('x1'))).id, (await m.submitOrder(market('x2'))).id]
    }
    const [a, b] = [await ids(), await ids()]
    expect(new Set([...a, ...b]).size).toBe(4)
    expect(a[0]).toMatch(/^sim-[0-9a-f]{8}-1$/)
  })

  it('carry the instance id given, or the one the store saved', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    expect((await open(clock, store, { instanceId: 'venueA' }).submitOrder(market('i1'))).id).toBe('sim-venueA-1')
    expect((await open(clock, store, { instanceId: 'other' }).submitOrder(market('i2'))).id).toBe('sim-venueA-2')
  })
})

describe('a venue restarted on its store', () => {
  it('restores open orders with their fills, finished orders, positions and the mid, and trades on', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    const a = open(clock, store)
    await a.submitOrder(market('m1', 500))
    const resting = await a.submitOrder(limit('r1', '190.00', { qty: new Dec(5000) }))
    const far = await a.submitOrder(limit('r2', '150.00'))
    await clock.advance(20_000)
    const before = await a.getOrder(resting.id)
    expect(before.status).toBe('partially_filled')
    await a.cancelOrder(far.id) // pending_cancel for 200 ms: restored pending
    const position = await a.getPosition('AAPL')
    const mid = a.mid('AAPL')
    const fills = a.fills()

    const b = open(clock, store)
    expect(await b.getOrder(resting.id)).toEqual(before)
    expect(await b.getPosition('AAPL')).toEqual(position)
    expect(b.mid('AAPL').toString()).toBe(mid.toString())
    expect(b.fills()).toEqual(fills)
    expect(b.orders().map((o) => o.clientOrderId)).toEqual(['m1', 'r1', 'r2'])
    // it trades on: the pending cancel is confirmed, the resting order keeps filling and can be cancelled
    await clock.advance(200)
    expect((await b.getOrder(far.id)).status).toBe('canceled')
    await clock.advance(30_000)
    const later = await b.getOrder(resting.id)
    expect(later.filledQty.gt(before.filledQty)).toBe(true)
    await b.cancelOrder(resting.id)
    await clock.advance(200)
    const done = await b.getOrder(resting.id)
    expect(done.status).toBe('canceled')
    const restingFills = b.fills().filter((f) => f.orderId === resting.id)
    expect(sum(restingFills.map((f) => f.qty)).eq(done.filledQty)).toBe(true)
    // the position is the sum of every fill, across both processes
    expect((await b.getPosition('AAPL'))?.qty.eq(sum(b.fills().map((f) => f.qty)))).toBe(true)
  })

  it('restores our permanent impact on the mid', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    const a = open(clock, store, { permanentImpactPerShare: 1e-6 })
    const before = a.mid('AAPL')
    await a.submitOrder(market('m1', 1000))
    const b = open(clock, store, { permanentImpactPerShare: 1e-6 })
    expect(b.mid('AAPL').div(before).toNumber()).toBeCloseTo(1.001, 9)
    expect((await b.getQuote('AAPL'))?.bid.toString()).toBe((await a.getQuote('AAPL'))?.bid.toString())
  })

  it('cancels, at restart, an open order on a symbol no longer listed', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    const a = open(clock, store)
    const o = await a.submitOrder(limit('gone', '300.00', { symbol: 'MSFT' }))
    const b = createSimulatedMarket({ clock, seed: 1, store, symbols: { AAPL: symbols.AAPL } })
    expect(await b.getOrder(o.id)).toMatchObject({ status: 'canceled', filledQty: new Dec(0) })
    expect(stored(store, o.id)?.status).toBe('canceled')
  })

  it('continues from the stored mid on a new random stream, the same one for the same stored state', async () => {
    const clock = createVirtualClock()
    const store = createInMemorySimulatedVenueStore()
    const a = open(clock, store, { dailyVolatility: 0.02 })
    await clock.advance(60_000)
    await a.getQuote('AAPL')
    const saved = store.load()!
    const path = async (m: SimulatedMarket) => {
      const mids: string[] = []
      for (let i = 0; i < 3; i++) {
        await clock.advance(60_000)
        mids.push(m.mid('AAPL').toString())
      }
      return mids
    }
    const copy = () => {
      const s = createInMemorySimulatedVenueStore()
      s.save({ meta: saved.meta, symbols: saved.symbols, orders: saved.orders, fills: saved.fills, forgotten: [] })
      return s
    }
    const b1 = await path(open(clock, copy(), { dailyVolatility: 0.02 }))
    const b2 = await path(open(clock, copy(), { dailyVolatility: 0.02 }))
    expect(b1).toEqual(b2)
    expect(b1).not.toEqual(await path(open(clock, undefined, { dailyVolatility: 0.02 })))
    // a fresh store draws the same path as no store (the first process is unchanged)
    const fresh = async (store?: SimulatedVenueStore) =>
      path(open(createVirtualClock({ startMs: 0 }), store, { dailyVolatility: 0.02 }))
    expect(await fresh(createInMemorySimulatedVenueStore())).toEqual(await fresh())
  })

  it('works when the new process clock starts behind the old one (a sped-up clock restarted)', async () => {
    const store = createInMemorySimulatedVenueStore()
    const ahead = createVirtualClock({ startMs: 10_000_000 })
    const a = open(ahead, store)
    const resting = await a.submitOrder(limit('r1', '190.00', { qty: new Dec(5000) }))
    const far = await a.submitOrder(limit('r2', '150.00'))
    await a.cancelOrder(far.id)
    const behind = createVirtualClock({ startMs: 1_000_000 })
    const b = open(behind, store)
    await behind.advance(200) // the cancel is confirmed within its latency, not 9,000 s later
    expect((await b.getOrder(far.id)).status).toBe('canceled')
    await behind.advance(30_000) // the resting order trades at once
    expect((await b.getOrder(resting.id)).filledQty.gt(0)).toBe(true)
  })

  it('lets an execution interrupted by a crash resume on the restarted venue and finish with every fill booked once', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    const mkt = (s: SimulatedVenueStore) =>
      createSimulatedMarket({
        clock,
        seed: 11,
        tradeProbability: 0.15,
        meanTradeSize: 40,
        dailyVolatility: 0,
        symbols,
        store: s,
      })
    const journal = createInMemoryJournal()
    const config = createAcConfig()
    const intent = { side: 'BUY', symbol: 'AAPL', quantity: '1000', urgency: 'MEDIUM', correlationId: 'rv-1' } as const
    // the process dies as slice 2's order reaches the venue (stored there, its answer never read)
    const first = mkt(store)
    const dying = crashingBroker(
      first,
      (m, r) => m === 'submitOrder' && (r as { clientOrderId: string }).clientOrderId === 'rv-1-s2-a0',
    )
    void createEngine({ broker: dying, clock, config, journal, core: reference }).execute(intent)
    await clock.sleep(150_000)
    const children = childOrdersFromJournal(journal.entries, 'rv-1')
    expect(children.map((c) => c.clientOrderId)).toEqual(['rv-1-s0-a0', 'rv-1-s1-a0', 'rv-1-s2-a0'])

    const second = mkt(store)
    const r = await createEngine({ broker: second, clock, config, journal, core: reference }).execute(intent, {
      resume: { startedAt: journal.entries[0]!.atMs, children, arrivalMid: new Dec('190') },
    })
    expect(r.success).toBe(true)
    expect(r.totalFilled.toString()).toBe('1000')
    // the venue's fills (both processes) equal the journal's, each fill id booked once
    const journaled = journal.entries.flatMap((e) => (e.type === 'fill' ? [e.fill] : []))
    expect(new Set(journaled.map((f) => f.fillId)).size).toBe(journaled.length)
    expect(sum(journaled.map((f) => f.qty)).toString()).toBe('1000')
    expect(sum(second.fills().map((f) => f.qty)).toString()).toBe('1000')
    const venueIds = second.orders().map((o) => o.id)
    expect(new Set(venueIds).size).toBe(venueIds.length)
    expect(
      second
        .orders()
        .map((o) => o.clientOrderId)
        .slice(0, 3),
    ).toEqual(['rv-1-s0-a0', 'rv-1-s1-a0', 'rv-1-s2-a0'])
  })
})

describe('saving before answering', () => {
  it('throws BROKER_UNAVAILABLE when the save fails, and reports the order only once it is stored', async () => {
    const inner = createInMemorySimulatedVenueStore()
    const store = flaky(inner)
    const clock = createVirtualClock()
    const m = open(clock, store)
    store.failing = true
    const e = await caught(m.submitOrder(limit('f1', '150.00')))
    expect(e).toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: true })
    expect(isBrokerError(e)).toBe(true)
    // the caller was told nothing: a venue restarted now does not know the order either
    expect(await open(clock, createInMemorySimulatedVenueStore()).getOrderByClientId(cid('f1'))).toBeNull()
    expect(inner.load()?.orders ?? []).toEqual([])
    expect(await caught(m.getOrderByClientId(cid('f1')))).toMatchObject({ code: 'BROKER_UNAVAILABLE' })
    store.failing = false
    const found = await m.getOrderByClientId(cid('f1'))
    expect(found?.status).toBe('new')
    expect(stored(inner, found!.id)?.status).toBe('new')
    // a retried submit with the same client order id returns the same order
    expect((await m.submitOrder(limit('f1', '150.00'))).id).toBe(found!.id)
  })

  it('keeps fills made while the store is down pending, and saves them with the next call', async () => {
    const inner = createInMemorySimulatedVenueStore()
    const store = flaky(inner)
    const clock = createVirtualClock()
    const m = open(clock, store)
    const o = await m.submitOrder(limit('p1', '190.00', { qty: new Dec(5000) }))
    store.failing = true
    await clock.advance(20_000)
    expect(await caught(m.getOrder(o.id))).toMatchObject({ code: 'BROKER_UNAVAILABLE' })
    expect(await caught(m.getPosition('AAPL'))).toMatchObject({ code: 'BROKER_UNAVAILABLE' })
    expect(stored(inner, o.id)?.filledQty).toBe('0')
    store.failing = false
    const read = await m.getOrder(o.id)
    expect(read.filledQty.gt(0)).toBe(true)
    expect(stored(inner, o.id)?.filledQty).toBe(read.filledQty.toFixed())
    const fills = inner.load()!.fills.filter((f) => f.orderId === o.id)
    expect(sum(fills.map((f) => new Dec(f.qty))).eq(read.filledQty)).toBe(true)
    expect(fills.map((f) => f.index)).toEqual(fills.map((_, i) => i))
  })

  it('never answers with an order, fill or position the store does not hold (random calls, a store failing a third of the time)', async () => {
    const inner = createInMemorySimulatedVenueStore()
    const store = flaky(inner)
    const clock = createVirtualClock()
    const m = open(clock, store, { faults: { fillOnCancelProbability: 0.3 }, cancelLatencyMs: 500 })
    const rng = createPrng(42)
    const ids: string[] = []
    let answers = 0
    let refusals = 0
    const check = (o: BrokerOrder) => {
      const row = stored(inner, o.id)
      expect(row?.status).toBe(o.status)
      expect(row?.filledQty).toBe(o.filledQty.toFixed())
      const rows = inner.load()!.fills.filter((f) => f.orderId === o.id)
      expect(sum(rows.map((f) => new Dec(f.qty))).eq(o.filledQty)).toBe(true)
    }
    for (let i = 0; i < 600; i++) {
      store.failing = rng.next() < 0.33
      const u = rng.next()
      try {
        if (u < 0.3) {
          const price = (189.9 + Math.floor(rng.next() * 20) / 100).toFixed(2)
          const side = rng.next() < 0.5 ? 'BUY' : 'SELL'
          const o = await m.submitOrder(limit(`o${i}`, price, { side, qty: new Dec(1 + Math.floor(rng.next() * 300)) }))
          ids.push(o.id)
          check(o)
        } else if (u < 0.6 && ids.length > 0) {
          check(await m.getOrder(ids[Math.floor(rng.next() * ids.length)]! as BrokerOrder['id']))
        } else if (u < 0.75 && ids.length > 0) {
          await m.cancelOrder(ids[Math.floor(rng.next() * ids.length)]! as BrokerOrder['id']).catch((e: unknown) => {
            if (!isBrokerError(e) || e.code !== 'BROKER_REJECTED') throw e
          })
        } else if (u < 0.9) {
          const p = await m.getPosition('AAPL')
          const row = inner.load()!.symbols.find((s) => s.symbol === 'AAPL')
          expect(p?.qty.toFixed() ?? '0').toBe(row ? new Dec(row.position).toFixed() : '0')
        } else {
          await clock.advance(Math.floor(rng.next() * 5000))
          continue
        }
        answers++
      } catch (e) {
        if (!isBrokerError(e) || e.code !== 'BROKER_UNAVAILABLE') throw e
        refusals++
      }
    }
    expect(answers).toBeGreaterThan(200)
    expect(refusals).toBeGreaterThan(50)
    // after one good call everything is stored: a restarted venue sees exactly what this one does
    store.failing = false
    await m.getQuote('AAPL')
    const restarted = open(clock, inner)
    expect(restarted.orders()).toEqual(m.orders())
    expect(restarted.fills()).toEqual(m.fills())
  })
})

describe('forgetting finished orders', () => {
  it('keeps memory and the store flat: 50,000 orders submitted and finished, at most maxFinishedOrders kept', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    const m = open(clock, store, { maxFinishedOrders: 1000 })
    let most = 0
    for (let i = 0; i < 50_000; i++) {
      await m.submitOrder(market(`n${i}`, 1, { side: i % 2 === 0 ? 'BUY' : 'SELL' }))
      if (i % 1000 === 999) {
        const r = m.retained()
        const s = store.size()
        most = Math.max(most, r.orders, r.clientOrderIds, r.fills, s.orders, s.fills)
        expect(r.orders).toBe(1000)
        expect(r.clientOrderIds).toBe(1000)
        expect(s.orders).toBe(1000)
      }
    }
    expect(most).toBe(1000)
    expect(m.orders()).toHaveLength(1000)
    expect(m.fills()).toHaveLength(1000)
    expect(m.orders()[0]?.clientOrderId).toBe('n49000')
    // ids keep counting: the next order is number 50,001
    expect((await m.submitOrder(market('last'))).id).toMatch(/-50001$/)
  }, 60_000)

  it('forgets a finished order after the retention; then getOrder is BROKER_NOT_FOUND and getOrderByClientId null', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    const m = open(clock, store, { finishedOrderRetentionMs: 60_000 })
    const done = await m.submitOrder(market('old'))
    const resting = await m.submitOrder(limit('keep', '150.00'))
    await clock.advance(59_000)
    expect((await m.getOrder(done.id)).status).toBe('filled')
    await clock.advance(1_000)
    expect(await caught(m.getOrder(done.id))).toMatchObject({ code: 'BROKER_NOT_FOUND', retryable: false })
    expect(await m.getOrderByClientId(cid('old'))).toBeNull()
    expect(await caught(m.cancelOrder(done.id))).toMatchObject({ code: 'BROKER_NOT_FOUND' })
    expect(stored(store, done.id)).toBeUndefined()
    expect(store.load()!.fills.some((f) => f.orderId === done.id)).toBe(false)
    // open orders are never forgotten, however old
    await clock.advance(3_600_000)
    expect((await m.getOrder(resting.id)).status).toBe('new')
    // the position keeps what the forgotten order bought
    expect((await m.getPosition('AAPL'))?.qty.toString()).toBe('10')
  })

  it('applies a lowered bound to the state it restores', async () => {
    const store = createInMemorySimulatedVenueStore()
    const clock = createVirtualClock()
    const a = open(clock, store)
    for (let i = 0; i < 20; i++) await a.submitOrder(market(`k${i}`))
    const b = open(clock, store, { maxFinishedOrders: 5 })
    expect(b.orders().map((o) => o.clientOrderId)).toEqual(['k15', 'k16', 'k17', 'k18', 'k19'])
    await b.getQuote('AAPL')
    expect(store.size().orders).toBe(5)
  })
})

describe('durability options', () => {
  const clock = createVirtualClock({ startMs: 0 })
  it.each([
    ['a zero finished-order bound', { maxFinishedOrders: 0 }, 'maxFinishedOrders'],
    ['a fractional finished-order bound', { maxFinishedOrders: 1.5 }, 'maxFinishedOrders'],
    ['an infinite retention', { finishedOrderRetentionMs: Number.POSITIVE_INFINITY }, 'finishedOrderRetentionMs'],
    ['a NaN retention', { finishedOrderRetentionMs: Number.NaN }, 'finishedOrderRetentionMs'],
    ['a zero retention', { finishedOrderRetentionMs: 0 }, 'finishedOrderRetentionMs'],
    ['an instance id with a dash', { instanceId: 'a-b' }, 'instanceId'],
    ['an empty instance id', { instanceId: '' }, 'instanceId'],
    ['a store without save', { store: { load: () => null } }, 'store'],
  ])('rejects %s', (_name, over, field) => {
    expect(() => createSimulatedMarket({ clock, seed: 1, symbols, ...over } as SimulatedMarketOptions)).toThrowError(
      expect.objectContaining({ code: 'ENGINE_INVALID_ARGUMENT', message: expect.stringContaining(field) }),
    )
  })

  it('refuses unreadable stored state', () => {
    const store = createInMemorySimulatedVenueStore()
    store.save({
      meta: { instanceId: 'x', lastOrderNo: 0, generation: 0 },
      symbols: [{ symbol: 'AAPL', mid: 190, impact: 0, position: 'ten', positionCost: '0' }],
      orders: [],
      fills: [],
      forgotten: [],
    })
    expect(() => open(clock, store)).toThrowError(
      expect.objectContaining({ code: 'ENGINE_INVALID_ARGUMENT', message: expect.stringContaining('position') }),
    )
  })
})
