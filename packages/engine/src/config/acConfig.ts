import type { StrategyName } from '../domain/strategyName.js'
import type { RiskLimits } from '../risk/riskLimits.js'
import type { Urgency } from '../domain/orderIntent.js'
import type { Decimal } from 'decimal.js'

/** Almgren–Chriss presets. */
export const PROFILE_NAMES = ['large_cap', 'mid_cap', 'small_cap'] as const
export type ProfileName = (typeof PROFILE_NAMES)[number]

/**
 * Parameters of the `almgren_chriss` (and `twap`) strategy for one symbol (the service sets them from the
 * environment variables named here; see its README):
 *
 * | field            | env                  | paper | unit                                                             |
 * |------------------|----------------------|-------|------------------------------------------------------------------|
 * | riskAversion     | AC_RISK_AVERSION     | λ     | per unit of variance of cost, cost as a fraction of arrival notional |
 * | volatility       | AC_VOLATILITY        | σ     | daily volatility of returns (fraction)                            |
 * | temporaryImpact  | AC_TEMP_IMPACT       | η     | fraction of arrival price per (fraction of the order per second)  |
 * | permanentImpact  | AC_PERM_IMPACT       | γ     | fraction of arrival price per fraction of the order               |
 * | numSlices        | AC_NUM_SLICES        | N     | count                                                             |
 * | totalTimeSeconds | AC_TOTAL_TIME_SECONDS| T     | seconds                                                           |
 */
export interface AcStrategyParams {
  readonly profile: ProfileName
  readonly riskAversion: number
  readonly volatility: number
  readonly temporaryImpact: number
  readonly permanentImpact: number
  readonly numSlices: number
  readonly totalTimeSeconds: number
  /** How long each slice's limit order rests before it is cancelled; ≤ T/N. */
  readonly sliceWaitSeconds: number
  /** Send the unfilled remainder as a market order after the last slice. */
  readonly marketFallback: boolean
  /** Limit price as a fraction of the spread from the near side toward the far side, first slice. */
  readonly startAggression: number
  /** The same for the last slice; linear in between. */
  readonly endAggression: number
}

export interface WalkTheBookParams {
  /** Successive limit prices as fractions of the spread from the near side; then a market order. */
  readonly priceSteps: readonly number[]
  readonly stepWaitSeconds: number
}

/** One strategy's share of an urgency (or symbol); weights are relative (need not sum to 100). */
export interface RouteWeight {
  readonly strategy: StrategyName
  readonly weight: number
}
export type RouteSpec = readonly RouteWeight[]

export interface RoutingConfig {
  readonly byUrgency: Readonly<Record<Urgency, RouteSpec>>
  readonly symbolOverrides: Readonly<Record<string, RouteSpec>>
  /**
   * Size-aware routing (ROUTE_AC_MIN_ADV_PCT): an order routed to `almgren_chriss` whose size is below
   * this percentage of the symbol's average daily volume goes to `walk_the_book` instead — where the
   * touch absorbs it and slicing buys nothing but time. Applies only when the ADV is known (venue or
   * override), never on the configured default; null: off.
   */
  readonly acMinAdvPct: number | null
}

/** How impact scales: with the order's participation in the market (default) or per fraction of the order. */
export const IMPACT_MODELS = ['participation', 'order_fraction'] as const
export type ImpactModelName = (typeof IMPACT_MODELS)[number]

/**
 * The market-impact model (AC_IMPACT_MODEL, AC_IMPACT_ETA, AC_IMPACT_GAMMA, AC_MAX_PARTICIPATION,
 * AC_MAX_HORIZON_SECONDS). With `participation`, the temporary impact per share as a fraction of price is
 * ε + η·σ·(v/V̄) and the permanent impact γ·σ·(traded/ADV); `impactKernelParams` maps it onto the
 * kernel's linear parameters. With `order_fraction`, `ac.temporaryImpact` / `ac.permanentImpact` are
 * used as given (per fraction of the order, the rollout guide's semantics).
 */
