import { loadAcCoreSync, type AcCoreApi } from '@acx/ac-core-wasm'
import type { AcConfig, AcStrategyParams } from './config/acConfig.js'
import { createAcConfig } from './config/createAcConfig.js'
import { toKernelParams } from './config/kernelParams.js'
import type { Decimal } from 'decimal.js'
import type { ChildOrder } from './domain/childOrder.js'
import type { ExecutionResult } from './domain/executionResult.js'
import { parentOrderId } from './domain/ids.js'
import { parseOrderIntent, type OrderIntent, type OrderIntentInput } from './domain/orderIntent.js'
import type { StrategyName } from './domain/strategyName.js'
import { ConfigError, EngineError, type ConfigIssue } from './errors.js'
import { isBrokerError, type BrokerPort, type MarketClock } from './ports/broker.js'
import type { Clock } from './ports/clock.js'
import { noopJournal, type ExecutionJournal } from './ports/executionJournal.js'
import { noopLogger, type Logger } from './ports/logger.js'
import { routeStrategy, type RouteDecision } from './routing/routeStrategy.js'
import { routeBySize } from './routing/sizeRoute.js'
import { resolveMarketStats, type MarketStats } from './config/impactModel.js'
import type { DailyStats } from './ports/broker.js'
import { runAlmgrenChriss } from './strategy/almgrenChrissStrategy.js'
import type { ExecutionFailure } from './domain/executionResult.js'
import { Execution } from './execution/execution.js'
import { createOrderWaiter } from './execution/orderWaiter.js'
import { preflight } from './execution/preflight.js'
import { SliceSchedule } from './execution/sliceSchedule.js'
import { StopExecution } from './execution/stopExecution.js'
import { runMarket } from './strategy/marketStrategy.js'
import { runWalkTheBook } from './strategy/walkTheBookStrategy.js'
import { checkQuote, type UsableQuote } from './domain/quote.js'
import { createRiskGate, type RiskGate } from './risk/riskGate.js'
import type { RiskCheckCode } from './risk/riskLimits.js'
import { planExecution, type ExecutionPlan, type PlanContext } from './execution/planExecution.js'
import { checkAtVenue, type VenueRefusal } from './execution/venueChecks.js'
import { priceText, quantityText } from './domain/decimalText.js'

export interface EngineOptions {
  readonly broker: BrokerPort
  readonly clock: Clock
  /** Default: `createAcConfig()` (all defaults). */
  readonly config?: AcConfig
  /** pino-compatible; default no-op. */
  readonly logger?: Logger
  /** Default: discards. */
  readonly journal?: ExecutionJournal
  /** The Almgren–Chriss core; default `loadAcCoreSync()` (WebAssembly). `reference` works too. */
  readonly core?: AcCoreApi
}

/** The symbol's σ and ADV for an execution or assessment: the venue's, with overrides and defaults over it. */
async function marketStatsFor(
  broker: BrokerPort,
  config: AcConfig,
  logger: Logger,
  symbol: string,
  fields: Record<string, unknown>,
): Promise<MarketStats> {
  let venue: DailyStats | null = null
  if (broker.getDailyStats !== undefined) {
    try {
      venue = await broker.getDailyStats(symbol)
    } catch (e) {
      logger.warn({ ...fields, broker_error: isBrokerError(e) ? e.code : String(e) }, 'Daily statistics unavailable')
    }
  }
  const stats = resolveMarketStats(config, symbol, venue)
  if (stats.advSource === 'default' || stats.volatilitySource === 'default') {
    logger.info(
      {
        ...fields,
        adv: quantityText(stats.adv),
        daily_volatility: stats.dailyVolatility,
        adv_source: stats.advSource,
        volatility_source: stats.volatilitySource,
      },
      'Market statistics: configured defaults used',
    )
  }
  return stats
}

/**
 * Where a previous run of the same execution left off (the service rebuilds it from its journal after a
 * restart). The engine reconciles every child with the broker — an order it never received is marked
 * rejected, an open one is cancelled and the cancel confirmed, fills (late ones too) are booked — and
 * then works the remaining quantity: AC/TWAP on the original time grid (slices whose start time has
 * passed are skipped; their share is re-planned into the later ones, or the market fallback),
 * walk-the-book from its first step, market at once. New client order ids never repeat old ones: each
 * slice's attempts continue after the highest used.
 */
