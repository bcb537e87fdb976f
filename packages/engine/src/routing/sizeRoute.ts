import type { RoutingConfig } from '../config/acConfig.js'
import type { MarketStats } from '../config/impactModel.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import type { StrategyName } from '../domain/strategyName.js'
import { routeStrategy } from './routeStrategy.js'

/**
 * Why an intent got its strategy: the intent named it (`intent_strategy`), the symbol's override
 * (`symbol_override`), its urgency's route (`urgency`), or the size rule moved an `almgren_chriss` route
 * to `walk_the_book` because the order is below `routing.acMinAdvPct` of the ADV (`below_ac_min_adv_pct`)
 * or kept it because it is not (`at_or_above_ac_min_adv_pct`).
 */
export type RouteReason =
  'intent_strategy' | 'symbol_override' | 'urgency' | 'below_ac_min_adv_pct' | 'at_or_above_ac_min_adv_pct'

export interface RouteDecision {
  readonly strategy: StrategyName
  readonly reason: RouteReason
}

/**
 * `routeStrategy`, then the size rule: an order routed to `almgren_chriss` (by urgency or a symbol's
 * override, never one whose intent named it) whose size is below `routing.acMinAdvPct` % of the ADV goes
 * to `walk_the_book` — the touch absorbs it, and slicing would only add time and price risk (see the
 * size sweep in the service README). The rule needs a measured ADV (venue or override): on the
 * configured default it does not apply.
 */
export function routeBySize(
  intent: Pick<OrderIntent, 'symbol' | 'urgency' | 'correlationId' | 'strategy' | 'quantity'>,
  routing: RoutingConfig,
  stats: MarketStats | null,
): RouteDecision {
  const strategy = routeStrategy(intent, routing)
  if (intent.strategy !== undefined) return { strategy, reason: 'intent_strategy' }
  const base: RouteReason = routing.symbolOverrides[intent.symbol] !== undefined ? 'symbol_override' : 'urgency'
  const min = routing.acMinAdvPct
  if (strategy !== 'almgren_chriss' || min === null || stats === null || stats.advSource === 'default')
    return { strategy, reason: base }
  const pct = intent.quantity.div(stats.adv).mul(100)
  return pct.lt(min)
    ? { strategy: 'walk_the_book', reason: 'below_ac_min_adv_pct' }
    : { strategy, reason: 'at_or_above_ac_min_adv_pct' }
}
