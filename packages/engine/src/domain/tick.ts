import { Decimal } from 'decimal.js'
import { Dec } from './dec.js'

const CENT = new Dec('0.01')
const SUB_PENNY = new Dec('0.0001')

/** The price increment: $0.01 at or above $1, $0.0001 below. */
export const tickSize = (price: Decimal): Decimal => (price.gte(1) ? CENT : SUB_PENNY)

/**
 * Puts a price on a price step, rounding toward the passive side: down for a BUY (pay less), up for a
 * SELL (receive more). Never returns a price of zero or less; the smallest is one step.
 */
export function roundToIncrement(price: Decimal, side: 'BUY' | 'SELL', increment: Decimal): Decimal {
  const rounded = price
    .div(increment)
    .toDecimalPlaces(0, side === 'BUY' ? Decimal.ROUND_FLOOR : Decimal.ROUND_CEIL)
    .mul(increment)
  return rounded.gt(0) ? rounded : increment
}

/**
 * Puts a price on the equity tick (`tickSize`) as `roundToIncrement` does. Rounding $1.00001 down for a
 * buy gives $1.00, on the cent grid; rounding 0.99999 up for a sell gives 1.0000 on the sub-penny grid,
 * also on the cent grid; only a price below one sub-penny tick comes back as that tick.
 */
export const roundToTick = (price: Decimal, side: 'BUY' | 'SELL'): Decimal =>
  roundToIncrement(price, side, tickSize(price))

/** True when the price is a positive multiple of its tick. */
export const isOnTick = (price: Decimal): boolean => price.gt(0) && price.mod(tickSize(price)).isZero()