export interface ResumeFrom {
  /** When the execution first started (epoch ms on the engine's clock). */
  readonly startedAt: number
  /** Every child order of the previous runs as last journaled (any status, `created` included). */
  readonly children: readonly ChildOrder[]
  /** The first run's arrival mid; the shortfall is measured against it. Default: this run's. */
  readonly arrivalMid?: Decimal | null
}

export interface ExecuteOptions {
  /** Continue an execution interrupted by a restart. */
  readonly resume?: ResumeFrom
  /** The execution's id in the journal; default the correlation id. */
  readonly executionId?: string
  /**
   * Stops the execution: the open child order is cancelled (and the cancel confirmed), nothing more is
   * sent, and the result's error is `aborted` — `halted` when the signal's reason is `'halt'`, `paused`
   * when it is `'pause'` (stopped at a safe point to be resumed: logged as paused, not completed).
   */
  readonly signal?: AbortSignal
}

/** Why an intent cannot be admitted: a risk limit, or what the venue says about it. */
export type AssessmentRefusal =
  | { readonly kind: 'risk'; readonly code: RiskCheckCode; readonly message: string }
  | {
      readonly kind: 'venue'
      /** `market_closed`: the session the order would trade in is no longer than the close margin. */
      readonly code: VenueRefusal['code'] | 'market_closed'
      readonly message: string
      readonly brokerCode?: string
    }

/**
 * What `engine.assess` finds out about an intent at the venue, sending nothing: whether it can trade
 * it, when its market trades, the quote, and the plan the execution would follow from that quote.
 */
export type IntentAssessment =
  | {
      readonly ok: true
      readonly strategy: StrategyName
      /** Why the intent gets that strategy (see `RouteReason`). */
      readonly routeReason: RouteDecision['reason']
      /** The mid the notional was checked at; null when the venue had no usable quote (checked again at the start). */
      readonly referencePrice: Decimal | null
      readonly quote: UsableQuote | null
      /** Null when the venue could not say (the execution checks again when it starts). */
      readonly market: MarketClock | null
      /** As the execution would plan it now; while the market is closed, as it would plan it at the open. */
      readonly plan: ExecutionPlan
    }
  | { readonly ok: false; readonly refusal: AssessmentRefusal }

export interface Engine {
  readonly config: AcConfig
  /** Validates, routes and runs an intent to completion. Throws `ENGINE_INVALID_INTENT` for a bad intent. */
  execute(intent: OrderIntent | OrderIntentInput, options?: ExecuteOptions): Promise<ExecutionResult>
  /** The strategy an intent would get by urgency and overrides (the size rule needs the ADV: see `plan`/`assess`). */
  route(intent: OrderIntent | OrderIntentInput): StrategyName
  /**
   * The plan for an intent from a quote (whole shares unless `lot` says otherwise), without the venue:
   * the same function the execution plans with, so for the same quote the estimates agree exactly.
   */
  plan(intent: OrderIntent | OrderIntentInput, context?: PlanContext): ExecutionPlan
  /** The pre-trade risk gate every child order passes: its limits, and the kill switch (`halt`/`resume`). */
  readonly risk: RiskGate
  /**
   * Everything that can be known about an intent before it is admitted, at the venue and sending
   * nothing: the parent-level risk limits (the notional at the current mid), the asset (tradable, whole
   * lots), a close against the position, the market clock, and the plan with the spread of the current
   * quote — what `POST /v1/preview` shows and intake checks. A venue that cannot be reached is a
   * `broker_error` refusal.
   */
  assess(intent: OrderIntent | OrderIntentInput): Promise<IntentAssessment>
}

