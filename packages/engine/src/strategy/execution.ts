import type { Decimal } from 'decimal.js'
import type { AcConfig } from '../config/acConfig.js'
import { applyOrderEvent, createChildOrder, isTerminal, type ChildOrder, type OrderEvent } from '../domain/childOrder.js'
import { Dec, ZERO, floorToLot } from '../domain/dec.js'
import type { ExecutionFailure, ExecutionFailureCode, ExecutionResult, SliceAttempt } from '../domain/executionResult.js'
import type { Fill } from '../domain/fill.js'
import { clientOrderIdFor, fillId, type ClientOrderId, type ParentOrderId } from '../domain/ids.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import { checkQuote, type QuoteFlag, type UsableQuote } from '../domain/quote.js'
import type { StrategyName } from '../domain/strategyName.js'
import { EngineError, isEngineError } from '../errors.js'
import { BrokerError, isBrokerError, type BrokerOrder, type BrokerPort } from '../ports/broker.js'
import type { Clock } from '../ports/clock.js'
import type { ExecutionJournal, ExecutionStatus, JournalEntry } from '../ports/executionJournal.js'
import { noopLogger, type Logger } from '../ports/logger.js'
import type { RiskGate } from '../risk/riskGate.js'
import type { RiskRefusal } from '../risk/riskLimits.js'

/** While a cancel is unconfirmed, it is re-sent every this many polls. */
const CANCEL_RESEND_POLLS = 5

/** Rejections after which sending more for this execution cannot succeed. */
const STOPPING_REJECTIONS: ReadonlySet<string> = new Set([
  'BROKER_AUTH', 'BROKER_INSUFFICIENT_FUNDS', 'BROKER_PATTERN_DAY_TRADER',
  // the account's own opposite order (another execution) is still there for the next slice too
  'BROKER_WASH_TRADE',
])

/**
 * A failed submit that may have created the order: an explicit unknown outcome, an unreadable answer
 * (the venue may have accepted and garbled the reply), or a retryable failure other than a 429 (a 429 is
 * refused before processing).
 */
const isUnknownOutcome = (err: BrokerError): boolean =>
  err.code === 'BROKER_UNKNOWN_OUTCOME' || err.code === 'BROKER_BAD_RESPONSE' || (err.retryable && err.code !== 'BROKER_RATE_LIMITED')

/** Thrown inside an execution to stop it; caught by the executor and turned into the result's error. */
export class StopExecution extends Error {
  override readonly name = 'StopExecution'
  constructor(readonly failure: ExecutionFailure) {
    super(failure.message)
  }
}

export interface ExecutionDeps {
  readonly broker: BrokerPort
  readonly clock: Clock
  readonly logger: Logger
  readonly journal: ExecutionJournal
  readonly config: AcConfig
  readonly risk: RiskGate
}

export interface PlaceChildRequest {
  readonly sliceIndex: number
  readonly attempt: number
  readonly kind: SliceAttempt['kind']
  readonly qty: Decimal
  readonly limitPrice?: Decimal
  readonly aggression?: number
  readonly quoteFlags?: readonly QuoteFlag[]
}

/**
 * The state of one running execution and the operations every strategy is built from: fetching a
 * usable quote, placing a child order (journaled first, submitted idempotently), resting it, cancelling
 * it and waiting for the confirmation, booking fills from the broker's cumulative figures.
 *
 * Invariant: at most one child order is open at a time, and a new one is sized from the parent
 * quantity minus everything filled, so the quantity sent never exceeds the parent's.
 */
export class Execution {
  readonly children = new Map<ClientOrderId, ChildOrder>()
  readonly attempts: SliceAttempt[] = []
  readonly fills: Fill[] = []
  readonly startedAt: number
  totalFilled: Decimal = ZERO
  private notional: Decimal = ZERO
  arrival: UsableQuote | null = null
  /** The latest usable quote this run saw: what the risk gate prices a child order against. */
  private lastQuote: UsableQuote | null = null
  /** On a resume: the first run's arrival mid, which the shortfall is measured against. */
  arrivalMidOverride: Decimal | null | undefined
  marketFallbackUsed = false
  failure: ExecutionFailure | undefined
  expectedCostBps: number | null = null
  expectedStdBps: number | null = null
  private readonly slicesWithOrders = new Set<number>()
  /** The lot: 1 share, or 10⁻⁹ when fractional trading applies. */
  lot: Decimal = new Dec(1)
  readonly log: Logger

