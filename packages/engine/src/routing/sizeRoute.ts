import type { RoutingConfig } from '../config/acConfig.js'
import type { MarketStats } from '../config/impactModel.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import { decideRoute, type RouteDecision } from './routeStrategy.js'

/**
 * `decideRoute`, then the size rule: an order routed to `almgren_chriss` (by urgency or a symbol's
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
  const base = decideRoute(intent, routing)
  const min = routing.acMinAdvPct
  if (base.reason === 'intent_strategy' || base.strategy !== 'almgren_chriss' || min === null) return base
  if (stats === null || stats.advSource === 'default') return base
  const pct = intent.quantity.div(stats.adv).mul(100)
  const size = `${pct.toSignificantDigits(3).toString()}% of ADV`
  return pct.lt(min)
    ? {
        strategy: 'walk_the_book',
        reason: 'below_ac_min_adv_pct',
        detail: `${base.detail}; ${size} is below the AC minimum of ${min}%: walk_the_book`,
      }
    : { ...base, reason: 'at_or_above_ac_min_adv_pct', detail: `${base.detail}; ${size}, at or above ${min}%` }
}
