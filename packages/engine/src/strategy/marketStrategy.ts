import type { Execution } from '../execution/execution.js'

/** One market order for the whole quantity (slice 0, attempt 0). */
export async function runMarket(ex: Execution): Promise<void> {
  const qty = ex.remainingLots()
  if (!qty.gt(0)) return
  const child = await ex.orders.place({
    sliceIndex: 0,
    attempt: 0,
    kind: 'market',
    qty,
    quoteFlags: ex.arrival?.flags ?? [],
  })
  if (child.status === 'rejected') ex.stop('broker_error', `market order rejected: ${child.rejectReason ?? ''}`)
  await ex.orders.awaitMarket(child)
}
