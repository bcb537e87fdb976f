import type { Decimal } from 'decimal.js'
import type { ChildOrder } from '../domain/childOrder.js'
import { Dec, floorToLot } from '../domain/dec.js'
import type { ExecutionFailure, ExecutionFailureCode, ExecutionResult } from '../domain/executionResult.js'
import type { ParentOrderId } from '../domain/ids.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import type { UsableQuote } from '../domain/quote.js'
import type { StrategyName } from '../domain/strategyName.js'
import { EngineError } from '../errors.js'
import { tradesAroundTheClock } from '../domain/tradingSession.js'
import type { ExecutionStatus, JournalEntry } from '../ports/executionJournal.js'
import type { Logger } from '../ports/logger.js'
import type { RiskRefusal } from '../risk/riskLimits.js'
import { ChildOrders } from './childOrders.js'
import type { ExecutionContext, ExecutionDeps } from './executionContext.js'
import { FillBook } from './fillBook.js'
import { StopExecution } from './stopExecution.js'
import type { ExecutionPlan } from './planExecution.js'
import { VenueCalls } from './venueCalls.js'
import type { MarketStats } from '../config/impactModel.js'
import type { RouteDecision, RouteReason } from '../routing/routeStrategy.js'

/** Where a previous run left off (see `ExecuteOptions.resume`). */
export interface ResumeState {
  readonly startedAt: number
  readonly children: readonly ChildOrder[]
  readonly arrivalMid?: Decimal | null
  /** Slices whose orders are the strategy's market fallback (not counted as slices used). */
  readonly isFallbackSlice: (sliceIndex: number) => boolean
}

/**
 * One running execution: who it is (intent, strategy, ids, log fields), how it ends (stop, failure,
 * result), and its parts — the venue calls, the fill book and the child orders — whose state each part
 * keeps to itself. Strategies are written against it.
 */
export class Execution implements ExecutionContext {
  readonly venue: VenueCalls
  readonly book: FillBook
  readonly orders: ChildOrders
  readonly log: Logger
  /** When the execution first started (earlier than `runStartedAt` on a resume). */
  readonly startedAt: number
  /** When this run began. */
  readonly runStartedAt: number
  private lotSize: Decimal = new Dec(1)
  private tick: Decimal | undefined
  private minOrder: Decimal | undefined
  private tradesAroundTheClock: boolean
  private arrivalQuote: UsableQuote | null = null
  /** On a resume: the first run's arrival mid, which the shortfall is measured against. */
  private arrivalMidOverride: Decimal | null | undefined
  private fallbackUsed = false
  private failure: ExecutionFailure | undefined
  private planned: ExecutionPlan | null = null

  constructor(
    readonly id: ParentOrderId,
    readonly intent: OrderIntent,
    /** How the strategy was chosen. */
    readonly route: RouteDecision,
    /** The symbol's σ and ADV the strategy was chosen and the plan made with. */
    readonly marketStats: MarketStats,
    readonly deps: ExecutionDeps,
    readonly signal: AbortSignal | undefined,
    resume?: ResumeState,
  ) {
    this.log = deps.logger
    this.runStartedAt = deps.clock.now()
    this.startedAt = resume?.startedAt ?? this.runStartedAt
    this.venue = new VenueCalls(this)
    this.tradesAroundTheClock = tradesAroundTheClock(intent.symbol)
    this.book = new FillBook(intent.quantity)
    this.orders = new ChildOrders(this, this.venue, this.book)
    if (resume) {
      this.orders.adopt(resume.children, resume.isFallbackSlice)
      this.arrivalMidOverride = resume.arrivalMid
    }
  }

  get strategy(): StrategyName {
    return this.route.strategy
  }

  /** Why the intent got its strategy. */
  get routeReason(): RouteReason {
    return this.route.reason
  }

  /** The route decision in one line. */
  get routeDetail(): string {
    return this.route.detail
  }

  /** A run that continues an execution after a restart. */
  get resuming(): boolean {
    return this.runStartedAt !== this.startedAt || this.orders.adopted
  }

  get aborted(): boolean {
    return this.signal?.aborted === true
  }

  /** The lot: 1 share, or 10⁻⁹ when fractional trading applies (set by the preflight). */
  get lot(): Decimal {
    return this.lotSize
  }

  setLot(lot: Decimal): void {
    this.lotSize = lot
  }

  /** The venue's minimum order size when it has one (a crypto pair's; set by the preflight). */
  setMinOrderSize(min: Decimal | undefined): void {
    this.minOrder = min
  }

