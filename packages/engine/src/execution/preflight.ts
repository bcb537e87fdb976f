import type { Execution } from './execution.js'
import { checkAtVenue } from './venueChecks.js'

/** The venue's checks at the start of a run (see `checkAtVenue`); a failure stops it, nothing sent. */
export async function preflight(ex: Execution): Promise<void> {
  const checked = await checkAtVenue(
    (op, fn) => ex.venue.call(op, fn),
    ex.deps.broker,
    ex.deps.config,
    ex.intent,
    ex.remaining(),
  )
  if (!checked.ok) ex.stop(checked.refusal.code, checked.refusal.message, checked.refusal.brokerCode)
  ex.setLot(checked.lot)
  ex.setPriceIncrement(checked.priceIncrement)
  ex.setMinOrderSize(checked.minOrderSize)
  ex.setAroundTheClock(checked.aroundTheClock)
}
