import { planSliceQty, type KernelSchedule } from '../config/kernelParams.js'
import type { AcStrategyParams } from '../config/acConfig.js'
import type { Execution } from './execution.js'
import { aggressionAt, limitPrice } from './limitPrice.js'

/**
 * Almgren–Chriss (and TWAP, λ = 0) execution of a precomputed schedule. Slice k starts at t_k = kτ from
 * the start: a fresh quote, a limit order for (what is left) × (the schedule's fraction of what is left
 * at t_k) — which is exactly re-planning the remainder over the remaining slices, the AC trajectory
 * being time-consistent — at the slice's aggression; it rests AC_SLICE_WAIT_SECONDS, then is cancelled
 * and the cancel confirmed. A slice that rounds to zero lots is merged into the next. After the last
 * slice the remainder goes out as a market order when AC_MARKET_FALLBACK is on.
 */
export async function runAlmgrenChriss(ex: Execution, params: AcStrategyParams, schedule: KernelSchedule): Promise<void> {
  const n = schedule.fractionOfRemaining.length
  const start = ex.startedAt
  for (let k = 0; k < n; k++) {
    const startsAt = start + (schedule.startSeconds[k] as number) * 1000
    if (ex.resuming && startsAt < ex.runStartedAt) continue // begun before the restart: re-planned into later slices
    await ex.sleepUntil(startsAt)
    if (ex.aborted) return
    const left = ex.remainingLots()
    if (!left.gt(0)) return
    const qty = k === n - 1 ? left : planSliceQty(left, schedule.fractionOfRemaining[k] as number, ex.lot)
    if (!qty.gt(0)) {
      ex.log.debug({ ...ex.fields(), slice_index: k }, 'Slice rounds to zero; merged into the next')
      continue
    }
    const quote = await ex.quote()
    if (quote === null) {
      ex.log.warn({ ...ex.fields(), slice_index: k }, 'No usable quote for slice; remainder re-planned')
      continue
    }
    const aggression = aggressionAt(k, n, params.startAggression, params.endAggression)
    const px = limitPrice(quote, ex.intent.side, aggression)
    const child = await ex.place({ sliceIndex: k, attempt: 0, kind: 'limit', qty, limitPrice: px, aggression, quoteFlags: quote.flags })
    await ex.rest(child, params.sliceWaitSeconds * 1000)
  }
  if (ex.aborted) return
  const qty = ex.remainingLots()
  if (!qty.gt(0)) return
  if (!params.marketFallback) return
  ex.marketFallbackUsed = true
  ex.log.warn({ ...ex.fields(), remaining_qty: qty.toNumber() }, 'Market order fallback')
  const child = await ex.place({ sliceIndex: n, attempt: 0, kind: 'market_fallback', qty })
  if (child.status === 'rejected') ex.stop('broker_error', `market order rejected: ${child.rejectReason ?? ''}`)
  await ex.awaitMarket(child)
}
