import { BROKER_TERMINAL_STATUSES, type BrokerOrder, type Clock, type Logger } from '@acx/engine'
import { createTradeUpdateStream, type StreamState, type TradeUpdateStreamHandle } from './client.js'
import type { AlpacaConfig } from './config.js'
import { redact } from './errors.js'
import { parseTradeUpdate, type AlpacaOrderView } from './parse.js'

/** Where the trade-update stream stands. `polling` means it is off: callers rely on polling alone. */
export type TradeUpdatesStatus = 'disabled' | 'connecting' | 'live' | 'reconnecting' | 'auth_failed' | 'closed'

/**
 * Keeps the latest known state of each order id (from the trade-update stream and from REST reads) and
 * wakes whoever waits on an order when an update for it arrives — or for an order that replaced it. The
 * stream only ever speeds things up: REST stays the source of truth, and pollers poll whether or not the
 * stream is up. States are kept per Alpaca order id; a replaced order is never final here (its chain is
 * followed over REST by the adapter).
 */
export interface OrderTracker {
  /** The most advanced state seen for this order id (never older than one already seen). */
  latest(id: string): AlpacaOrderView | undefined
  /** Records a state read over REST; returns the most advanced known state. */
  remember(view: AlpacaOrderView): AlpacaOrderView
  /** Resolves after `ms`, or earlier when an update for `id` arrives or `signal` aborts. */
  waitForUpdate(id: string, ms: number, signal?: AbortSignal): Promise<void>
  status(): TradeUpdatesStatus
  /** Updates received on the stream. */
  updatesReceived(): number
  close(): void
}

const MAX_TRACKED = 5_000
/** Replace-chain links followed when waking the waiters of an original order. */
const MAX_CHAIN_WAKE = 10

const isTerminal = (o: BrokerOrder): boolean => BROKER_TERMINAL_STATUSES.has(o.status)

/** True when `b` is a later state of the same order than `a`. */
function isNewer(a: BrokerOrder, b: BrokerOrder): boolean {
  if (isTerminal(a) && !isTerminal(b)) return false
  if (b.filledQty.lt(a.filledQty)) return false
  if (b.filledQty.gt(a.filledQty)) return true
  if (isTerminal(b) && !isTerminal(a)) return true
  return b.updatedAtMs >= a.updatedAtMs
}

/**
 * `onView` sees every order state read from the stream (the adapter uses it to warn once about statuses
 * it does not know).
 */
export function createOrderTracker(
  config: AlpacaConfig,
  clock: Clock,
  logger: Logger,
  onView: (view: AlpacaOrderView) => void = () => {},
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
    if (known && !isNewer(known.order, view.order)) return known
    orders.delete(id)
    orders.set(id, view)
    bounded(orders)
    return view
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
    for (let i = 0; at !== undefined && i <= MAX_CHAIN_WAKE; i++) {
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
          onView(view)
          record(view)
          logger.debug(
            { event, orderId: order.id, clientOrderId: order.clientOrderId, status: order.status, alpacaStatus: view.alpacaStatus },
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
        logger.error({ streamUrl: config.streamUrl }, 'Alpaca trade-update stream refused the credentials; polling only')
      },
    })
    handle.connect()
  }

  return {
    latest: (id) => orders.get(id),
    remember: record,
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