export interface ImpactParams {
  readonly model: ImpactModelName
  /** η, dimensionless: temporary impact in units of daily σ per unit of participation v/V̄. */
  readonly eta: number
  /** γ, dimensionless: permanent impact in units of daily σ per unit of traded/ADV. */
  readonly gamma: number
  /** Largest participation v/V̄ of one slice (0 < p ≤ 1), or null for no cap. */
  readonly maxParticipation: number | null
  /** How far the participation cap may extend an Almgren–Chriss horizon, seconds. */
  readonly maxHorizonSeconds: number
}

/** A symbol's average daily volume and daily volatility as configured (AC_SYMBOL_ADV, AC_SYMBOL_VOLATILITY). */
export interface SymbolStatsOverride {
  /** Shares per day. */
  readonly adv?: Decimal
  /** Daily volatility of returns (fraction). */
  readonly volatility?: number
}

/** Where σ and ADV come from when the venue cannot say, and per-symbol overrides that win over the venue. */
export interface MarketStatsConfig {
  /** ADV when neither an override nor the venue gives one, shares per day (AC_DEFAULT_ADV). */
  readonly defaultAdv: Decimal
  readonly bySymbol: Readonly<Record<string, SymbolStatsOverride>>
}

/** Timeouts and retries of the executor itself. */
export interface ExecutionParams {
  /** How often an order is polled while waiting for a cancel (or a market order) to complete. */
  readonly orderPollIntervalSeconds: number
  /** Give up (and send nothing more) when a cancel is not confirmed within this time. */
  readonly cancelConfirmTimeoutSeconds: number
  /** How long a market order may take to fill before it is cancelled. */
  readonly marketOrderTimeoutSeconds: number
  /** Retries of a retryable broker error (same request, same client order id). */
  readonly brokerMaxRetries: number
  /** First backoff; doubles per retry (a rate-limit's retry-after wins when longer). */
  readonly brokerRetryBaseSeconds: number
  /**
   * After a submit whose outcome is unknown (lost answer, `BROKER_UNKNOWN_OUTCOME`), how long the order
   * is looked up by client order id before the execution stops, sending nothing more and re-planning
   * nothing: the child stays open-ended until a later reconciliation finds out what became of it.
   */
  readonly unknownOutcomeTimeoutSeconds: number
  /**
   * An execution ends this long before the session closes: a schedule that would run past it is cut
   * short (and re-optimised) to end here, and none starts inside it. Seconds.
   */
  readonly closeMarginSeconds: number
}

/** The engine's whole configuration, as produced by `createAcConfig`. */
export interface AcConfig {
  /** AC parameters for symbols without a profile of their own (`ac.profile` plus the explicit values). */
  readonly ac: AcStrategyParams
  /** Per-symbol AC parameters from `symbolProfiles` (the explicit `ac` values still win). */
  readonly acBySymbol: Readonly<Record<string, AcStrategyParams>>
  readonly walkTheBook: WalkTheBookParams
  readonly routing: RoutingConfig
  /** Seconds in a trading day, to turn the daily volatility into a per-second one. */
  readonly tradingDaySeconds: number
  /** A quote older than this is refetched (and refused if still stale). */
  readonly quoteMaxAgeSeconds: number
  /** Allow fractional quantities on fractionable assets. */
  readonly fractionalTrading: boolean
  readonly execution: ExecutionParams
  /** Pre-trade limits (RISK_*), checked for every intent and every child order. */
  readonly risk: RiskLimits
  readonly impact: ImpactParams
  readonly marketStats: MarketStatsConfig
}

/** The AC parameters that apply to `symbol`. */
export const acParamsFor = (config: AcConfig, symbol: string): AcStrategyParams =>
  config.acBySymbol[symbol] ?? config.ac
