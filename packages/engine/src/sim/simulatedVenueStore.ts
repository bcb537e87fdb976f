import type { BrokerOrderStatus } from '../ports/broker.js'
import type { Side } from '../domain/orderIntent.js'

/**
 * One order of the simulated venue as stored. Decimals are decimal strings (`Decimal#toFixed()`),
 * times are epoch ms on the venue's clock.
 */
export interface StoredSimOrder {
  readonly id: string
  readonly clientOrderId: string
  readonly symbol: string
  readonly side: Side
  readonly type: 'market' | 'limit'
  readonly qty: string
  readonly limitPrice: string | null
  /** The order number (the `N` of its id): price-time priority, and the order of `orders()`. */
  readonly seq: number
  readonly status: BrokerOrderStatus
  readonly filledQty: string
  /** Σ qty × price of its fills (the average price is `notional / filledQty`). */
  readonly notional: string
  readonly submittedAtMs: number
  readonly updatedAtMs: number
  /** When a requested cancel is confirmed (`pending_cancel` only). */
  readonly cancelDueAtMs: number | null
  /** Whether a fill races this order's cancel. */
  readonly raceFill: boolean
  /** When it became filled or canceled; null while open. */
  readonly finishedAtMs: number | null
}

/** One fill of a stored order; `index` counts the order's fills from 0. */
export interface StoredSimFill {
  readonly orderId: string
  readonly index: number
  readonly qty: string
  readonly price: string
  readonly atMs: number
  readonly afterCancelRequest: boolean
}

/** A symbol's market and our position in it. */
export interface StoredSimSymbol {
  readonly symbol: string
  /** Mid without our impact (a double: the random walk's state). */
  readonly mid: number
  /** Cumulative permanent impact, a fraction of price (a double). */
  readonly impact: number
  /** Signed position, a decimal string. */
  readonly position: string
  /** Σ signed qty × price of the position, a decimal string. */
  readonly positionCost: string
}

/** The venue's identity and counters. */
export interface StoredSimMeta {
  /** Part of every order id (`sim-<instanceId>-<N>`), kept for the life of the state. */
  readonly instanceId: string
  /** The last order number handed out; the next order is `lastOrderNo + 1`. */
  readonly lastOrderNo: number
  /** How many times the state was loaded (0 for the first process): picks the restarted random streams. */
  readonly generation: number
}

/** Everything the venue remembers: what `load` returns. */
export interface SimulatedVenueSnapshot {
  readonly meta: StoredSimMeta
  readonly symbols: readonly StoredSimSymbol[]
  /** Open orders and finished ones not yet forgotten. */
  readonly orders: readonly StoredSimOrder[]
  /** The fills of those orders. */
  readonly fills: readonly StoredSimFill[]
}

/** What changed since the last successful `save`: one entry per changed thing, never the whole state. */
export interface SimulatedVenueChanges {
  /** Set when the identity or a counter changed. */
  readonly meta?: StoredSimMeta
  /** Upsert by id (the whole current row). */
  readonly orders: readonly StoredSimOrder[]
  /** Insert: fills not saved before. */
  readonly fills: readonly StoredSimFill[]
  /** Upsert by symbol. */
  readonly symbols: readonly StoredSimSymbol[]
  /** Delete these orders and their fills (finished orders past the retention bound). */
  readonly forgotten: readonly string[]
}

/**
 * Durable state of the simulated venue, so its orders, fills and positions outlive the process.
 * Synchronous: the venue saves at the end of every port call, before it answers.
 *
 * Contract:
 * - `load` returns what every successful `save` so far adds up to, or null when nothing was ever saved.
 * - `save` applies all of `changes` or none of them (one transaction), and returns only once they are
 *   durable. If it throws, the venue keeps the changes and sends them again with the next save.
 * - An id in `forgotten` never appears in the same changes' `orders` or `fills`. Apply `forgotten`
 *   first: a new order may take the client order id of an order forgotten in the same save.
 */
export interface SimulatedVenueStore {
  load(): SimulatedVenueSnapshot | null
  save(changes: SimulatedVenueChanges): void
}

/** A `SimulatedVenueStore` in memory, with what tests want to look at. */
export interface InMemorySimulatedVenueStore extends SimulatedVenueStore {
  /** Successful saves so far. */
  readonly saves: number
  /** Rows held: orders, fills and symbols. */
  size(): { readonly orders: number; readonly fills: number; readonly symbols: number }
}

/**
 * The reference store: the state in plain maps (rows are immutable objects of strings and numbers, so
 * nothing is shared with the venue that saved them). Two markets given the same instance, one after the
 * other, behave as one venue restarted.
 */
export function createInMemorySimulatedVenueStore(): InMemorySimulatedVenueStore {
  let meta: StoredSimMeta | undefined
  const orders = new Map<string, StoredSimOrder>()
  const fills = new Map<string, Map<number, StoredSimFill>>()
  const symbols = new Map<string, StoredSimSymbol>()
  let saves = 0
  return {
    load() {
      if (meta === undefined) return null
      return {
        meta,
        symbols: [...symbols.values()],
        orders: [...orders.values()],
        fills: [...fills.values()].flatMap((m) => [...m.values()]),
      }
    },
    save(changes) {
      for (const id of changes.forgotten) {
        orders.delete(id)
        fills.delete(id)
      }
      if (changes.meta) meta = changes.meta
      for (const s of changes.symbols) symbols.set(s.symbol, s)
      for (const o of changes.orders) orders.set(o.id, o)
      for (const f of changes.fills) {
        let m = fills.get(f.orderId)
        if (!m) fills.set(f.orderId, (m = new Map()))
        m.set(f.index, f)
      }
      saves++
    },
    get saves() {
      return saves
    },
    size: () => ({
      orders: orders.size,
      fills: [...fills.values()].reduce((n, m) => n + m.size, 0),
      symbols: symbols.size,
    }),
  }
}
