import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createSimulatedMarket,
  createVirtualClock,
  Dec,
  type ClientOrderId,
  type SimulatedVenueChanges,
  type StoredSimOrder,
} from '@acx/engine'
import { createSqliteSimVenueStore, type SqliteSimVenueStore } from '../src/persistence/sqliteSimVenueStore.js'
import { tempDir } from './support/testService.js'

const order = (over: Partial<StoredSimOrder> = {}): StoredSimOrder => ({
  id: 'sim-v1-1',
  clientOrderId: 'c-1',
  symbol: 'AAPL',
  side: 'BUY',
  type: 'limit',
  qty: '100',
  limitPrice: '189.99',
  seq: 1,
  status: 'new',
  filledQty: '0',
  notional: '0',
  submittedAtMs: 1000,
  updatedAtMs: 1000,
  cancelDueAtMs: null,
  raceFill: false,
  finishedAtMs: null,
  ...over,
})
const changes = (over: Partial<SimulatedVenueChanges> = {}): SimulatedVenueChanges => ({
  orders: [],
  fills: [],
  symbols: [],
  forgotten: [],
  ...over,
})

describe('the SQLite simulated venue store', () => {
  let tmp: ReturnType<typeof tempDir> | undefined
  const open: SqliteSimVenueStore[] = []
  const store = (path: string) => {
    const s = createSqliteSimVenueStore({ path })
    open.push(s)
    return s
  }
  afterEach(() => {
    for (const s of open.splice(0)) s.close()
    tmp?.cleanup()
  })

  it('loads null from a new file, then exactly what was saved, across a reopen', () => {
    tmp = tempDir()
    const path = join(tmp.dir, 'nested', 'sim-venue.sqlite')
    const a = store(path)
    expect(a.load()).toBeNull()
    const meta = { instanceId: 'v1', lastOrderNo: 2, generation: 0 }
    const symbols = [
      { symbol: 'AAPL', mid: 190.01234567890123, impact: 1.5e-7, position: '-12.5', positionCost: '-2375.0625' },
    ]
    const orders = [
      order({ status: 'partially_filled', filledQty: '30.5', notional: '5794.6950', updatedAtMs: 2000 }),
      order({
        id: 'sim-v1-2',
        clientOrderId: 'c-2',
        type: 'market',
        limitPrice: null,
        seq: 2,
        status: 'filled',
        filledQty: '100',
        notional: '19001',
        finishedAtMs: 1500,
        cancelDueAtMs: null,
      }),
    ]
    const fills = [
      { orderId: 'sim-v1-1', index: 0, qty: '30.5', price: '189.99', atMs: 2000, afterCancelRequest: false },
      { orderId: 'sim-v1-2', index: 0, qty: '100', price: '190.01', atMs: 1500, afterCancelRequest: true },
    ]
    a.save(changes({ meta, symbols, orders, fills }))
    a.close()
    const b = store(path)
    expect(b.load()).toEqual({ meta, symbols, orders, fills })
  })

  it('upserts orders and symbols, appends fills once, and deletes forgotten orders with their fills', () => {
    const s = store(':memory:')
    s.save(changes({ meta: { instanceId: 'v1', lastOrderNo: 1, generation: 0 }, orders: [order()] }))
    const fill = { orderId: 'sim-v1-1', index: 0, qty: '100', price: '189.99', atMs: 3000, afterCancelRequest: false }
    const filled = order({
      status: 'filled',
      filledQty: '100',
      notional: '18999',
      updatedAtMs: 3000,
      finishedAtMs: 3000,
    })
    s.save(changes({ orders: [filled], fills: [fill] }))
    s.save(changes({ orders: [filled], fills: [{ ...fill, qty: '1' }] })) // the same fill again is not a second fill
    expect(s.load()).toMatchObject({ meta: { lastOrderNo: 1 }, orders: [filled], fills: [fill] })
    // forgotten first: a new order may take the client order id of the order it replaces
    const reused = order({ id: 'sim-v1-2', seq: 2 })
    s.save(
      changes({ meta: { instanceId: 'v1', lastOrderNo: 2, generation: 0 }, orders: [reused], forgotten: ['sim-v1-1'] }),
    )
    expect(s.load()).toMatchObject({ orders: [reused], fills: [] })
  })

  it('applies a save whole or not at all', () => {
    const s = store(':memory:')
    s.save(changes({ meta: { instanceId: 'v1', lastOrderNo: 1, generation: 0 }, orders: [order()] }))
    const before = s.load()
    // a second order under a taken client order id violates the unique constraint: nothing of it stays
    expect(() =>
      s.save(
        changes({
          meta: { instanceId: 'v1', lastOrderNo: 2, generation: 0 },
          symbols: [{ symbol: 'AAPL', mid: 191, impact: 0, position: '0', positionCost: '0' }],
          orders: [order({ id: 'sim-v1-2', seq: 2 })],
        }),
      ),
    ).toThrow(/UNIQUE/)
    expect(s.load()).toEqual(before)
  })

  it('holds its file exclusively: a second venue on it is refused until the first closes', () => {
    tmp = tempDir()
    const path = join(tmp.dir, 'sim-venue.sqlite')
    const a = store(path)
    a.save(changes({ meta: { instanceId: 'v1', lastOrderNo: 0, generation: 0 } }))
    expect(() => createSqliteSimVenueStore({ path, lockTimeoutMs: 50 })).toThrow(/in use by another process/)
    a.close()
    expect(store(path).load()?.meta.instanceId).toBe('v1')
  })

  it('carries a simulated market across a restart: ids continue, open orders and positions come back', async () => {
    tmp = tempDir()
    const path = join(tmp.dir, 'sim-venue.sqlite')
    const clock = createVirtualClock()
    const venue = (s: SqliteSimVenueStore) =>
      createSimulatedMarket({ clock, seed: 1, store: s, symbols: { AAPL: { price: '190', spread: '0.02' } } })
    const a = store(path)
    const m1 = venue(a)
    const bought = await m1.submitOrder({
      clientOrderId: 'x-1' as ClientOrderId,
      symbol: 'AAPL',
      side: 'BUY',
      qty: new Dec('12.5'),
      type: 'market',
      timeInForce: 'day',
    })
    const resting = await m1.submitOrder({
      clientOrderId: 'x-2' as ClientOrderId,
      symbol: 'AAPL',
      side: 'BUY',
      qty: new Dec(100),
      type: 'limit',
      limitPrice: new Dec('150.00'),
      timeInForce: 'day',
    })
    a.close()
    const m2 = venue(store(path))
    expect(await m2.getOrder(bought.id)).toEqual(bought)
    expect(await m2.getOrder(resting.id)).toEqual(resting)
    expect((await m2.getPosition('AAPL'))?.qty.toString()).toBe('12.5')
    const next = await m2.submitOrder({
      clientOrderId: 'x-3' as ClientOrderId,
      symbol: 'AAPL',
      side: 'SELL',
      qty: new Dec(1),
      type: 'market',
      timeInForce: 'day',
    })
    expect(next.id).toBe(bought.id.replace(/-1$/, '-3'))
  })

  it('keeps the file flat under sustained load: finished orders beyond the bound are deleted', async () => {
    tmp = tempDir()
    const path = join(tmp.dir, 'sim-venue.sqlite')
    const s = store(path)
    const m = createSimulatedMarket({
      clock: createVirtualClock(),
      seed: 1,
      store: s,
      maxFinishedOrders: 500,
      symbols: { AAPL: { price: '190', spread: '0.02' } },
    })
    const size = () => statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0)
    const sizes: number[] = []
    for (let i = 0; i < 8000; i++) {
      await m.submitOrder({
        clientOrderId: `n-${i}` as ClientOrderId,
        symbol: 'AAPL',
        side: i % 2 ? 'SELL' : 'BUY',
        qty: new Dec(1),
        type: 'market',
        timeInForce: 'day',
      })
      if (i % 2000 === 1999) sizes.push(size())
    }
    const rows = s.load()!
    expect(rows.orders).toHaveLength(500)
    expect(rows.fills).toHaveLength(500)
    // after the first 2,000 orders the file (with its WAL) grows no more
    expect(Math.max(...sizes)).toBeLessThanOrEqual(sizes[0]! * 1.1)
  }, 30_000)
})
