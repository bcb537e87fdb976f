import type { Decimal } from 'decimal.js'
import type { DailyStats } from '../ports/broker.js'
import type { AcConfig, AcStrategyParams, ImpactParams } from './acConfig.js'

/** Where a statistic came from: a per-symbol setting, the venue's daily bars, or the configured default. */
export type StatsSource = 'override' | 'venue' | 'default'

/** The σ and ADV an order is planned with, and where each came from. */
export interface MarketStats {
  /** Average daily volume, shares per day (> 0). */
  readonly adv: Decimal
  /** Daily volatility of returns (fraction). */
  readonly dailyVolatility: number
  readonly advSource: StatsSource
  readonly volatilitySource: StatsSource
}

/**
 * A symbol's σ and ADV: a per-symbol override (AC_SYMBOL_ADV, AC_SYMBOL_VOLATILITY) wins, then what the
 * venue measured (`getDailyStats`), then the configured default (AC_DEFAULT_ADV, AC_VOLATILITY or the
 * symbol's profile). A venue figure that is not finite and positive is ignored.
 */
export function resolveMarketStats(config: AcConfig, symbol: string, venue: DailyStats | null): MarketStats {
  const override = config.marketStats.bySymbol[symbol]
  const venueAdv = venue !== null && venue.adv.isFinite() && venue.adv.gt(0) ? venue.adv : null
  const venueVol =
    venue !== null && Number.isFinite(venue.dailyVolatility) && venue.dailyVolatility > 0 ? venue.dailyVolatility : null
  const [adv, advSource]: [Decimal, StatsSource] =
    override?.adv !== undefined
      ? [override.adv, 'override']
      : venueAdv !== null
        ? [venueAdv, 'venue']
        : [config.marketStats.defaultAdv, 'default']
  const [dailyVolatility, volatilitySource]: [number, StatsSource] =
    override?.volatility !== undefined
      ? [override.volatility, 'override']
      : venueVol !== null
        ? [venueVol, 'venue']
        : [(config.acBySymbol[symbol] ?? config.ac).volatility, 'default']
  return { adv, dailyVolatility, advSource, volatilitySource }
}

/** The market's average trading rate V̄ = ADV / trading-day seconds, shares per second. */
export const marketRate = (adv: Decimal, tradingDaySeconds: number): number => adv.toNumber() / tradingDaySeconds

/** Participation v/V̄ of trading `shares` evenly over `seconds` (null for an instant, `seconds` ≤ 0). */
export const participationOf = (
  shares: number,
  seconds: number,
  adv: Decimal,
  tradingDaySeconds: number,
): number | null => (seconds > 0 ? shares / seconds / marketRate(adv, tradingDaySeconds) : null)

/**
 * The Almgren–Chriss parameters an order of `quantity` shares is planned with: under the participation
 * model, the kernel's linear η and γ (and σ) for this order and this symbol's statistics; under
 * `order_fraction`, `params` unchanged.
 *
 * Derivation. The participation model (Almgren, Thum, Hauptmann & Li 2005, linearised) charges, per
 * share and as a fraction of the price,
 *
 *     temporary  h(v) = ε + η·σ·(v/V̄)          v our rate (shares/s), V̄ = ADV/D the market's rate,
 *     permanent  Δ    = γ·σ·(n/ADV)            for n shares traded,
 *
 * with σ the daily volatility and D = `tradingDaySeconds`. The kernel works in the engine's units
 * (`toKernelParams`): quantity as a fraction of the order Q (x = shares/Q), price as a fraction of the
 * arrival price, time in seconds. A rate v = Q·v̂ with v̂ in fractions of the order per second, so
 *
 *     h = ε + η·σ·Q·D/ADV · v̂      ⇒  η_kernel = η·σ·Q·D / ADV   (fraction of price per (fraction/s))
 *     Δ = γ·σ·Q/ADV · x̂            ⇒  γ_kernel = γ·σ·Q / ADV     (fraction of price per fraction)
 *
 * and the kernel's σ per √s is σ/√D as before. The model stays linear, so the WebAssembly core is
 * unchanged and E, V and κ keep their closed forms; what changes is that η_kernel and γ_kernel grow with
 * Q/ADV, so the cost in bps of trading evenly over T is η·σ·(Q/T)/V̄ + ½·γ·σ·Q/ADV (+ ε): it grows with
 * the order's size and speed relative to the market's volume. κ falls as Q grows (η_kernel ∝ Q while the
 * risk term, a fraction of notional, does not), so larger orders are traded more evenly.
 */
export function impactKernelParams(
  params: AcStrategyParams,
  impact: ImpactParams,
  stats: MarketStats,
  quantity: Decimal,
  tradingDaySeconds: number,
): AcStrategyParams {
  if (impact.model === 'order_fraction') return params
  const sigma = stats.dailyVolatility
  const qOverAdv = quantity.div(stats.adv).toNumber()
  return {
    ...params,
    volatility: sigma,
    temporaryImpact: impact.eta * sigma * qOverAdv * tradingDaySeconds,
    permanentImpact: impact.gamma * sigma * qOverAdv,
  }
}
