import type { AcStrategyParams } from '../config/acConfig.js'
import type { Execution } from '../execution/execution.js'
import { sendMarketFallback } from '../execution/marketFallback.js'
import type { SliceSchedule } from '../execution/sliceSchedule.js'
import { aggressionAt, limitPrice } from './limitPrice.js'

/**
 * Almgren–Chriss (and TWAP, λ = 0) execution of a schedule. At each slice's start: a fresh quote, a
 * limit order for the slice's share of what is left at the slice's aggression; it rests
 * AC_SLICE_WAIT_SECONDS, then is cancelled and the cancel confirmed. A slice that rounds to zero lots, or
 * falls below the venue's minimum order size, is merged into the next. After the last slice the remainder goes out as a market order when
 * AC_MARKET_FALLBACK is on.
 */
export async function runAlmgrenChriss(
  ex: Execution,
  params: AcStrategyParams,
  schedule: SliceSchedule,
): Promise<void> {
  const n = schedule.count
  for (let k = 0; k < n; k++) {
    const startsAt = schedule.startsAt(k)
    if (ex.resuming && startsAt < ex.runStartedAt) continue // begun before the restart: re-planned into later slices
    await ex.sleepUntil(startsAt)
    if (ex.aborted) return
    const left = ex.remainingLots()
    if (!left.gt(0)) return
    const qty = ex.sliceQuantity(schedule.quantity(k, left, ex.lot), left)
    if (!qty.gt(0)) {
      ex.log.debug({ ...ex.fields(), slice_index: k }, 'Slice below a lot or the minimum order; merged into the next')
      continue
    }
    const quote = await ex.venue.quote()
    if (quote === null) {
      ex.log.warn({ ...ex.fields(), slice_index: k }, 'No usable quote for slice; remainder re-planned')
      continue
    }
    const aggression = aggressionAt(k, n, params.startAggression, params.endAggression)
    const px = limitPrice(quote, ex.intent.side, aggression, ex.priceIncrement)
    const child = await ex.orders.place({
      sliceIndex: k,
      attempt: 0,
      kind: 'limit',
      qty,
      limitPrice: px,
      aggression,
      quoteFlags: quote.flags,
    })
    await ex.orders.rest(child, params.sliceWaitSeconds * 1000)
  }
  if (params.marketFallback) await sendMarketFallback(ex, n, 0)
}
