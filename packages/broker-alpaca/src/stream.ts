import { BROKER_TERMINAL_STATUSES, type BrokerOrder, type Clock, type Logger } from '@acx/engine'
import { createTradeUpdateStream, type StreamState, type TradeUpdateStreamHandle } from './client.js'
import type { AlpacaConfig } from './config.js'
import { redact } from './errors.js'
import { parseTradeUpdate, type AlpacaOrderView } from './parse.js'

/** Where the trade-update stream stands. `disabled`, `auth_failed` and `closed`: callers rely on polling alone. */
export type TradeUpdatesStatus = 'disabled' | 'connecting' | 'live' | 'reconnecting' | 'auth_failed' | 'closed'

/**
 * Keeps the latest known state of each order id (from the trade-update stream and from REST reads) and
 * wakes whoever waits on an order when an update for it arrives — or for an order that replaced it. The
 * stream only ever speeds things up: REST stays the source of truth, and pollers poll whether or not the
 * stream is up. States are kept per Alpaca order id; a replaced order is never final here (its chain is
 * followed over REST by the adapter). Every change it records, from either source, goes to `onChange`
 * (the adapter's order-update subscribers).
 */
export interface OrderTracker {
  /** The most advanced state seen for this order id (never older than one already seen). */
  latest(id: string): AlpacaOrderView | undefined
  /** Records a state read over REST; returns the most advanced known state. */
  remember(view: AlpacaOrderView): AlpacaOrderView
  /**
   * The replace chain `id` belongs to, as far as it is known here: its first order (followed up through
   * `replaces`), then each known replacement in turn. Empty when the first order was never seen.
   */
  chainOf(id: string): readonly AlpacaOrderView[]
  /** Resolves after `ms`, or earlier when an update for `id` arrives or `signal` aborts. */
  waitForUpdate(id: string, ms: number, signal?: AbortSignal): Promise<void>
  status(): TradeUpdatesStatus
  /** Updates received on the stream. */
  updatesReceived(): number
  close(): void
}

const MAX_TRACKED = 5_000
/** Replace-chain links followed (waking the waiters of an original order, presenting a chain). */
const MAX_CHAIN = 10

const isTerminal = (o: BrokerOrder): boolean => BROKER_TERMINAL_STATUSES.has(o.status)

/**
 * The stage of an order's life an Alpaca status belongs to, to order two states stamped in the same
 * millisecond (timestamps are read to the millisecond). Statuses Alpaca adds later count as working.
 */
const STAGE: Readonly<Record<string, number>> = {
  pending_new: 0,
  accepted: 0,
  accepted_for_bidding: 0,
  new: 1,
  partially_filled: 2,
  pending_cancel: 3,
  pending_replace: 3,
  replaced: 4,
  filled: 4,
  canceled: 4,
  expired: 4,
  rejected: 4,
}
const stage = (v: AlpacaOrderView): number => STAGE[v.alpacaStatus] ?? 1

/** True when `b` is a later state of the same order than `a` (or as late, and read after it). */
function isNewer(a: AlpacaOrderView, b: AlpacaOrderView): boolean {
  const [x, y] = [a.order, b.order]
  if (isTerminal(x) && !isTerminal(y)) return false
  if (y.filledQty.lt(x.filledQty)) return false
  if (y.filledQty.gt(x.filledQty)) return true
  if (isTerminal(y) && !isTerminal(x)) return true
  if (y.updatedAtMs !== x.updatedAtMs) return y.updatedAtMs > x.updatedAtMs
  // The same millisecond: the later stage wins (the POST's answer, `accepted`, can arrive after the
  // stream's `new`); within one stage, the state read last.
  return stage(b) >= stage(a)
}

/** Nothing the engine could see changed between two states of one order. */
const sameState = (a: AlpacaOrderView, b: AlpacaOrderView): boolean =>
  a.alpacaStatus === b.alpacaStatus &&
  a.order.status === b.order.status &&
  a.order.filledQty.eq(b.order.filledQty) &&
  a.order.updatedAtMs === b.order.updatedAtMs &&
  a.replacedBy === b.replacedBy

export interface OrderTrackerHooks {
  /** Every order state read from the stream (the adapter warns once about statuses it does not know). */
  readonly onView?: (view: AlpacaOrderView) => void
  /** A state newer than, and different from, the one known before: from the stream or from a REST read. */
  readonly onChange?: (view: AlpacaOrderView) => void
}

