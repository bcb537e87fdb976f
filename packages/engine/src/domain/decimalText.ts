import type { Decimal } from 'decimal.js'
import { Dec } from './dec.js'

/**
 * A price as text at the precision an equity is quoted and reported at: 4 decimals at $1 and above (a
 * sub-penny average of several fills), 6 below; trailing zeros dropped. What the API, the logs and the
 * report show; the engine itself keeps full precision.
 */
export function priceText(price: Decimal | string | number): string {
  const d = new Dec(price)
  return d.toDecimalPlaces(d.abs().gte(1) ? 4 : 6).toFixed()
}

/** A quantity as text: every digit it has (quantities are exact), no exponent. */
export const quantityText = (qty: Decimal | string | number): string => new Dec(qty).toFixed()
