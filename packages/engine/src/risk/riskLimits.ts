import type { Decimal } from 'decimal.js'
import { Dec } from '../domain/dec.js'

/**
 * Pre-trade limits every child order passes before it is journaled and sent (and every intent before it
 * is admitted). Quantities and notionals are decimals; notional is in the quote currency (USD).
 *
 * | field                   | env                               | default   |
 * |-------------------------|-----------------------------------|-----------|
 * | maxOrderQuantity        | RISK_MAX_ORDER_QUANTITY           | 1,000,000 |
 * | maxOrderNotional        | RISK_MAX_ORDER_NOTIONAL           | 1,000,000 |
 * | maxChildOrdersPerMinute | RISK_MAX_CHILD_ORDERS_PER_MINUTE  | 600       |
 * | priceCollarBps          | RISK_PRICE_COLLAR_BPS             | 500       |
 * | blockedSymbols          | RISK_BLOCKED_SYMBOLS              | none      |
 */
export interface RiskLimits {
  /** Largest quantity of one parent order (and so of any child). */
  readonly maxOrderQuantity: Decimal
  /** Largest notional of one parent order at the arrival quote's mid, and of one child at its price. */
  readonly maxOrderNotional: Decimal
  /** Child orders the engine may send in any 60 s window, across all executions (a runaway-loop guard). */
  readonly maxChildOrdersPerMinute: number
  /** A limit price farther than this from the current mid, in bps of the mid, is refused. */
  readonly priceCollarBps: number
  /** Symbols nothing may be sent for. */
  readonly blockedSymbols: ReadonlySet<string>
}

/** Which limit refused an order. The codes name the setting that holds the limit. */
export const RISK_CHECKS = {
  RISK_HALTED: 'Trading is halted (POST /v1/admin/resume lifts it)',
  RISK_BLOCKED_SYMBOLS: 'The symbol is blocked',
  RISK_MAX_ORDER_QUANTITY: 'The quantity exceeds the largest order allowed',
  RISK_MAX_ORDER_NOTIONAL: 'The notional exceeds the largest order allowed',
  RISK_MAX_CHILD_ORDERS_PER_MINUTE: 'Too many child orders in the last minute',
  RISK_PRICE_COLLAR_BPS: 'The limit price is too far from the mid',
  RISK_NO_PRICE: 'No price to check the notional against',
} as const

export type RiskCheckCode = keyof typeof RISK_CHECKS

/** A refusal: which limit, and a message with the figures. */
export interface RiskRefusal {
  readonly code: RiskCheckCode
  readonly message: string
}

/**
 * No limit at all, for research on a simulated market (a Monte Carlo of a 5 M USD order is not a fat
 * finger). Never for an engine that trades at a real venue.
 */
export const UNLIMITED_RISK: RiskLimits = {
  maxOrderQuantity: new Dec('1e30'),
  maxOrderNotional: new Dec('1e30'),
  maxChildOrdersPerMinute: Number.MAX_SAFE_INTEGER,
  priceCollarBps: Number.POSITIVE_INFINITY,
  blockedSymbols: new Set(),
}
