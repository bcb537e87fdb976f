import { BrokerError, isBrokerError, type BrokerOrder, type BrokerPort, type SubmitOrderRequest } from '@acx/engine'

export interface EngineSubmitResult {
  /** The order, from a submit or a look-up. */
  readonly order?: BrokerOrder
  /** The error that ended the sending: a refusal (no order was created). */
  readonly refused?: BrokerError
  /** The error after which the order may exist, when look-ups did not find it either. */
  readonly unknown?: BrokerError
  /** submitOrder calls made. */
  readonly submits: number
}

const asBrokerError = (e: unknown): BrokerError =>
  isBrokerError(e)
    ? e
    : new BrokerError('BROKER_BAD_RESPONSE', e instanceof Error ? e.message : String(e), { cause: e })

/** As the engine's `isUnknownOutcome`: a failure after which the order may exist. */
const mayExist = (err: BrokerError): boolean =>
  err.code === 'BROKER_UNKNOWN_OUTCOME' ||
  err.code === 'BROKER_BAD_RESPONSE' ||
  (err.retryable && err.code !== 'BROKER_RATE_LIMITED')

/**
 * What the engine does with one child order (packages/engine/src/execution/childOrders.ts `place`, through
 * venueCalls.ts `call`), without its backoff sleeps: on a retryable failure, unless it was a 429, look the order up by
 * client order id (found → that is the order) before sending the same request again, up to `retries`
 * resends; a failure after which the order may exist (`BROKER_UNKNOWN_OUTCOME`, `BROKER_BAD_RESPONSE`, or
 * retryable once the resends are spent) → look it up `lookups` times; any other failure is a refusal.
 */
export async function submitAsTheEngine(
  broker: BrokerPort,
  req: SubmitOrderRequest,
  opts: { readonly retries?: number; readonly lookups?: number } = {},
): Promise<EngineSubmitResult> {
  const retries = opts.retries ?? 3
  const lookups = opts.lookups ?? 5
  let submits = 0
  let last: BrokerError | undefined
  for (let attempt = 0; ; attempt++) {
    try {
      if (last !== undefined && last.code !== 'BROKER_RATE_LIMITED') {
        const found = await broker.getOrderByClientId(req.clientOrderId)
        if (found) return { order: found, submits }
      }
      submits++
      return { order: await broker.submitOrder(req), submits }
    } catch (e) {
      const err = asBrokerError(e)
      last = err
      if (err.retryable && attempt < retries) continue
      if (!mayExist(err)) return { refused: err, submits }
      for (let i = 0; i < lookups; i++) {
        const found = await broker.getOrderByClientId(req.clientOrderId).catch(() => null)
        if (found) return { order: found, submits }
      }
      return { unknown: err, submits }
    }
  }
}
