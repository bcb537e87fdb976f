import type { Decimal } from 'decimal.js'
import type { Side } from '../domain/orderIntent.js'
import type { UsableQuote } from '../domain/quote.js'
import { roundToIncrement, roundToTick } from '../domain/tick.js'

/**
 * A limit price `aggression` of the way across the spread from the near side (the bid for a BUY, the
 * ask for a SELL) toward the far side, on the tick — the asset's own price step when the venue gives one
 * (`priceIncrement`, a crypto pair's), else the equity tick — rounded toward the passive side. 0 joins the
 * near side, 1 reaches the far side (marketable).
 */
export function limitPrice(
  quote: Pick<UsableQuote, 'bid' | 'ask'>,
  side: Side,
  aggression: number,
  priceIncrement?: Decimal,
): Decimal {
  const spread = quote.ask.sub(quote.bid)
  const raw = side === 'BUY' ? quote.bid.add(spread.mul(aggression)) : quote.ask.sub(spread.mul(aggression))
  return priceIncrement === undefined ? roundToTick(raw, side) : roundToIncrement(raw, side, priceIncrement)
}

/** Linear from `start` at the first slice to `end` at the last; `start` when there is one slice. */
export const aggressionAt = (k: number, n: number, start: number, end: number): number =>
  n <= 1 ? start : start + ((end - start) * k) / (n - 1)
