import type { BrokerPort } from '../../src/ports/broker.js'

/**
 * A broker through which the process "dies": once `crash(call)` says so, that call still reaches the
 * market but neither it nor any later call ever answers (the promise never settles).
 */
export function crashingBroker(market: BrokerPort, crash: (method: string, arg: unknown) => boolean): BrokerPort {
  let dead = false
  const never = new Promise<never>(() => {})
  const wrap =
    <A extends unknown[], R>(method: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      if (dead) return never
      if (crash(method, a[0])) {
        dead = true
        await fn(...a)
        return never
      }
      return fn(...a)
    }
  return {
    getQuote: wrap('getQuote', (s) => market.getQuote(s)),
    submitOrder: wrap('submitOrder', (r) => market.submitOrder(r)),
    getOrder: wrap('getOrder', (id) => market.getOrder(id)),
    getOrderByClientId: wrap('getOrderByClientId', (id) => market.getOrderByClientId(id)),
    cancelOrder: wrap('cancelOrder', (id) => market.cancelOrder(id)),
    getPosition: wrap('getPosition', (s) => market.getPosition(s)),
    getAsset: wrap('getAsset', (s) => market.getAsset(s)),
    getMarketClock: wrap('getMarketClock', (s) => market.getMarketClock(s)),
  }
}
