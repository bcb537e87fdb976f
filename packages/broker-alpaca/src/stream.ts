import { BROKER_TERMINAL_STATUSES, type BrokerOrder, type Clock, type Logger } from '@acx/engine'
import { createTradeUpdateStream, type StreamState, type TradeUpdateStreamHandle } from './client.js'
import type { AlpacaConfig } from './config.js'
import { redact } from './errors.js'
import { parseTradeUpdate } from './parse.js'

/** Where the trade-update stream stands. `polling` means it is off: callers rely on polling alone. */
export type TradeUpdatesStatus = 'disabled' | 'connecting' | 'live' | 'reconnecting' | 'auth_failed' | 'closed'

/**
 * Keeps the latest known state of each order (from the trade-update stream and from REST reads) and
 * wakes whoever waits on an order when an update for it arrives. The stream only ever speeds things up:
 * REST stays the source of truth, and pollers poll whether or not the stream is up.
 */
export interface OrderTracker {
  /** The most advanced state seen for this order (never older than one already seen). */
  latest(id: string): BrokerOrder | undefined
  /** Records a state read over REST; returns the most advanced known state. */
  remember(order: BrokerOrder): BrokerOrder
  /** Resolves after `ms`, or earlier when an update for `id` arrives or `signal` aborts. */
  waitForUpdate(id: string, ms: number, signal?: AbortSignal): Promise<void>
  status(): TradeUpdatesStatus
  /** Updates received on the stream. */
  updatesReceived(): number
  close(): void
}

const MAX_TRACKED = 5_000

const isTerminal = (o: BrokerOrder): boolean => BROKER_TERMINAL_STATUSES.has(o.status)

/** True when `b` is a later state of the same order than `a`. */
function isNewer(a: BrokerOrder, b: BrokerOrder): boolean {
  if (isTerminal(a) && !isTerminal(b)) return false
  if (b.filledQty.lt(a.filledQty)) return false
  if (b.filledQty.gt(a.filledQty)) return true
  if (isTerminal(b) && !isTerminal(a)) return true
  return b.updatedAtMs >= a.updatedAtMs
}

export function createOrderTracker(config: AlpacaConfig, clock: Clock, logger: Logger): OrderTracker {
  const orders = new Map<string, BrokerOrder>()
  const waiters = new Map<string, Set<() => void>>()
  let received = 0
  let status: TradeUpdatesStatus = config.tradeUpdates ? 'connecting' : 'disabled'
  let handle: TradeUpdateStreamHandle | undefined
  const secrets = [config.keyId, config.secretKey]

  const record = (order: BrokerOrder): BrokerOrder => {
    const known = orders.get(order.id)
    if (known && !isNewer(known, order)) return known
    orders.delete(order.id)
    orders.set(order.id, order)
    if (orders.size > MAX_TRACKED) {
      const oldest = orders.keys().next().value
      if (oldest !== undefined) orders.delete(oldest)
    }
    return order
  }

  const wake = (id: string): void => {
    const set = waiters.get(id)
    if (!set) return
    waiters.delete(id)
    for (const fn of set) fn()
  }

  if (config.tradeUpdates) {
    handle = createTradeUpdateStream(config, {
      onUpdate(data) {
        try {
          const { event, order } = parseTradeUpdate(data)
          received++
          record(order)
          logger.debug({ event, orderId: order.id, clientOrderId: order.clientOrderId, status: order.status }, 'Alpaca trade update')
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