  /** The asset's own price step when the venue gives one (a crypto pair's); undefined: the equity tick. */
  get priceIncrement(): Decimal | undefined {
    return this.tick
  }

  setPriceIncrement(increment: Decimal | undefined): void {
    this.tick = increment
  }

  /** Whether the asset trades around the clock, as the venue classes it (set by the preflight). */
  setAroundTheClock(aroundTheClock: boolean): void {
    this.tradesAroundTheClock = aroundTheClock
  }

  get aroundTheClock(): boolean {
    return this.tradesAroundTheClock
  }

  /** The arrival quote; null when there was none. */
  get arrival(): UsableQuote | null {
    return this.arrivalQuote
  }

  /** Takes the arrival quote (and journals it). */
  async arrive(quote: UsableQuote | null): Promise<void> {
    this.arrivalQuote = quote
    await this.journal({ type: 'arrival_quote', executionId: this.id, atMs: this.deps.clock.now(), quote })
  }

  /** The plan the run follows: journaled (`execution_planned`, with when it should finish) and reported. */
  async plan(plan: ExecutionPlan): Promise<void> {
    this.planned = plan
    const atMs = this.deps.clock.now()
    // the schedule is anchored at the execution's start (a resumed one's first start), as its slices are
    const expectedFinishAt = this.startedAt + plan.horizonSeconds * 1000
    await this.journal({ type: 'execution_planned', executionId: this.id, atMs, plan, expectedFinishAt })
  }

  usedMarketFallback(): void {
    this.fallbackUsed = true
  }

  /** Parent quantity not yet filled. */
  remaining(): Decimal {
    return this.book.remaining()
  }

  /**
   * What can still be sent: `remaining()` rounded down to the lot, or zero when that is below the venue's
   * minimum order size (no order could carry it; the execution ends short of it).
   */
  remainingLots(): Decimal {
    const lots = floorToLot(this.remaining(), this.lotSize)
    return this.minOrder !== undefined && lots.lt(this.minOrder) ? new Dec(0) : lots
  }

  /**
   * A slice's quantity as the venue can take it, out of `left` sendable: zero (merged into the next
   * slice) below the minimum order size, or all of `left` when the rest would fall below that minimum.
   */
  sliceQuantity(planned: Decimal, left: Decimal): Decimal {
    const min = this.minOrder
    if (min === undefined) return planned
    if (planned.lt(min)) return new Dec(0)
    const rest = left.minus(planned)
    return rest.gt(0) && rest.lt(min) ? left : planned
  }

  fields(): Record<string, unknown> {
    return {
      correlation_id: this.intent.correlationId,
      execution_id: this.id,
      symbol: this.intent.symbol,
      side: this.intent.side,
      execution_strategy: this.strategy,
    }
  }

  async journal(entry: JournalEntry): Promise<void> {
    try {
      await this.deps.journal.append(entry)
    } catch (cause) {
      throw new EngineError('ENGINE_JOURNAL_FAILED', `journal append (${entry.type}) failed`, { cause })
    }
  }

  /** Sleeps until an absolute time on the clock (no-op if past); cut short when the execution is stopped. */
  sleepUntil(atMs: number): Promise<void> {
    const wait = atMs - this.deps.clock.now()
    return wait > 0 ? this.deps.clock.sleep(wait, this.signal) : Promise.resolve()
  }

  stop(code: ExecutionFailureCode, message: string, brokerCode?: string): never {
    throw new StopExecution(brokerCode === undefined ? { code, message } : { code, message, brokerCode })
  }
  /** The market is closed (or about to close): stop before sending anything; it opens again at `retryAtMs`. */
  stopClosed(message: string, retryAtMs: number | null): never {
    throw new StopExecution({ code: 'market_closed', message, ...(retryAtMs === null ? {} : { retryAtMs }) })
  }

  async refuse(
    refusal: RiskRefusal,
    order: { readonly qty: Decimal; readonly limitPrice?: Decimal; readonly sliceIndex?: number },
  ): Promise<never> {
    await this.journal({
      type: 'risk_check_failed',
      executionId: this.id,
      atMs: this.deps.clock.now(),
      code: refusal.code,
      message: refusal.message,
      qty: order.qty,
      ...(order.limitPrice === undefined ? {} : { limitPrice: order.limitPrice }),
      ...(order.sliceIndex === undefined ? {} : { sliceIndex: order.sliceIndex }),
    })
    this.log.warn(
      {
        ...this.fields(),
        risk_check: refusal.code,
        slice_index: order.sliceIndex ?? null,
        qty: order.qty.toFixed(),
        limit_price: order.limitPrice?.toFixed() ?? null,
        message: refusal.message,
      },
      'Risk check failed',
    )
    throw new StopExecution({
      code: refusal.code === 'RISK_HALTED' ? 'halted' : 'risk_limit',
      message: refusal.message,
      riskCode: refusal.code,
    })
  }