export function createOrderTracker(
  config: AlpacaConfig,
  clock: Clock,
  logger: Logger,
  hooks: OrderTrackerHooks = {},
): OrderTracker {
  const orders = new Map<string, AlpacaOrderView>()
  /** Replacement id → the id it replaced (both directions of Alpaca's `replaces` / `replaced_by`). */
  const replacedFrom = new Map<string, string>()
  const waiters = new Map<string, Set<() => void>>()
  let received = 0
  let status: TradeUpdatesStatus = config.tradeUpdates ? 'connecting' : 'disabled'
  let handle: TradeUpdateStreamHandle | undefined
  const secrets = [config.keyId, config.secretKey]

  const bounded = <K, V>(map: Map<K, V>): void => {
    if (map.size <= MAX_TRACKED) return
    const oldest = map.keys().next().value
    if (oldest !== undefined) map.delete(oldest)
  }

  const record = (view: AlpacaOrderView): AlpacaOrderView => {
    const id = view.order.id
    if (view.replaces !== null) replacedFrom.set(id, view.replaces)
    if (view.replacedBy !== null) replacedFrom.set(view.replacedBy, id)
    bounded(replacedFrom)
    const known = orders.get(id)
    if (known && !isNewer(known, view)) return known
    orders.delete(id)
    orders.set(id, view)
    bounded(orders)
    if (!known || !sameState(known, view)) hooks.onChange?.(view)
    return view
  }

  const chainOf = (id: string): AlpacaOrderView[] => {
    let first = id
    for (let i = 0; i < MAX_CHAIN; i++) {
      const up = replacedFrom.get(first)
      if (up === undefined) break
      first = up
    }
    const chain: AlpacaOrderView[] = []
    let at = orders.get(first)
    while (at !== undefined && chain.length <= MAX_CHAIN) {
      chain.push(at)
      if (at.alpacaStatus !== 'replaced' || at.replacedBy === null) break
      at = orders.get(at.replacedBy)
    }
    return chain
  }

  const wakeOne = (id: string): void => {
    const set = waiters.get(id)
    if (!set) return
    waiters.delete(id)
    for (const fn of set) fn()
  }

  /** Wakes the waiters of this order and of every order it replaced (they read the chain). */
  const wake = (id: string): void => {
    let at: string | undefined = id
    for (let i = 0; at !== undefined && i <= MAX_CHAIN; i++) {
      wakeOne(at)
      at = replacedFrom.get(at)
    }
  }

  if (config.tradeUpdates) {
    handle = createTradeUpdateStream(config, {
      onUpdate(data) {
        try {
          const { event, order, view } = parseTradeUpdate(data)
          received++
          hooks.onView?.(view)
          record(view)
          logger.debug(
            {
              event,
              orderId: order.id,
              clientOrderId: order.clientOrderId,
              status: order.status,
              alpacaStatus: view.alpacaStatus,
            },
            'Alpaca trade update',
          )
          wake(order.id)
        } catch (e) {
          logger.warn({ err: redact((e as Error).message, secrets) }, 'Ignoring an unreadable Alpaca trade update')
        }
      },
      onState(state: StreamState) {
        if (status === 'closed' || status === 'auth_failed') return
        if (state === 'authenticated') {
          if (status !== 'live') logger.info({ streamUrl: config.streamUrl }, 'Alpaca trade-update stream live')
          status = 'live'
        } else if (state === 'waiting to reconnect' || (state === 'disconnected' && status === 'live')) {
          status = 'reconnecting'
        }
      },
      onError(message) {
        logger.warn({ err: redact(message, secrets) }, 'Alpaca trade-update stream error; polling continues')
      },
      onReconnecting(attempt) {
        logger.info({ attempt }, 'Alpaca trade-update stream reconnecting')
      },
      onAuthFailed() {
        if (status === 'auth_failed' || status === 'closed') return
        status = 'auth_failed'
        logger.error(
          { streamUrl: config.streamUrl },
          'Alpaca trade-update stream refused the credentials; polling only',
        )
      },
    })
    handle.connect()
  }

  return {
    latest: (id) => orders.get(id),
    remember: record,
    chainOf,
    waitForUpdate(id, ms, signal) {
      if (signal?.aborted) return Promise.resolve()
      const controller = new AbortController()
      const onAbort = (): void => controller.abort()
      signal?.addEventListener('abort', onAbort, { once: true })
      let set = waiters.get(id)
      if (!set) waiters.set(id, (set = new Set()))
      const fn = (): void => controller.abort()
      set.add(fn)
      return clock.sleep(ms, controller.signal).finally(() => {
        signal?.removeEventListener('abort', onAbort)
        const s = waiters.get(id)
        s?.delete(fn)
        if (s && s.size === 0) waiters.delete(id)
      })
    },
    status: () => status,
    updatesReceived: () => received,
    close() {
      status = 'closed'
      handle?.close()
      handle = undefined
      for (const id of [...waiters.keys()]) wake(id)
    },
  }
}