  /** When this run (as opposed to the execution) began: differs from `startedAt` on a resume. */
  readonly runStartedAt: number
  /** Per slice index, the first attempt number free for this run (after a resume, past the used ones). */
  private readonly attemptBase = new Map<number, number>()

  constructor(
    readonly id: ParentOrderId,
    readonly intent: OrderIntent,
    readonly strategy: StrategyName,
    readonly deps: ExecutionDeps,
    readonly signal: AbortSignal | undefined,
    startedAt?: number,
  ) {
    this.runStartedAt = deps.clock.now()
    this.startedAt = startedAt ?? this.runStartedAt
    this.log = deps.logger
  }

  get resuming(): boolean {
    return this.runStartedAt !== this.startedAt || this.attemptBase.size > 0
  }

  /**
   * Takes over the child orders of a previous run (a resume after a restart): their fills count toward
   * the totals, their client order ids are never reused (new attempts continue after the highest used
   * per slice), and `reconcile` then brings each up to date with the broker.
   */
  adopt(children: readonly ChildOrder[], isFallbackSlice: (sliceIndex: number) => boolean): void {
    for (const c of children) {
      this.children.set(c.clientOrderId, c)
      this.totalFilled = this.totalFilled.add(c.filledQty)
      this.notional = this.notional.add(c.filledQty.mul(c.avgPx))
      this.attemptBase.set(c.sliceIndex, Math.max(this.attemptBase.get(c.sliceIndex) ?? 0, c.attempt + 1))
      if (c.status !== 'created' && !isFallbackSlice(c.sliceIndex)) this.slicesWithOrders.add(c.sliceIndex)
    }
  }

  /**
   * After a restart: every adopted child that may still change is looked up at the broker (by client
   * order id if we never learned its broker id); one the broker never received is marked rejected, an
   * open one is cancelled and the cancel confirmed, and fills (including late ones) are booked.
   */
  async reconcile(): Promise<void> {
    for (const child of [...this.children.values()]) {
      if (child.status === 'filled' || child.status === 'rejected') continue
      let c = child
      if (c.brokerOrderId === undefined) {
        const found = await this.call('getOrderByClientId', () => this.deps.broker.getOrderByClientId(c.clientOrderId)).catch((e: unknown) =>
          this.stop('broker_error', `cannot look up ${c.clientOrderId}: ${(e as Error).message}`, isBrokerError(e) ? e.code : undefined),
        )
        if (found === null) {
          if (c.status === 'created') c = await this.apply(c, { type: 'submit', tsEvent: this.deps.clock.now() })
          await this.apply(c, { type: 'reject', tsEvent: this.deps.clock.now(), reason: 'never reached the broker before the restart' })
          continue
        }
        if (c.status === 'created') c = await this.apply(c, { type: 'submit', tsEvent: this.deps.clock.now() })
        c = await this.sync(c, found)
      } else {
        c = await this.refresh(c)
      }
      if (!isTerminal(c.status)) c = await this.cancelAndConfirm(c)
      this.log.info({ ...this.fields(), client_order_id: c.clientOrderId, status: c.status, filled_qty: c.filledQty.toNumber() }, 'Reconciled child order')
    }
  }

  get aborted(): boolean {
    return this.signal?.aborted === true
  }

  /** Parent quantity not yet filled. */
  remaining(): Decimal {
    return this.intent.quantity.sub(this.totalFilled)
  }

  /** `remaining()` rounded down to the lot. */
  remainingLots(): Decimal {
    return floorToLot(this.remaining(), this.lot)
  }

  /** Common log fields. */
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

  sleep(ms: number): Promise<void> {
    return this.deps.clock.sleep(ms, this.signal)
  }

