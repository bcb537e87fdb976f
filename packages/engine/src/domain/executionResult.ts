import type { Decimal } from 'decimal.js'
import type { OrderStatus } from './childOrder.js'
import type { ClientOrderId, ParentOrderId } from './ids.js'
import type { QuoteFlag } from './quote.js'
import type { StrategyName } from './strategyName.js'
import type { RiskCheckCode } from '../risk/riskLimits.js'
import type { MarketStats } from '../config/impactModel.js'
import type { ParticipationCapEffect } from '../execution/planExecution.js'
import type { RouteReason } from '../routing/routeStrategy.js'

/** Why the venue cannot take an intent: checked at intake and at the start of a run, with these codes. */
export type VenueRefusalCode =
  | 'asset_not_found'
  | 'asset_not_tradable'
  | 'fractional_not_allowed'
  /** Smaller than the venue's minimum order size (a crypto pair's `min_order_size`). */
  | 'below_min_order_size'
  | 'insufficient_position'
  | 'broker_error'

/** Why an execution did not complete. */
export type ExecutionFailureCode =
  | 'no_quote_available'
  | VenueRefusalCode
  | 'cancel_unconfirmed'
  /** A submit's outcome stayed unknown (the order may exist): nothing more was sent or re-planned. */
  | 'outcome_unknown'
  /** The risk gate refused an order (`riskCode` names the limit). */
  | 'risk_limit'
  /** Stopped by the kill switch. */
  | 'halted'
  /** The market is closed (or closes within the close margin): nothing was sent; `retryAtMs` says when it opens. */
  | 'market_closed'
  | 'aborted'
  /** Stopped at a safe point to be resumed later (a shutdown, a lost lease): not a finish. */
  | 'paused'
  | 'partially_filled'
  | 'not_filled'

export interface ExecutionFailure {
  readonly code: ExecutionFailureCode
  readonly message: string
  /** The broker error code when a broker error caused it. */
  readonly brokerCode?: string
  /** For `risk_limit`: the limit that refused the order. */
  readonly riskCode?: RiskCheckCode
  /** For `market_closed`: when the market opens next (epoch ms). */
  readonly retryAtMs?: number
}

/** One child order sent for a slice (or a walk-the-book step, or the market fallback). */
export interface SliceAttempt {
  readonly sliceIndex: number
  readonly attempt: number
  readonly clientOrderId: ClientOrderId
  readonly kind: 'limit' | 'market' | 'market_fallback'
  readonly qty: Decimal
  readonly limitPrice?: Decimal
  /** Fraction of the spread from the near side toward the far side (limit orders). */
  readonly aggression?: number
  readonly filledQty: Decimal
  readonly avgFillPrice: Decimal
  readonly status: OrderStatus
  /** Filled quantity that arrived after the cancel request (a fill racing the cancel). */
  readonly lateFillQty: Decimal
  readonly submittedAt: number
  readonly completedAt: number
  readonly quoteFlags: readonly QuoteFlag[]
}

/** The outcome of `engine.execute`. */
export interface ExecutionResult {
  readonly executionId: ParentOrderId
  readonly correlationId: string
  readonly symbol: string
  readonly side: 'BUY' | 'SELL'
  /** True when the whole quantity filled. */
  readonly success: boolean
  readonly executionStrategy: StrategyName
  /** Schedule slices that sent at least one order (the market fallback is not counted). */
  readonly slicesUsed: number
  readonly requestedQuantity: Decimal
  readonly totalFilled: Decimal
  /** Volume-weighted over all fills; zero when nothing filled. */
  readonly avgFillPrice: Decimal
  /** 0–100. */
  readonly fillPercentage: number
  readonly executionTimeSeconds: number
  readonly marketFallbackUsed: boolean
  /** Mid of the arrival quote; null when there was no usable quote (HIGH urgency may proceed). */
  readonly arrivalMid: Decimal | null
  /** (avg − arrival mid)/arrival mid in bps, signed so that positive is a cost (for a SELL, negated). */
  readonly implementationShortfallBps: number | null
  /** Pre-trade expected cost E from the Almgren–Chriss model, bps of arrival notional (AC and TWAP only). */
  readonly expectedCostBps: number | null
  /** Pre-trade standard deviation √V of the cost, bps of arrival notional (AC and TWAP only). */
  readonly expectedStdBps: number | null
  /** How long the plan spanned, seconds (see `ExecutionPlan.horizonSeconds`); null when it never planned. */
  readonly horizonSeconds: number | null
  /** When the horizon was cut to end before the close: the configured T, seconds; null otherwise. */
  readonly horizonShortenedFromSeconds: number | null
  /** Why the intent got `executionStrategy` (the intent named it, a symbol override, its urgency, or the size rule). */
  readonly routeReason: RouteReason
  /** The same in one line (`RouteDecision.detail`): `urgency MEDIUM: almgren_chriss:20,walk_the_book:80, bucket 37 of 100`. */
  readonly routeDetail: string
  /** The σ and ADV the execution was planned with, each with its source (`override`, `venue`, `default`); null when it never planned. */
  readonly marketStats: MarketStats | null
  /** The order's size, % of the ADV; null when it never planned. */
  readonly orderPctAdv: number | null
  /** Planned average participation (Q/T)/V̄; null for a market order or when it never planned. */
  readonly participationRate: number | null
  /** What the participation cap did (horizon extended, slices over the cap); null when it did not apply. */
  readonly participationCap: ParticipationCapEffect | null
  readonly attempts: readonly SliceAttempt[]
  readonly error?: ExecutionFailure
  readonly startedAt: number
  readonly finishedAt: number
}
