import { isBrokerError, type BrokerPort } from '@acx/engine'
import type { ServiceMetrics } from './metrics.js'

/** The same broker, counting failed calls by broker error code in `acx_broker_errors_total`. */
export function instrumentBroker(broker: BrokerPort, metrics: ServiceMetrics): BrokerPort {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args)
      } catch (err) {
        metrics.brokerErrors.inc({ code: isBrokerError(err) ? err.code : 'UNKNOWN' })
        throw err
      }
    }
  return {
    ...broker,
    getQuote: wrap(broker.getQuote.bind(broker)),
    submitOrder: wrap(broker.submitOrder.bind(broker)),
    getOrder: wrap(broker.getOrder.bind(broker)),
    getOrderByClientId: wrap(broker.getOrderByClientId.bind(broker)),
    cancelOrder: wrap(broker.cancelOrder.bind(broker)),
    getPosition: wrap(broker.getPosition.bind(broker)),
    getAsset: wrap(broker.getAsset.bind(broker)),
  }
}