  /** Sleeps until an absolute time on the clock (no-op if past). */
  sleepUntil(atMs: number): Promise<void> {
    const wait = atMs - this.deps.clock.now()
    return wait > 0 ? this.sleep(wait) : Promise.resolve()
  }

  stop(code: ExecutionFailureCode, message: string, brokerCode?: string): never {
    throw new StopExecution(brokerCode === undefined ? { code, message } : { code, message, brokerCode })
  }

  /**
   * A refusal of the risk gate: journaled (`risk_check_failed`), logged, and the execution stopped with
   * nothing sent for it. A halt stops as `halted`; any other limit as `risk_limit`.
   */
  async refuse(refusal: RiskRefusal, order: { readonly qty: Decimal; readonly limitPrice?: Decimal; readonly sliceIndex?: number }): Promise<never> {
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
      { ...this.fields(), risk_check: refusal.code, slice_index: order.sliceIndex ?? null, qty: order.qty.toFixed(), limit_price: order.limitPrice?.toFixed() ?? null, message: refusal.message },
      'Risk check failed',
    )
    const code = refusal.code === 'RISK_HALTED' ? 'halted' : 'risk_limit'
    throw new StopExecution({ code, message: refusal.message, riskCode: refusal.code })
  }

  /** Parent-level limits at the start of a run, the notional at the arrival mid. */
  async checkParentRisk(): Promise<void> {
    const refusal = this.deps.risk.checkParent({ symbol: this.intent.symbol, quantity: this.remaining(), mid: this.arrival?.mid ?? null })
    if (refusal) await this.refuse(refusal, { qty: this.remaining() })
  }

  // ---- broker calls --------------------------------------------------------------------------------

  /**
   * Calls the broker, retrying retryable errors with exponential backoff on the clock (a longer
   * retry-after wins). Non-`BrokerError` throws become `BROKER_BAD_RESPONSE`. Only use for calls that are
   * safe to repeat; submits go through `submit`, which looks the order up first.
   */
  async call<T>(op: string, fn: () => Promise<T>, onRetry?: (lastError: BrokerError) => Promise<T | undefined>): Promise<T> {
    const { brokerMaxRetries, brokerRetryBaseSeconds } = this.deps.config.execution
    let last: BrokerError | undefined
    for (let attempt = 0; ; attempt++) {
      try {
        if (last !== undefined && onRetry) {
          const found = await onRetry(last)
          if (found !== undefined) return found
        }
        return await fn()
      } catch (e) {
        const err = isBrokerError(e)
          ? e
          : new BrokerError('BROKER_BAD_RESPONSE', e instanceof Error ? e.message : String(e), { cause: e })
        last = err
        if (!err.retryable || attempt >= brokerMaxRetries) throw err
        const backoff = Math.max(brokerRetryBaseSeconds * 1000 * 2 ** attempt, err.retryAfterMs ?? 0)
        this.log.warn({ ...this.fields(), op, broker_error: err.code, attempt: attempt + 1, backoff_ms: backoff }, 'Retrying broker call')
        await this.deps.clock.sleep(backoff) // not abortable: a retry in flight must finish to know the outcome
      }
    }
  }

  /** A usable quote: refetched once when stale; null when there is none (reason logged). */
  async quote(): Promise<UsableQuote | null> {
    const maxAgeMs = this.deps.config.quoteMaxAgeSeconds * 1000
    let stale = false
    for (let i = 0; i < 2; i++) {
      let raw
      try {
        raw = await this.call('getQuote', () => this.deps.broker.getQuote(this.intent.symbol))
      } catch (e) {
        this.log.warn({ ...this.fields(), broker_error: isBrokerError(e) ? e.code : String(e) }, 'Quote unavailable')
        return null
      }
      const checked = checkQuote(raw, this.deps.clock.now(), maxAgeMs)
      if (checked.ok) {
        const q = stale ? { ...checked.quote, flags: [...checked.quote.flags, 'stale_refetched' as const] } : checked.quote
        if (q.flags.length > 0) this.log.warn({ ...this.fields(), quote_flags: q.flags }, 'Quote adjusted')
        this.lastQuote = q
        return q
      }
      if (checked.reason !== 'stale') {
        this.log.warn({ ...this.fields(), reason: checked.reason }, 'No usable quote')
        return null
      }
      stale = true
    }
    this.log.warn({ ...this.fields(), reason: 'stale' }, 'No usable quote')
    return null
  }

  // ---- child orders ------------------------------------------------------------------------------

  private async setChild(next: ChildOrder, prev: ChildOrder | undefined): Promise<void> {
    this.children.set(next.clientOrderId, next)
    if (prev !== undefined && (prev.status !== next.status || !prev.filledQty.eq(next.filledQty))) {
      await this.journal({
        type: 'child_order_status',
        executionId: this.id,
        atMs: this.deps.clock.now(),
        clientOrderId: next.clientOrderId,
        from: prev.status,
        to: next.status,
        order: next,
      })
    }
  }

  private async apply(child: ChildOrder, event: OrderEvent): Promise<ChildOrder> {
    let next: ChildOrder
    try {
      next = applyOrderEvent(child, event)
    } catch (e) {
      if (isEngineError(e) && e.code === 'ENGINE_DUPLICATE_FILL') {
        this.log.warn({ ...this.fields(), client_order_id: child.clientOrderId, code: e.code }, e.message)
        return child
      }
      if (isEngineError(e) && e.code === 'ENGINE_INVALID_TRANSITION') {
        this.log.warn({ ...this.fields(), client_order_id: child.clientOrderId, code: e.code }, e.message)
        return child
      }
      throw e
    }
    if (event.type === 'fill') {
      this.fills.push(event.fill)
      this.totalFilled = this.totalFilled.add(event.fill.qty)
      this.notional = this.notional.add(event.fill.qty.mul(event.fill.price))
      await this.journal({ type: 'fill', executionId: this.id, atMs: event.fill.tsInit, fill: event.fill })
    }
    await this.setChild(next, child)
    return next
  }

  /**
   * Brings a child up to date with the broker's view: acceptance, then the fill since last time
   * (derived from the cumulative filled quantity and average price), then the status.
   */
  async sync(child: ChildOrder, bo: BrokerOrder): Promise<ChildOrder> {
    const now = this.deps.clock.now()
    let c = child
    if (c.status === 'submitted' && bo.status !== 'rejected') {
      c = await this.apply(c, { type: 'accept', tsEvent: now, brokerOrderId: bo.id })
    }
    if (bo.filledQty.gt(c.filledQty)) {
      const qty = bo.filledQty.sub(c.filledQty)
      const avg = bo.filledAvgPrice
      if (avg === null || !avg.gt(0)) {
        this.stop('broker_error', `${c.clientOrderId}: filled ${bo.filledQty} without an average price`, 'BROKER_BAD_RESPONSE')
      }
      const price = avg.mul(bo.filledQty).sub(c.avgPx.mul(c.filledQty)).div(qty)
      if (!price.gt(0)) {
        this.stop('broker_error', `${c.clientOrderId}: cumulative fills imply a price of ${price}`, 'BROKER_BAD_RESPONSE')
      }
      const fill: Fill = {
        fillId: fillId(`${bo.id}:${bo.filledQty.toString()}`),
        clientOrderId: c.clientOrderId,
        brokerOrderId: bo.id,
        qty,
        price,
        tsEvent: bo.updatedAtMs,
        tsInit: now,
      }
      try {
        c = await this.apply(c, { type: 'fill', tsEvent: now, fill })
      } catch (e) {
        if (isEngineError(e) && e.code === 'ENGINE_OVERFILL') this.stop('broker_error', e.message)
        throw e
      }
    } else if (bo.filledQty.lt(c.filledQty)) {
      this.log.warn({ ...this.fields(), client_order_id: c.clientOrderId }, 'Broker reports less filled than already booked; ignored')
    }
    switch (bo.status) {
      case 'pending_cancel':
        if (!isTerminal(c.status) && c.status !== 'pending_cancel') c = await this.apply(c, { type: 'cancel_request', tsEvent: now })
        break
      case 'canceled':
        if (c.status !== 'canceled' && c.status !== 'filled') c = await this.apply(c, { type: 'cancel_confirm', tsEvent: now })
        break
      case 'expired':
        if (c.status !== 'expired' && c.status !== 'filled') c = await this.apply(c, { type: 'expire', tsEvent: now })
        break
      case 'rejected':
        if (c.status === 'submitted' || c.status === 'accepted') c = await this.apply(c, { type: 'reject', tsEvent: now, reason: 'rejected by broker' })
        break
      default:
    }
    return c
  }

  /**
   * Creates a child order, journals it, and submits it exactly once: a retryable failure is followed by a
   * lookup by client order id before any resend (with the same id). A non-retryable failure marks the
   * child rejected and is returned (the strategy decides); losing track of whether the order exists stops
   * the execution.
   */
  async place(req: PlaceChildRequest): Promise<ChildOrder> {
    const { intent, deps } = this
    if (!req.qty.gt(0)) throw new EngineError('ENGINE_INVALID_ARGUMENT', 'child quantity must be > 0')
    if (req.qty.gt(this.remaining())) {
      throw new EngineError('ENGINE_INVALID_ARGUMENT', `child quantity ${req.qty} exceeds the remaining ${this.remaining()}`)
    }
    const attempt = req.attempt + (this.attemptBase.get(req.sliceIndex) ?? 0)
    const clientOrderId = clientOrderIdFor(intent.correlationId, req.sliceIndex, attempt)
    if (this.children.has(clientOrderId)) throw new EngineError('ENGINE_INVALID_ARGUMENT', `duplicate client order id ${clientOrderId}`)
    const type = req.limitPrice === undefined ? 'market' : 'limit'
    // the gate sees every order before it is journaled: a refused order never exists anywhere
    const refusal = deps.risk.admitChild({
      symbol: intent.symbol, side: intent.side, qty: req.qty, quote: this.lastQuote,
      ...(req.limitPrice === undefined ? {} : { limitPrice: req.limitPrice }),
    })
    if (refusal) {
      await this.refuse(refusal, { qty: req.qty, sliceIndex: req.sliceIndex, ...(req.limitPrice === undefined ? {} : { limitPrice: req.limitPrice }) })
    }
    let child = createChildOrder({
      clientOrderId,
      symbol: intent.symbol,
      side: intent.side,
      type,
      qty: req.qty,
      ...(req.limitPrice === undefined ? {} : { limitPrice: req.limitPrice }),
      sliceIndex: req.sliceIndex,
      attempt,
      createdAt: deps.clock.now(),
    })
    this.children.set(clientOrderId, child)
    await this.journal({ type: 'child_order_created', executionId: this.id, atMs: child.createdAt, order: child })
    child = await this.apply(child, { type: 'submit', tsEvent: deps.clock.now() })
    if (req.kind !== 'market_fallback') this.slicesWithOrders.add(req.sliceIndex)
    const submittedAt = deps.clock.now()
    if (this.log !== noopLogger) {
      this.log.info(
        {
          ...this.fields(),
          slice_index: req.sliceIndex,
          attempt,
          client_order_id: clientOrderId,
          order_kind: req.kind,
          slice_qty: req.qty.toNumber(),
          limit_price: req.limitPrice?.toNumber() ?? null,
          aggression: req.aggression ?? null,
          remaining_qty: this.remaining().toNumber(),
        },
        'Slice submitted',
      )
    }
    const request = {
      clientOrderId,
      symbol: intent.symbol,
      side: intent.side,
      qty: req.qty,
      type,
      ...(req.limitPrice === undefined ? {} : { limitPrice: req.limitPrice }),
      timeInForce: 'day',
    } as const
    let bo: BrokerOrder
    try {
      bo = await this.call(
        'submitOrder',
        () => deps.broker.submitOrder(request),
        // A 429 was refused before processing: the order does not exist. Any other retryable failure
        // (timeout, 5xx, network) may have created it: look it up before sending again (same id).
        async (last) => (last.code === 'BROKER_RATE_LIMITED' ? undefined : ((await deps.broker.getOrderByClientId(clientOrderId)) ?? undefined)),
      )
    } catch (e) {
      const err = e as BrokerError
      if (isUnknownOutcome(err)) {
        // The order may exist. It is never marked rejected and its quantity never re-planned: look it up
        // until the venue shows it, or stop sending anything and leave it to a later reconciliation.
        const found = await this.awaitUnknownOutcome(child, err)
        return this.track(await this.sync(child, found), req, submittedAt)
      }
      child = await this.apply(child, { type: 'reject', tsEvent: deps.clock.now(), reason: `${err.code}: ${err.message}` })
      this.log.warn({ ...this.fields(), client_order_id: clientOrderId, broker_error: err.code, message: err.message }, 'Child order rejected')
      this.record(child, req, submittedAt, ZERO)
      if (STOPPING_REJECTIONS.has(err.code) || err.retryable) {
        this.stop('broker_error', `${clientOrderId}: ${err.message}`, err.code)
      }
      return child
    }
    return this.track(await this.sync(child, bo), req, submittedAt)
  }

  /**
   * Looks a child whose submit outcome is unknown up by client order id (100 ms, doubling up to the
   * poll interval) until the venue shows it; after UNKNOWN_OUTCOME_TIMEOUT_SECONDS stops the execution
   * with `outcome_unknown`, the child left `submitted` for reconciliation.
   */
  private async awaitUnknownOutcome(child: ChildOrder, cause: BrokerError): Promise<BrokerOrder> {
    const { orderPollIntervalSeconds, unknownOutcomeTimeoutSeconds } = this.deps.config.execution
    const deadline = this.deps.clock.now() + unknownOutcomeTimeoutSeconds * 1000
    this.log.warn({ ...this.fields(), client_order_id: child.clientOrderId, broker_error: cause.code, message: cause.message }, 'Submit outcome unknown; looking the order up')
    for (let i = 0; ; i++) {
      const found = await this.deps.broker.getOrderByClientId(child.clientOrderId).catch((e: unknown) => {
        this.log.warn({ ...this.fields(), client_order_id: child.clientOrderId, broker_error: isBrokerError(e) ? e.code : String(e) }, 'Look-up failed')
        return null
      })
      if (found !== null) return found
      if (this.deps.clock.now() >= deadline) {
        this.log.error({ ...this.fields(), client_order_id: child.clientOrderId, broker_error: cause.code }, 'Submit outcome still unknown; sending nothing more')
        this.stop('outcome_unknown', `submit of ${child.clientOrderId} failed (${cause.message}) and the order was not seen within ${unknownOutcomeTimeoutSeconds}s; it may exist`, cause.code)
      }
      // not abortable: a stop request must not leave an order we might hold unaccounted for
      await this.deps.clock.sleep(Math.min(orderPollIntervalSeconds * 1000, 100 * 2 ** i))
    }
  }

  private readonly pending = new Map<ClientOrderId, { req: PlaceChildRequest; submittedAt: number; filledAtCancel?: Decimal }>()

  private track(child: ChildOrder, req: PlaceChildRequest, submittedAt: number): ChildOrder {
    this.pending.set(child.clientOrderId, { req, submittedAt })
    if (isTerminal(child.status)) this.complete(child)
    return child
  }

  /** Reads the order from the broker and syncs the child. */
  async refresh(child: ChildOrder): Promise<ChildOrder> {
    if (child.brokerOrderId === undefined) return child
    const id = child.brokerOrderId
    const bo = await this.call('getOrder', () => this.deps.broker.getOrder(id)).catch((e: unknown) =>
      this.stop('broker_error', `cannot read ${child.clientOrderId}: ${(e as Error).message}`, isBrokerError(e) ? e.code : undefined),
    )
    const c = await this.sync(child, bo)
    if (isTerminal(c.status)) this.complete(c)
    return c
  }

  /**
   * Requests the cancel and waits until the broker confirms a terminal state, booking any fill that races
   * the cancel. Stops the execution (sending nothing more) if no confirmation comes in time.
   */
  async cancelAndConfirm(child: ChildOrder): Promise<ChildOrder> {
    let c = child
    if (isTerminal(c.status) || c.brokerOrderId === undefined) return c
    const id = c.brokerOrderId
    const p = this.pending.get(c.clientOrderId)
    if (p) p.filledAtCancel = c.filledQty
    try {
      await this.call('cancelOrder', () => this.deps.broker.cancelOrder(id))
      if (c.status !== 'pending_cancel') c = await this.apply(c, { type: 'cancel_request', tsEvent: this.deps.clock.now() })
    } catch (e) {
      // Already filled / already gone: read it below. Anything else: we still must learn its state.
      this.log.warn({ ...this.fields(), client_order_id: c.clientOrderId, broker_error: isBrokerError(e) ? e.code : String(e) }, 'Cancel request failed')
    }
    const { orderPollIntervalSeconds, cancelConfirmTimeoutSeconds } = this.deps.config.execution
    const deadline = this.deps.clock.now() + cancelConfirmTimeoutSeconds * 1000
    for (let i = 0; ; i++) {
      c = await this.refresh(c)
      if (isTerminal(c.status)) return c
      if (this.deps.clock.now() >= deadline) {
        this.stop('cancel_unconfirmed', `cancel of ${c.clientOrderId} not confirmed within ${cancelConfirmTimeoutSeconds}s`)
      }
      // A venue can refuse or drop a cancel (Alpaca refuses one while a replace is pending), and our own
      // status says pending_cancel as soon as the request was accepted: while the order is not final,
      // ask again every few polls (a repeated cancel of a pending one is harmless).
      if (i % CANCEL_RESEND_POLLS === CANCEL_RESEND_POLLS - 1) {
        await this.call('cancelOrder', () => this.deps.broker.cancelOrder(id)).catch((e: unknown) => {
          this.log.warn({ ...this.fields(), client_order_id: c.clientOrderId, broker_error: isBrokerError(e) ? e.code : String(e) }, 'Cancel re-request failed')
        })
      }
      // 100 ms, 200 ms, 400 ms, … up to the poll interval; never cut short: we must see the outcome.
      await this.deps.clock.sleep(Math.min(orderPollIntervalSeconds * 1000, 100 * 2 ** i))
    }
  }

  /** Lets a limit order rest, then cancels it (and waits for the confirmation) unless it already finished. */
  async rest(child: ChildOrder, restMs: number): Promise<ChildOrder> {
    if (isTerminal(child.status)) return child
    await this.sleep(restMs)
    const c = await this.refresh(child)
    return isTerminal(c.status) ? c : this.cancelAndConfirm(c)
  }

  /** Waits for a market order to finish; cancels it (confirmed) after MARKET_ORDER_TIMEOUT_SECONDS. */
  async awaitMarket(child: ChildOrder): Promise<ChildOrder> {
    const { orderPollIntervalSeconds, marketOrderTimeoutSeconds } = this.deps.config.execution
    const deadline = this.deps.clock.now() + marketOrderTimeoutSeconds * 1000
    let c = child
    while (!isTerminal(c.status)) {
      if (this.aborted || this.deps.clock.now() >= deadline) return this.cancelAndConfirm(c)
      await this.sleep(orderPollIntervalSeconds * 1000)
      c = await this.refresh(c)
    }
    return c
  }

  /** Records the slice attempt of a child that reached a terminal state. */
  private complete(child: ChildOrder): void {
    const p = this.pending.get(child.clientOrderId)
    if (!p) return
    this.pending.delete(child.clientOrderId)
    const late = p.filledAtCancel === undefined ? ZERO : child.filledQty.sub(p.filledAtCancel)
    this.record(child, p.req, p.submittedAt, late)
  }

  private record(child: ChildOrder, req: PlaceChildRequest, submittedAt: number, lateFillQty: Decimal): void {
    const attempt: SliceAttempt = {
      sliceIndex: req.sliceIndex,
      attempt: child.attempt,
      clientOrderId: child.clientOrderId,
      kind: req.kind,
      qty: child.qty,
      ...(req.limitPrice === undefined ? {} : { limitPrice: req.limitPrice }),
      ...(req.aggression === undefined ? {} : { aggression: req.aggression }),
      filledQty: child.filledQty,
      avgFillPrice: child.avgPx,
      status: child.status,
      lateFillQty,
      submittedAt,
      completedAt: this.deps.clock.now(),
      quoteFlags: req.quoteFlags ?? [],
    }
    this.attempts.push(attempt)
    if (this.log === noopLogger) return // skip building the event nobody reads
    this.log.info(
      {
        ...this.fields(),
        slice_index: attempt.sliceIndex,
        attempt: attempt.attempt,
        client_order_id: attempt.clientOrderId,
        order_kind: attempt.kind,
        slice_qty: attempt.qty.toNumber(),
        limit_price: attempt.limitPrice?.toNumber() ?? null,
        aggression: attempt.aggression ?? null,
        filled_qty: attempt.filledQty.toNumber(),
        late_fill_qty: attempt.lateFillQty.toNumber(),
        avg_fill_price: attempt.filledQty.gt(0) ? attempt.avgFillPrice.toNumber() : null,
        status: attempt.status,
        total_filled: this.totalFilled.toNumber(),
      },
      'Slice completed',
    )
  }

  /** Any child still open (after a stop or an error): cancel it and wait, best effort. */
  async closeOpenChildren(): Promise<void> {
    for (const child of [...this.children.values()]) {
      if (isTerminal(child.status) || child.status === 'created') continue
      try {
        await this.cancelAndConfirm(child)
      } catch (e) {
        this.log.error({ ...this.fields(), client_order_id: child.clientOrderId, error: (e as Error).message }, 'Could not confirm cancel of open child order')
      }
    }
  }

  // ---- the result --------------------------------------------------------------------------------

  result(): ExecutionResult {
    const { intent } = this
    const finishedAt = this.deps.clock.now()
    const avgFillPrice = this.totalFilled.gt(0) ? this.notional.div(this.totalFilled) : ZERO
    const success = this.totalFilled.eq(intent.quantity)
    const arrivalMid = this.arrivalMidOverride !== undefined ? this.arrivalMidOverride : (this.arrival?.mid ?? null)
    let implementationShortfallBps: number | null = null
    if (arrivalMid !== null && this.totalFilled.gt(0)) {
      const diff = avgFillPrice.sub(arrivalMid).div(arrivalMid).mul(10_000)
      implementationShortfallBps = (intent.side === 'BUY' ? diff : diff.neg()).toNumber() + 0 // no −0
    }
    let error = this.failure
    if (error === undefined && !success) {
      error = this.totalFilled.gt(0)
        ? { code: 'partially_filled', message: `filled ${this.totalFilled} of ${intent.quantity}` }
        : { code: 'not_filled', message: `nothing filled of ${intent.quantity}` }
    }
    return {
      executionId: this.id,
      correlationId: intent.correlationId,
      symbol: intent.symbol,
      side: intent.side,
      success,
      executionStrategy: this.strategy,
      slicesUsed: this.slicesWithOrders.size,
      requestedQuantity: intent.quantity,
      totalFilled: this.totalFilled,
      avgFillPrice,
      fillPercentage: this.totalFilled.div(intent.quantity).mul(100).toNumber(),
      executionTimeSeconds: (finishedAt - this.startedAt) / 1000,
      marketFallbackUsed: this.marketFallbackUsed,
      arrivalMid,
      implementationShortfallBps,
      expectedCostBps: this.expectedCostBps,
      expectedStdBps: this.expectedStdBps,
      attempts: [...this.attempts],
      ...(error === undefined ? {} : { error }),
      startedAt: this.startedAt,
      finishedAt,
    }
  }

  status(result: ExecutionResult): ExecutionStatus {
    if (result.success) return 'filled'
    if (result.error?.code === 'aborted' || result.error?.code === 'halted') return 'cancelled'
    if (result.totalFilled.gt(0)) return 'partially_filled'
    return 'failed'
  }
}
