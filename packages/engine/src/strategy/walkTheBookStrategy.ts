import type { Execution } from './execution.js'
import { limitPrice } from './limitPrice.js'

/**
 * One limit order repriced through WTB_PRICE_STEPS (fractions of the spread from the near side), each
 * resting WTB_STEP_WAIT_SECONDS and cancelled (confirmed) before the next, which sends only what is
 * left; then a market order for the rest. Client order ids: slice 0, attempt = step (the market order
 * is attempt = number of steps).
 */
export async function runWalkTheBook(ex: Execution): Promise<void> {
  const { priceSteps, stepWaitSeconds } = ex.deps.config.walkTheBook
  for (const [i, step] of priceSteps.entries()) {
    if (ex.aborted) return
    const qty = ex.remainingLots()
    if (!qty.gt(0)) return
    const quote = await ex.quote()
    if (quote === null) continue
    const px = limitPrice(quote, ex.intent.side, step)
    const child = await ex.place({ sliceIndex: 0, attempt: i, kind: 'limit', qty, limitPrice: px, aggression: step, quoteFlags: quote.flags })
    await ex.rest(child, stepWaitSeconds * 1000)
  }
  if (ex.aborted) return
  const qty = ex.remainingLots()
  if (!qty.gt(0)) return
  ex.marketFallbackUsed = true
  ex.log.warn({ ...ex.fields(), remaining_qty: qty.toNumber() }, 'Market order fallback')
  const child = await ex.place({ sliceIndex: 0, attempt: priceSteps.length, kind: 'market_fallback', qty })
  if (child.status === 'rejected') ex.stop('broker_error', `market order rejected: ${child.rejectReason ?? ''}`)
  await ex.awaitMarket(child)
}
