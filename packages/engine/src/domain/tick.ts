import { Decimal } from 'decimal.js'
import { Dec } from './dec.js'

const CENT = new Dec('0.01')
const SUB_PENNY = new Dec('0.0001')

/** The price increment: $0.01 at or above $1, $0.0001 below. */
export const tickSize = (price: Decimal): Decimal => (price.gte(1) ? CENT : SUB_PENNY)

/**
 * Puts a price on the tick, rounding toward the passive side: down for a BUY (pay less), up for a SELL
 * (receive more). Never returns a price of zero or less; the smallest is one sub-penny tick.
 */
export function roundToTick(price: Decimal, side: 'BUY' | 'SELL'): Decimal {
  const tick = tickSize(price)
  const rounded = price
    .div(tick)
    .toDecimalPlaces(0, side === 'BUY' ? Decimal.ROUND_FLOOR : Decimal.ROUND_CEIL)
    .mul(tick)
  // Rounding $1.00001 down for a buy gives $1.00 (on the cent grid): fine. Rounding 0.99999 up for a
  // sell gives 1.0000 on the sub-penny grid, also on the cent grid. Guard the floor only.
  return rounded.gt(0) ? rounded : SUB_PENNY
}

/**
 * Puts a price on a venue's own price step (a crypto pair's `price_increment`), rounding toward the
 * passive side as `roundToTick` does; never below one step.
 */
export function roundToIncrement(price: Decimal, side: 'BUY' | 'SELL', increment: Decimal): Decimal {
  const rounded = price
    .div(increment)
    .toDecimalPlaces(0, side === 'BUY' ? Decimal.ROUND_FLOOR : Decimal.ROUND_CEIL)
    .mul(increment)
  return rounded.gt(0) ? rounded : increment
}

/** True when the price is a positive multiple of its tick. */
export const isOnTick = (price: Decimal): boolean => price.gt(0) && price.mod(tickSize(price)).isZero()