function parseOrThrow(input: OrderIntent | OrderIntentInput): OrderIntent {
  const parsed = parseOrderIntent(input)
  if (!parsed.ok) {
    throw new EngineError(
      'ENGINE_INVALID_INTENT',
      `Invalid order intent: ${parsed.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      { issues: parsed.issues },
    )
  }
  return parsed.value
}

/** Kernel parameter names → the `AcStrategyParams` fields that set them, to name the culprit of a kernel error. */
const KERNEL_FIELDS: Readonly<Record<string, keyof AcStrategyParams>> = {
  horizon: 'totalTimeSeconds',
  slices: 'numSlices',
  volatility: 'volatility',
  temporaryImpact: 'temporaryImpact',
  permanentImpact: 'permanentImpact',
  riskAversion: 'riskAversion',
}

const kernelField = (e: unknown): keyof AcStrategyParams | undefined => {
  const { code, field } = (e ?? {}) as { code?: unknown; field?: unknown }
  if (code === 'AC_ETA_TILDE_NONPOSITIVE') return 'permanentImpact'
  return typeof field === 'string' ? KERNEL_FIELDS[field] : undefined
}

/**
 * Asks the core for every configured parameter set (the default and each symbol profile, AC and TWAP)
 * so that a combination the kernel refuses fails at start-up, as a `ConfigError` naming the variable,
 * not in the middle of an execution.
 */
function assertKernelAccepts(config: AcConfig, core: AcCoreApi): void {
  const issues: ConfigIssue[] = []
  const sets: [readonly string[], AcStrategyParams][] = [
    [['ac'], config.ac],
    ...Object.entries(config.acBySymbol).map(([sym, p]): [readonly string[], AcStrategyParams] => [
      ['symbolProfiles', sym],
      p,
    ]),
  ]
  for (const [at, params] of sets) {
    for (const twap of [false, true]) {
      try {
        core.trajectory(toKernelParams(params, { tradingDaySeconds: config.tradingDaySeconds, twap }))
      } catch (e) {
        const field = kernelField(e)
        // a symbol's parameters are its profile plus the explicit `ac` values: name the field under `ac`
        const path = field === undefined ? at : at[0] === 'ac' ? ['ac', field] : [...at]
        issues.push({
          path,
          message: `rejected by the Almgren–Chriss core${at[0] === 'ac' ? '' : ` (${at[1]})`}: ${(e as Error).message}`,
        })
        break
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues)
}

export function createEngine(options: EngineOptions): Engine {
  const { broker, clock } = options
  const config = options.config ?? createAcConfig()
  const logger = options.logger ?? noopLogger
  const journal = options.journal ?? noopJournal
  const core = options.core ?? loadAcCoreSync()
  assertKernelAccepts(config, core)
  const risk = createRiskGate(config.risk, clock)
  const deps = { broker, clock, logger, journal, config, risk, orderUpdates: createOrderWaiter(broker, clock) }

  /** Seconds from `fromMs` until the session closes less the close margin; null around the clock or unknown. */
  const secondsToClose = (market: MarketClock | null, fromMs: number): number | null =>
    market === null || market.alwaysOpen || market.nextCloseMs === null
      ? null
      : (market.nextCloseMs - fromMs) / 1000 - config.execution.closeMarginSeconds

  /** The market clock for an execution; a venue that cannot say leaves it unknown (logged), never blocks. */
  const marketClockOf = async (ex: Execution): Promise<MarketClock | null> =>
    ex.venue
      .call('getMarketClock', () => broker.getMarketClock(ex.intent.symbol))
      .catch((e: unknown) => {
        logger.warn(
          { ...ex.fields(), broker_error: isBrokerError(e) ? e.code : String(e) },
          'Market clock unavailable; trading without it',
        )
        return null
      })

  const run = async (ex: Execution): Promise<void> => {
    const { intent, strategy } = ex
    await ex.journal({
      type: 'execution_started',
      executionId: ex.id,
      // the run's own start, from which the result's times and the plan's expected finish are counted
      // (the clock has moved on by the venue reads made since, on a fast clock by whole slices of time)
      atMs: ex.runStartedAt,
      intent,
      strategy,
      resumed: ex.resuming,
    })
    if (ex.resuming) {
      await ex.orders.reconcile()
      if (!ex.remainingLots().gt(0)) return
    }
    await preflight(ex)
    const market = await marketClockOf(ex)
    if (market !== null && !market.isOpen) ex.stopClosed(`${intent.symbol}: the market is closed`, market.nextOpenMs)
    // the schedule spans from the execution's first start; it must end before the close (less the margin)
    const toClose = secondsToClose(market, ex.startedAt)
    if (toClose !== null && toClose - (clock.now() - ex.startedAt) / 1000 <= 0) {
      ex.stopClosed(
        `${intent.symbol}: the market closes within ${config.execution.closeMarginSeconds} s`,
        market?.nextOpenMs ?? null,
      )
    }
    await ex.arrive(await ex.venue.quote())
    const { arrival } = ex
    if (arrival === null && intent.urgency !== 'HIGH')
      ex.stop('no_quote_available', `no usable quote for ${intent.symbol}`)
    await ex.checkParentRisk()
    const planned = planExecution(config, core, intent, strategy, {
      quote: arrival,
      lot: ex.lot,
      secondsToClose: toClose,
      stats: ex.marketStats,
    })
    await ex.plan(planned.plan)
    const cap = planned.plan.participationCap
    if (cap !== null && (cap.extendedFromSeconds !== null || cap.slicesOverCap > 0)) {
      logger.warn(
        {
          ...ex.fields(),
          max_participation: cap.maxParticipation,
          slice_cap_qty: quantityText(cap.sliceCapQty),
          from_seconds: cap.extendedFromSeconds,
          to_seconds: planned.plan.horizonSeconds,
          slices_over_cap: cap.slicesOverCap,
        },
        cap.slicesOverCap > 0
          ? 'Participation cap cannot be met within the horizon limit'
          : 'Horizon extended for the participation cap',
      )
    }
    if (planned.plan.shortenedFromSeconds !== null) {
      logger.warn(
        {
          ...ex.fields(),
          from_seconds: planned.plan.shortenedFromSeconds,
          to_seconds: planned.plan.horizonSeconds,
          close_at: market?.nextCloseMs == null ? null : new Date(market.nextCloseMs).toISOString(),
        },
        'Horizon shortened to end before the close',
      )
    }
    logger.info(
      {
        ...ex.fields(),
        quantity: quantityText(intent.quantity),
        urgency: intent.urgency,
        arrival_mid: arrival ? priceText(arrival.mid) : null,
        horizon_seconds: planned.plan.horizonSeconds,
        route_reason: ex.routeReason,
        route_detail: ex.routeDetail,
        order_pct_adv: planned.plan.orderPctAdv,
        participation_rate: planned.plan.participationRate,
        adv: quantityText(planned.plan.marketStats.adv),
        adv_source: planned.plan.marketStats.advSource,
        daily_volatility: planned.plan.marketStats.dailyVolatility,
        volatility_source: planned.plan.marketStats.volatilitySource,
        impact_model: planned.plan.impactModel,
        dominant_cost: planned.plan.dominantCost,
      },
      'Execution started',
    )
    switch (strategy) {
      case 'market':
        return runMarket(ex)
      case 'walk_the_book':
        return runWalkTheBook(ex)
      case 'almgren_chriss':
      case 'twap': {
        const kernel = planned.kernel as NonNullable<typeof planned.kernel>
        return runAlmgrenChriss(ex, kernel.params, new SliceSchedule(kernel.schedule, ex.startedAt, kernel.sliceCapQty))
      }
    }
  }

  const engine: Engine = {
    config,
    risk,
    route: (input) => routeStrategy(parseOrThrow(input), config.routing),

    plan(input, context = { quote: null }) {
      const intent = parseOrThrow(input)
      const { strategy } = routeBySize(intent, config.routing, context.stats ?? null)
      return planExecution(config, core, intent, strategy, context).plan
    },

    async assess(input) {
      const intent = parseOrThrow(input)
      const early = risk.checkParent({ symbol: intent.symbol, quantity: intent.quantity, mid: null })
      if (early) return { ok: false, refusal: { kind: 'risk', ...early } }
      // one attempt per call here: an intake answers at once, and the execution checks again
      const direct = <T>(_op: string, fn: () => Promise<T>): Promise<T> => fn()
      const venue = await checkAtVenue(direct, broker, config, intent, intent.quantity)
      if (!venue.ok) return { ok: false, refusal: { kind: 'venue', ...venue.refusal } }
      const stats = await marketStatsFor(broker, config, logger, intent.symbol, { symbol: intent.symbol })
      const route = routeBySize(intent, config.routing, stats)
      const { strategy } = route
      const market = await broker.getMarketClock(intent.symbol).catch(() => null)
      const raw = await broker.getQuote(intent.symbol).catch((err: unknown) => {
        logger.warn(
          { symbol: intent.symbol, broker_error: isBrokerError(err) ? err.code : String(err) },
          'No quote to check the notional at intake',
        )
        return null
      })
      const checked = checkQuote(raw, clock.now(), config.quoteMaxAgeSeconds * 1000)
      const quote = checked.ok ? checked.quote : null
      const mid = quote?.mid ?? null
      const refusal = risk.checkParent({ symbol: intent.symbol, quantity: intent.quantity, mid })
      if (refusal) return { ok: false, refusal: { kind: 'risk', ...refusal } }
      // planned as the execution would plan it now; while closed, as at the next open (until that
      // session's close); inside the close margin, as at the next open of a session not known yet
      const now = clock.now()
      const leftNow = secondsToClose(market, now)
      const toClose =
        market === null || (market.isOpen && (leftNow === null || leftNow > 0))
          ? leftNow
          : market.isOpen
            ? null
            : secondsToClose(market, market.nextOpenMs ?? now)
      if (toClose !== null && toClose <= 0) {
        // a session no longer than the close margin (a misconfigured session, or a margin longer than a
        // half day): there is no time to trade in it, and a zero horizon has no schedule
        const message = `${intent.symbol}: the session ends within AC_CLOSE_MARGIN_SECONDS (${config.execution.closeMarginSeconds} s) of its open: no time to trade`
        return { ok: false, refusal: { kind: 'venue', code: 'market_closed', message } }
      }
      const { plan } = planExecution(config, core, intent, strategy, {
        quote,
        lot: venue.lot,
        secondsToClose: toClose,
        stats,
      })
      return { ok: true, strategy, routeReason: route.reason, referencePrice: mid, quote, market, plan }
    },

    async execute(input, opts = {}) {
      const intent = parseOrThrow(input)
      const stats = await marketStatsFor(broker, config, logger, intent.symbol, {
        correlation_id: intent.correlationId,
        execution_id: opts.executionId ?? intent.correlationId,
        symbol: intent.symbol,
      })
      const route = routeBySize(intent, config.routing, stats)
      const { strategy } = route
      const ac = strategy === 'almgren_chriss' || strategy === 'twap'
      // on a resume, the fallback's slice index is the plan's slice count (the participation cap may have
      // added slices); a fresh run needs no plan here
      const fallback =
        opts.resume && ac
          ? planExecution(config, core, intent, strategy, { quote: null, stats }).plan.slices.length
          : -1
      const resume = opts.resume && { ...opts.resume, isFallbackSlice: (k: number) => k === fallback }
      const ex = new Execution(
        parentOrderId(opts.executionId ?? intent.correlationId),
        intent,
        route,
        stats,
        deps,
        opts.signal,
        resume,
      )
      let stopped: ExecutionFailure | undefined
      try {
        await run(ex)
      } catch (e) {
        // whatever ended the run, no child order is left working unwatched
        await ex.orders.closeOpen()
        if (!(e instanceof StopExecution)) throw e
        stopped = e.failure
      }
      ex.finish(stopped)
      const result = ex.result()
      await ex.journal({
        type: 'execution_finished',
        executionId: ex.id,
        atMs: result.finishedAt,
        status: ex.status(result),
        result,
      })
      logger.info(
        {
          ...ex.fields(),
          execution_strategy: result.executionStrategy,
          slices_used: result.slicesUsed,
          total_filled: quantityText(result.totalFilled),
          avg_fill_price: result.totalFilled.isZero() ? null : priceText(result.avgFillPrice),
          fill_percentage: result.fillPercentage,
          execution_time_seconds: result.executionTimeSeconds,
          correlation_id: result.correlationId,
          symbol: result.symbol,
          success: result.success,
          market_fallback_used: result.marketFallbackUsed,
          arrival_mid: result.arrivalMid ? priceText(result.arrivalMid) : null,
          implementation_shortfall_bps: result.implementationShortfallBps,
          expected_cost_bps: result.expectedCostBps,
          expected_std_bps: result.expectedStdBps,
          route_reason: result.routeReason,
          route_detail: result.routeDetail,
          order_pct_adv: result.orderPctAdv,
          participation_rate: result.participationRate,
          error_code: result.error?.code ?? null,
        },
        result.error?.code === 'paused' ? 'Execution paused' : 'Execution completed',
      )
      return result
    },
  }
  return engine
}
