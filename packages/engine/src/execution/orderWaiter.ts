import type { BrokerPort } from '../ports/broker.js'
import type { Clock } from '../ports/clock.js'

/**
 * Waits on the clock, woken early when the venue reports a change to one order (the port's optional
 * `subscribeOrderUpdates`). Waking only shortens a wait: the caller still reads the order itself.
 */
export interface OrderWaiter {
  /** Resolves after `ms`, when the order `clientOrderId` changes, or when `signal` aborts. */
  wait(clientOrderId: string, ms: number, signal?: AbortSignal): Promise<void>
}

/** One subscription per engine (made on the first wait), dispatched by client order id. */
export function createOrderWaiter(broker: BrokerPort, clock: Clock): OrderWaiter {
  // at most one wait per running execution at a time, removed when it ends
  const waiting = new Map<string, Set<() => void>>()
  let subscribed = false
  const subscribe = (): void => {
    if (subscribed || !broker.subscribeOrderUpdates) return
    subscribed = true
    broker.subscribeOrderUpdates((order) => {
      for (const wake of waiting.get(order.clientOrderId) ?? []) wake()
    })
  }
  return {
    async wait(clientOrderId, ms, signal) {
      subscribe()
      if (!subscribed) return clock.sleep(ms, signal)
      const early = new AbortController()
      const wake = (): void => early.abort()
      const onAbort = (): void => early.abort()
      signal?.addEventListener('abort', onAbort, { once: true })
      if (signal?.aborted) early.abort()
      let set = waiting.get(clientOrderId)
      if (!set) waiting.set(clientOrderId, (set = new Set()))
      set.add(wake)
      try {
        await clock.sleep(ms, early.signal)
      } finally {
        set.delete(wake)
        if (set.size === 0) waiting.delete(clientOrderId)
        signal?.removeEventListener('abort', onAbort)
      }
    },
  }
}
