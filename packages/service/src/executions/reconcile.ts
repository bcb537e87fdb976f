import {
  BROKER_TERMINAL_STATUSES, Dec, fillId, isBrokerError, type BrokerOrder, type BrokerPort, type ChildOrder,
  type ClientOrderId, type Clock, type ExecutionJournal, type OrderStatus, type ParentOrderId, type BrokerOrderId,
} from '@acx/engine'
import type { Decimal } from 'decimal.js'
import type { Logger } from 'pino'
import type { ChildOrderRecord, ExecutionStore } from '../persistence/executionStore.js'

export interface ReconcileDeps {
  readonly store: ExecutionStore
  readonly journal: ExecutionJournal
  readonly broker: BrokerPort
  readonly clock: Clock
  readonly logger: Logger
  /** How long to wait for a cancel to be confirmed. */
  readonly cancelTimeoutMs?: number
  readonly pollIntervalMs?: number
}

const FINAL_CHILD: ReadonlySet<string> = new Set(['filled', 'rejected'])

const toChildOrder = (r: ChildOrderRecord, symbol: string): ChildOrder => ({
  clientOrderId: r.clientOrderId as ClientOrderId,
  ...(r.brokerOrderId ? { brokerOrderId: r.brokerOrderId as BrokerOrderId } : {}),
  symbol,
  side: r.side,
  type: r.type,
  qty: new Dec(r.qty),
  ...(r.limitPrice ? { limitPrice: new Dec(r.limitPrice) } : {}),
  sliceIndex: r.sliceIndex,
  attempt: r.attempt,
  status: r.status as OrderStatus,
  filledQty: new Dec(r.filledQty),
  avgPx: new Dec(r.avgPx),
  fillIds: [],
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
})

async function findAtBroker(broker: BrokerPort, child: ChildOrderRecord): Promise<BrokerOrder | null> {
  if (child.brokerOrderId) {
    try {
      return await broker.getOrder(child.brokerOrderId as BrokerOrderId)
    } catch (err) {
      if (!(isBrokerError(err) && err.code === 'BROKER_NOT_FOUND')) throw err
    }
  }
  return broker.getOrderByClientId(child.clientOrderId as ClientOrderId)
}

/**
 * Brings the store in line with the broker after a crash or a stop, by client order id: a child the
 * broker never received is marked rejected (it was journaled but not sent); an open child is
 * cancelled and the cancel confirmed; fills the store has not seen are booked (by cumulative
 * quantity, with the same fill ids the engine uses, so nothing is booked twice). Returns the total
 * filled quantity of the execution afterwards.
 */
export async function reconcileExecution(
  executionId: string, symbol: string, deps: ReconcileDeps,
): Promise<Decimal> {
  const { store, journal, broker, clock, logger } = deps
  const cancelTimeoutMs = deps.cancelTimeoutMs ?? 60_000
  const pollIntervalMs = deps.pollIntervalMs ?? 250
  const id = executionId as ParentOrderId
  const stored = await store.fills(executionId)
  for (const child of await store.childOrders(executionId)) {
    if (FINAL_CHILD.has(child.status)) continue
    let order = await findAtBroker(broker, child)
    const before = toChildOrder(child, symbol)
    if (order === null) {
      const after: ChildOrder = { ...before, status: 'rejected', rejectReason: 'never reached the broker (recovered)', updatedAt: clock.now() }
      await journal.append({
        type: 'child_order_status', executionId: id, atMs: clock.now(), clientOrderId: before.clientOrderId,
        from: before.status, to: 'rejected', order: after,
      })
      logger.warn({ executionId, clientOrderId: child.clientOrderId }, 'Recovery: child order never reached the broker')
      continue
    }
    if (!BROKER_TERMINAL_STATUSES.has(order.status)) {
      try {
        await broker.cancelOrder(order.id)
      } catch (err) {
        // already filled / already gone: read it below
        if (!isBrokerError(err) || err.retryable) throw err
      }
      const deadline = clock.now() + cancelTimeoutMs
      while (!BROKER_TERMINAL_STATUSES.has(order.status)) {
        if (clock.now() >= deadline) throw new Error(`cancel of ${child.clientOrderId} not confirmed within ${cancelTimeoutMs} ms`)
        await clock.sleep(pollIntervalMs)
        order = await broker.getOrder(order.id)
      }
    }
    // What the store has booked for this child, from its fills (not the child row, which a crash
    // between the two writes could leave behind).
    const mine = stored.filter((f) => f.clientOrderId === child.clientOrderId)
    const bookedQty = mine.reduce((s, f) => s.add(f.qty), new Dec(0))
    const bookedValue = mine.reduce((s, f) => s.add(new Dec(f.qty).mul(f.price)), new Dec(0))
    const delta = order.filledQty.sub(bookedQty)
    let filledQty = bookedQty
    let avgPx = bookedQty.isZero() ? new Dec(0) : bookedValue.div(bookedQty)
    if (delta.gt(0) && order.filledAvgPrice !== null) {
      const price = order.filledAvgPrice.mul(order.filledQty).sub(bookedValue).div(delta)
      await journal.append({
        type: 'fill', executionId: id, atMs: clock.now(),
        fill: {
          fillId: fillId(`${order.id}:${order.filledQty.toString()}`), clientOrderId: before.clientOrderId,
          brokerOrderId: order.id, qty: delta, price, tsEvent: order.updatedAtMs, tsInit: clock.now(),
        },
      })
      filledQty = order.filledQty
      avgPx = order.filledAvgPrice
      logger.info({ executionId, clientOrderId: child.clientOrderId, qty: delta.toString() }, 'Recovery: booked a fill')
    }
    // the broker order is terminal here: filled, canceled, expired or rejected
    const to: OrderStatus = filledQty.eq(before.qty) ? 'filled' : (order.status as OrderStatus)
    await journal.append({
      type: 'child_order_status', executionId: id, atMs: clock.now(), clientOrderId: before.clientOrderId,
      from: before.status, to,
      order: { ...before, brokerOrderId: order.id, status: to, filledQty, avgPx, updatedAt: clock.now() },
    })
  }
  return (await store.fills(executionId)).reduce((s, f) => s.add(f.qty), new Dec(0))
}