  /** Parent-level limits at the start of a run, the notional at the arrival mid. */
  async checkParentRisk(): Promise<void> {
    const refusal = this.deps.risk.checkParent({
      symbol: this.intent.symbol,
      quantity: this.remaining(),
      mid: this.arrivalQuote?.mid ?? null,
    })
    if (refusal) await this.refuse(refusal, { qty: this.remaining() })
  }

  /** How the run ended: a stop (or error) records its failure; an abort without one is `aborted`/`halted`/`paused`. */
  finish(stopped: ExecutionFailure | undefined): void {
    this.failure ??= stopped
    if (this.aborted && this.failure === undefined && !this.remaining().isZero()) {
      const reason: unknown = this.signal?.reason
      this.failure =
        reason === 'halt'
          ? { code: 'halted', message: 'execution stopped by the kill switch' }
          : reason === 'pause'
            ? { code: 'paused', message: 'execution paused at a safe point, to be resumed' }
            : { code: 'aborted', message: 'execution stopped by request' }
    }
  }

  result(): ExecutionResult {
    const { intent, book } = this
    const finishedAt = this.deps.clock.now()
    const totalFilled = book.totalFilled
    const avgFillPrice = book.avgPrice()
    const success = totalFilled.eq(intent.quantity)
    const arrivalMid =
      this.arrivalMidOverride !== undefined ? this.arrivalMidOverride : (this.arrivalQuote?.mid ?? null)
    let implementationShortfallBps: number | null = null
    if (arrivalMid !== null && totalFilled.gt(0)) {
      const diff = avgFillPrice.sub(arrivalMid).div(arrivalMid).mul(10_000)
      implementationShortfallBps = (intent.side === 'BUY' ? diff : diff.neg()).toNumber() + 0 // no −0
    }
    let error = this.failure
    if (error === undefined && !success) {
      const stranded = floorToLot(this.remaining(), this.lotSize)
      const why =
        this.minOrder !== undefined && stranded.gt(0) && stranded.lt(this.minOrder)
          ? ` (the ${stranded.toFixed()} left is below the minimum order size ${this.minOrder.toFixed()})`
          : ''
      error = totalFilled.gt(0)
        ? { code: 'partially_filled', message: `filled ${totalFilled} of ${intent.quantity}${why}` }
        : { code: 'not_filled', message: `nothing filled of ${intent.quantity}` }
    }
    return {
      executionId: this.id,
      correlationId: intent.correlationId,
      symbol: intent.symbol,
      side: intent.side,
      success,
      executionStrategy: this.strategy,
      slicesUsed: this.orders.slicesUsed,
      requestedQuantity: intent.quantity,
      totalFilled,
      avgFillPrice,
      fillPercentage: totalFilled.div(intent.quantity).mul(100).toNumber(),
      executionTimeSeconds: (finishedAt - this.startedAt) / 1000,
      marketFallbackUsed: this.fallbackUsed,
      arrivalMid,
      implementationShortfallBps,
      expectedCostBps: this.planned?.expectedCostBps ?? null,
      expectedStdBps: this.planned?.expectedStdBps ?? null,
      horizonSeconds: this.planned?.horizonSeconds ?? null,
      horizonShortenedFromSeconds: this.planned?.shortenedFromSeconds ?? null,
      routeReason: this.routeReason,
      routeDetail: this.routeDetail,
      marketStats: this.planned?.marketStats ?? this.marketStats,
      orderPctAdv: this.planned?.orderPctAdv ?? null,
      participationRate: this.planned?.participationRate ?? null,
      participationCap: this.planned?.participationCap ?? null,
      attempts: [...this.orders.attempts()],
      ...(error === undefined ? {} : { error }),
      startedAt: this.startedAt,
      finishedAt,
    }
  }

  status(result: ExecutionResult): ExecutionStatus {
    if (result.success) return 'filled'
    if (result.error?.code === 'paused') return 'running' // not a finish: it resumes later
    if (result.error?.code === 'aborted' || result.error?.code === 'halted') return 'cancelled'
    if (result.totalFilled.gt(0)) return 'partially_filled'
    return 'failed'
  }
}
