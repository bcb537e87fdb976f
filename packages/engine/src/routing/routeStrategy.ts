import type { RouteSpec, RoutingConfig } from '../config/acConfig.js'
import type { OrderIntent, Urgency } from '../domain/orderIntent.js'
import { isStrategyName, STRATEGY_NAMES, type StrategyName } from '../domain/strategyName.js'
import type { Validation, ValidationIssue } from '../domain/validation.js'
import { EngineError } from '../errors.js'

/** HIGH → market, MEDIUM → almgren_chriss, LOW → walk_the_book. */
export const DEFAULT_ROUTES: Readonly<Record<Urgency, RouteSpec>> = {
  HIGH: [{ strategy: 'market', weight: 100 }],
  MEDIUM: [{ strategy: 'almgren_chriss', weight: 100 }],
  LOW: [{ strategy: 'walk_the_book', weight: 100 }],
}

/** 32-bit FNV-1a over the UTF-16 code units of `s`: stable across processes, platforms and versions. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * Checks a route: known strategies, each once, weights non-negative integers with a positive total.
 * Issue paths are indexes into the spec.
 */
export function checkRouteSpec(spec: RouteSpec): Validation<RouteSpec> {
  const issues: ValidationIssue[] = []
  if (!Array.isArray(spec) || spec.length === 0) return { ok: false, issues: [{ path: [], message: 'is empty' }] }
  const seen = new Set<string>()
  spec.forEach((o, i) => {
    if (!isStrategyName(o?.strategy))
      issues.push({
        path: [i],
        message: `unknown strategy "${String(o?.strategy)}" (expected ${STRATEGY_NAMES.join(', ')})`,
      })
    else if (seen.has(o.strategy)) issues.push({ path: [i], message: `strategy "${o.strategy}" listed twice` })
    else seen.add(o.strategy)
    if (!Number.isInteger(o?.weight) || o.weight < 0)
      issues.push({ path: [i], message: 'weight must be a non-negative integer' })
  })
  if (issues.length === 0 && spec.reduce((s, o) => s + o.weight, 0) <= 0)
    issues.push({ path: [], message: 'weights must add up to more than 0' })
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: spec }
}

/**
 * Parses `almgren_chriss` or `almgren_chriss:80,walk_the_book:20`. Weights are non-negative integers
 * with a positive total; a bare name has weight 100.
 */
export function parseRouteSpec(value: string): Validation<RouteSpec> {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
  if (parts.length === 0) return { ok: false, issues: [{ path: [], message: 'is empty' }] }
  const out: { strategy: StrategyName; weight: number }[] = []
  for (const part of parts) {
    const [name, weightText, ...rest] = part.split(':').map((p) => p.trim())
    if (!isStrategyName(name)) {
      return {
        ok: false,
        issues: [{ path: [part], message: `unknown strategy "${name ?? ''}" (expected ${STRATEGY_NAMES.join(', ')})` }],
      }
    }
    if (rest.length > 0 || (weightText !== undefined && !/^\d+$/.test(weightText))) {
      return { ok: false, issues: [{ path: [part], message: 'weight must be a non-negative integer' }] }
    }
    if (weightText === undefined && parts.length > 1) {
      return { ok: false, issues: [{ path: [part], message: 'every strategy of a split needs a weight' }] }
    }
    if (out.some((o) => o.strategy === name)) {
      return { ok: false, issues: [{ path: [part], message: `strategy "${name}" listed twice` }] }
    }
    out.push({ strategy: name, weight: weightText === undefined ? 100 : Number(weightText) })
  }
  return checkRouteSpec(out)
}

/** The strategy a route gives a correlation id, and the hash bucket (0 … total weight − 1) that chose it. */
function pickFromSpec(
  spec: RouteSpec,
  correlationId: string,
): { strategy: StrategyName; bucket: number; total: number } {
  const total = spec.reduce((s, o) => s + o.weight, 0)
  const first = spec[0]
  if (first === undefined || total <= 0)
    throw new EngineError('ENGINE_INVALID_ARGUMENT', 'a route needs a strategy with a positive weight')
  const bucket = spec.length === 1 ? 0 : fnv1a32(correlationId) % total
  let acc = 0
  for (const o of spec) {
    acc += o.weight
    if (bucket < acc) return { strategy: o.strategy, bucket, total }
  }
  return { strategy: first.strategy, bucket, total }
}

/** Picks from a split by the correlation id's hash: the same id always gets the same strategy. */
export function pickWeighted(spec: RouteSpec, correlationId: string): StrategyName {
  return pickFromSpec(spec, correlationId).strategy
}

/** A route as its setting writes it: `almgren_chriss` or `almgren_chriss:20,walk_the_book:80`. */
const formatRouteSpec = (spec: RouteSpec): string =>
  spec.length === 1 ? spec[0]!.strategy : spec.map((o) => `${o.strategy}:${o.weight}`).join(',')

/**
 * Why an intent got its strategy: the intent named it (`intent_strategy`), the symbol's override
 * (`symbol_override`), its urgency's route (`urgency`), or the size rule moved an `almgren_chriss` route
 * to `walk_the_book` because the order is below `routing.acMinAdvPct` of the ADV (`below_ac_min_adv_pct`)
 * or kept it because it is not (`at_or_above_ac_min_adv_pct`).
 */
export type RouteReason =
  'intent_strategy' | 'symbol_override' | 'urgency' | 'below_ac_min_adv_pct' | 'at_or_above_ac_min_adv_pct'

/** The strategy an intent gets and why, as the execution logs and reports it. */
export interface RouteDecision {
  readonly strategy: StrategyName
  /** The rule that decided, as a code (logs, metrics and results carry it as `route_reason`). */
  readonly reason: RouteReason
  /**
   * The same in one line, with the route and, for a split, the correlation id's bucket — `urgency
   * MEDIUM: almgren_chriss:20,walk_the_book:80, bucket 37 of 100`. A retried or resumed intent (same
   * correlation id, same settings) gets the same decision.
   */
  readonly detail: string
}

/** The route an intent gets: its own strategy, then the symbol's override, then its urgency's route. */
export function decideRoute(
  intent: Pick<OrderIntent, 'symbol' | 'urgency' | 'correlationId' | 'strategy'>,
  routing: RoutingConfig,
): RouteDecision {
  if (intent.strategy !== undefined)
    return { strategy: intent.strategy, reason: 'intent_strategy', detail: `intent strategy ${intent.strategy}` }
  const override = routing.symbolOverrides[intent.symbol]
  const spec = override ?? routing.byUrgency[intent.urgency]
  const { strategy, bucket, total } = pickFromSpec(spec, intent.correlationId)
  const rule = override ? `symbol ${intent.symbol}` : `urgency ${intent.urgency}`
  const split = spec.length > 1 ? `, bucket ${bucket} of ${total}` : ''
  return {
    strategy,
    reason: override ? 'symbol_override' : 'urgency',
    detail: `${rule}: ${formatRouteSpec(spec)}${split}`,
  }
}

/** The strategy for an intent (`decideRoute` without the reason). */
export function routeStrategy(
  intent: Pick<OrderIntent, 'symbol' | 'urgency' | 'correlationId' | 'strategy'>,
  routing: RoutingConfig,
): StrategyName {
  return decideRoute(intent, routing).strategy
}
