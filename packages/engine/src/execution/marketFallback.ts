import type { Execution } from './execution.js'
import { quantityText } from '../domain/decimalText.js'

/**
 * The end of a strategy that worked limit orders: whatever is still unfilled goes out as one market
 * order (log message `Market order fallback`), which is waited for — cancelled and confirmed if it does
 * not finish within MARKET_ORDER_TIMEOUT_SECONDS. A rejected fallback stops the execution.
 */
export async function sendMarketFallback(ex: Execution, sliceIndex: number, attempt: number): Promise<void> {
  if (ex.aborted) return
  const qty = ex.remainingLots()
  if (!qty.gt(0)) return
  ex.usedMarketFallback()
  ex.log.warn({ ...ex.fields(), remaining_qty: quantityText(qty) }, 'Market order fallback')
  const child = await ex.orders.place({ sliceIndex, attempt, kind: 'market_fallback', qty })
  if (child.status === 'rejected') ex.stop('broker_error', `market order rejected: ${child.rejectReason ?? ''}`)
  await ex.orders.awaitMarket(child)
}
