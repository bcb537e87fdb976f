import { loadAcCoreSync, type AcCoreApi } from '@acx/ac-core-wasm'
import { acParamsFor, type AcConfig, type AcStrategyParams } from './config/acConfig.js'
import { createAcConfig } from './config/createAcConfig.js'
import {
  fromKernelSchedule,
  halfSpreadFraction,
  planSliceQty,
  toKernelParams,
  type KernelSchedule,
} from './config/kernelParams.js'
import { Dec } from './domain/dec.js'
import type { Decimal } from 'decimal.js'
import type { ChildOrder } from './domain/childOrder.js'
import type { ExecutionResult } from './domain/executionResult.js'
import { parentOrderId } from './domain/ids.js'
import { parseOrderIntent, type OrderIntent, type OrderIntentInput } from './domain/orderIntent.js'
import type { StrategyName } from './domain/strategyName.js'
import { ConfigError, EngineError, type ConfigIssue } from './errors.js'
import { isBrokerError, type BrokerPort } from './ports/broker.js'
import type { Clock } from './ports/clock.js'
import { noopJournal, type ExecutionJournal } from './ports/executionJournal.js'
import { noopLogger, type Logger } from './ports/logger.js'
import { routeStrategy } from './routing/routeStrategy.js'
import { runAlmgrenChriss } from './strategy/almgrenChrissStrategy.js'
import type { ExecutionFailure } from './domain/executionResult.js'
import { Execution } from './execution/execution.js'
import { createOrderWaiter } from './execution/orderWaiter.js'
import { preflight } from './execution/preflight.js'
import { SliceSchedule } from './execution/sliceSchedule.js'
import { StopExecution } from './execution/stopExecution.js'
import { runMarket } from './strategy/marketStrategy.js'
import { runWalkTheBook } from './strategy/walkTheBookStrategy.js'
import { checkQuote } from './domain/quote.js'
import { createRiskGate, type RiskGate } from './risk/riskGate.js'
import type { RiskRefusal } from './risk/riskLimits.js'

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
   * sent, and the result's error is `aborted` — or `halted` when the signal's reason is `'halt'`.
   */
  readonly signal?: AbortSignal
}

/** What `engine.checkIntent` finds: the intent passes the parent-level risk limits, or which one it breaks. */
export type IntentRiskCheck =
  | {
      readonly ok: true
      /** The mid the notional was checked at; null when the venue had no usable quote (checked again at the start). */
      readonly referencePrice: Decimal | null
    }
  | { readonly ok: false; readonly refusal: RiskRefusal }

/** One slice of a preview. */
export interface PreviewSlice {
  readonly index: number
  readonly startSeconds: number
  /** Fraction of the parent order. */
  readonly fraction: number
  /** Planned quantity if every slice fills (rounded to the lot; remainder in the last slice). */
  readonly qty: Dec
}

/** What `engine.preview` returns: the routing decision and, for AC/TWAP, the schedule and its E and V. */
export interface ExecutionPreview {
  readonly strategy: StrategyName
  readonly slices: readonly PreviewSlice[]
  readonly kappa: number | null
  /** E without the spread (ε = 0): impact only, bps of arrival notional. */
  readonly expectedCostBps: number | null
  readonly expectedStdBps: number | null
}

export interface Engine {
  readonly config: AcConfig
  /** Validates, routes and runs an intent to completion. Throws `ENGINE_INVALID_INTENT` for a bad intent. */
  execute(intent: OrderIntent | OrderIntentInput, options?: ExecuteOptions): Promise<ExecutionResult>
  /** The strategy an intent would get. */
  route(intent: OrderIntent | OrderIntentInput): StrategyName
  /** The plan for an intent, without trading (whole shares). */
  preview(intent: OrderIntent | OrderIntentInput): ExecutionPreview
  /** The pre-trade risk gate every child order passes: its limits, and the kill switch (`halt`/`resume`). */
  readonly risk: RiskGate
  /**
   * The parent-level risk limits for an intent before it is admitted: halt, blocked symbol, quantity,
   * and the notional at the venue's current mid (when it has a usable quote). Sends nothing.
   */
  checkIntent(intent: OrderIntent): Promise<IntentRiskCheck>
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

  const schedule = (intent: OrderIntent, strategy: StrategyName, fixedCost: number): KernelSchedule => {
    const params = acParamsFor(config, intent.symbol)
    const kernelParams = toKernelParams(params, {
      tradingDaySeconds: config.tradingDaySeconds,
      twap: strategy === 'twap',
      fixedCost,
    })
    try {
      return fromKernelSchedule(core.trajectory(kernelParams), params)
    } catch (cause) {
      throw new EngineError(
        'ENGINE_KERNEL_FAILED',
        `Almgren–Chriss core failed (${kernelField(cause) ?? 'parameters'}): ${(cause as Error).message}`,
        { cause },
      )
    }
  }

