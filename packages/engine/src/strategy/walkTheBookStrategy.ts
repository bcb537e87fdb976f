import type { Execution } from '../execution/execution.js'
import { sendMarketFallback } from '../execution/marketFallback.js'
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
    const quote = await ex.venue.quote()
    if (quote === null) continue
    const px = limitPrice(quote, ex.intent.side, step, ex.priceIncrement)
    const child = await ex.orders.place({
      sliceIndex: 0,
      attempt: i,
      kind: 'limit',
      qty,
      limitPrice: px,
      aggression: step,
      quoteFlags: quote.flags,
    })
    await ex.orders.rest(child, stepWaitSeconds * 1000)
  }
  await sendMarketFallback(ex, 0, priceSteps.length)
}
