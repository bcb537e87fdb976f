import { Decimal } from 'decimal.js'

/**
 * The one decimal constructor for money and quantities: 34 significant digits, banker's rounding.
 * A clone, so consumers' own `Decimal` settings are never touched (never call `Decimal.set`).
 */
export const Dec = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_EVEN })

/** What a `Dec` value is typed as (instances of any decimal.js clone share the `Decimal` type). */
export type Dec = Decimal

export const ZERO: Decimal = new Dec(0)

/** True for a decimal.js instance from any clone or copy of the library. */
export const isDecimal = (v: unknown): v is Decimal => Decimal.isDecimal(v) || Dec.isDecimal(v)

/** Round down to a multiple of `lot` (> 0). */
export const floorToLot = (qty: Decimal, lot: Decimal): Decimal =>
  qty.div(lot).toDecimalPlaces(0, Decimal.ROUND_FLOOR).mul(lot)