  const run = async (ex: Execution): Promise<void> => {
    const { intent, strategy } = ex
    await ex.journal({
      type: 'execution_started',
      executionId: ex.id,
      atMs: clock.now(),
      intent,
      strategy,
      resumed: ex.resuming,
    })
    if (ex.resuming) {
      await ex.orders.reconcile()
      if (!ex.remainingLots().gt(0)) return
    }
    await preflight(ex)
    await ex.arrive(await ex.venue.quote())
    const { arrival } = ex
    if (arrival === null && intent.urgency !== 'HIGH')
      ex.stop('no_quote_available', `no usable quote for ${intent.symbol}`)
    await ex.checkParentRisk()
    logger.info(
      {
        ...ex.fields(),
        quantity: intent.quantity.toNumber(),
        urgency: intent.urgency,
        arrival_mid: arrival?.mid.toNumber() ?? null,
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
        const plan = schedule(intent, strategy, arrival ? halfSpreadFraction(arrival.spread, arrival.mid) : 0)
        ex.expect(plan.expectedCostBps, plan.expectedStdBps)
        return runAlmgrenChriss(ex, acParamsFor(config, intent.symbol), new SliceSchedule(plan, ex.startedAt))
      }
    }
  }

  const engine: Engine = {
    config,
    risk,

    async checkIntent(intent) {
      const early = risk.checkParent({ symbol: intent.symbol, quantity: intent.quantity, mid: null })
      if (early) return { ok: false, refusal: early }
      const raw = await broker.getQuote(intent.symbol).catch((err: unknown) => {
        logger.warn(
          { symbol: intent.symbol, broker_error: isBrokerError(err) ? err.code : String(err) },
          'No quote to check the notional at intake',
        )
        return null
      })
      const quote = checkQuote(raw, clock.now(), config.quoteMaxAgeSeconds * 1000)
      const mid = quote.ok ? quote.quote.mid : null
      const refusal = risk.checkParent({ symbol: intent.symbol, quantity: intent.quantity, mid })
      return refusal ? { ok: false, refusal } : { ok: true, referencePrice: mid }
    },
    route: (input) => routeStrategy(parseOrThrow(input), config.routing),

    preview(input) {
      const intent = parseOrThrow(input)
      const strategy = routeStrategy(intent, config.routing)
      if (strategy !== 'almgren_chriss' && strategy !== 'twap') {
        return {
          strategy,
          slices: [{ index: 0, startSeconds: 0, fraction: 1, qty: intent.quantity }],
          kappa: null,
          expectedCostBps: null,
          expectedStdBps: null,
        }
      }
      const plan = schedule(intent, strategy, 0)
      const one = new Dec(1)
      let left = intent.quantity
      const slices = plan.fractionOfRemaining.map((f, k): PreviewSlice => {
        const last = k === plan.fractionOfRemaining.length - 1
        const qty = last ? left : planSliceQty(left, f, one)
        left = left.sub(qty)
        return {
          index: k,
          startSeconds: plan.startSeconds[k] as number,
          fraction: plan.sliceFractions[k] as number,
          qty,
        }
      })
      return {
        strategy,
        slices,
        kappa: plan.kappa,
        expectedCostBps: plan.expectedCostBps,
        expectedStdBps: plan.expectedStdBps,
      }
    },

    async execute(input, opts = {}) {
      const intent = parseOrThrow(input)
      const strategy = routeStrategy(intent, config.routing)
      const ac = strategy === 'almgren_chriss' || strategy === 'twap'
      const n = acParamsFor(config, intent.symbol).numSlices
      const resume = opts.resume && { ...opts.resume, isFallbackSlice: (k: number) => ac && k === n }
      const ex = new Execution(
        parentOrderId(opts.executionId ?? intent.correlationId),
        intent,
        strategy,
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
          total_filled: result.totalFilled.toNumber(),
          avg_fill_price: result.avgFillPrice.toNumber(),
          fill_percentage: result.fillPercentage,
          execution_time_seconds: result.executionTimeSeconds,
          correlation_id: result.correlationId,
          symbol: result.symbol,
          success: result.success,
          market_fallback_used: result.marketFallbackUsed,
          arrival_mid: result.arrivalMid?.toNumber() ?? null,
          implementation_shortfall_bps: result.implementationShortfallBps,
          expected_cost_bps: result.expectedCostBps,
          expected_std_bps: result.expectedStdBps,
          error_code: result.error?.code ?? null,
        },
        'Execution completed',
      )
      return result
    },
  }
  return engine
}
