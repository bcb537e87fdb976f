import type { Decimal } from 'decimal.js'
import {
  applyOrderEvent,
  createChildOrder,
  isTerminal,
  type ChildOrder,
  type OrderEvent,
} from '../domain/childOrder.js'
import { ZERO } from '../domain/dec.js'
import type { SliceAttempt } from '../domain/executionResult.js'
import type { Fill } from '../domain/fill.js'
import { clientOrderIdFor, fillId, type ClientOrderId } from '../domain/ids.js'
import type { QuoteFlag } from '../domain/quote.js'
import { EngineError, isEngineError } from '../errors.js'
import { isBrokerError, type BrokerError, type BrokerOrder } from '../ports/broker.js'
import { noopLogger } from '../ports/logger.js'
import type { ExecutionContext } from './executionContext.js'
import type { FillBook } from './fillBook.js'
import type { VenueCalls } from './venueCalls.js'
import { priceText, quantityText } from '../domain/decimalText.js'

/** While a cancel is unconfirmed, it is re-sent every this many polls. */
const CANCEL_RESEND_POLLS = 5

/** Rejections after which sending more for this execution cannot succeed. */
const STOPPING_REJECTIONS: ReadonlySet<string> = new Set([
  'BROKER_AUTH',
  'BROKER_INSUFFICIENT_FUNDS',
  'BROKER_PATTERN_DAY_TRADER',
  // the account's own opposite order (another execution) is still there for the next slice too
  'BROKER_WASH_TRADE',
])

/**
 * A failed submit that may have created the order: an explicit unknown outcome, an unreadable answer
 * (the venue may have accepted and garbled the reply), or a retryable failure other than a 429 (a 429 is
 * refused before processing).
 */
const isUnknownOutcome = (err: BrokerError): boolean =>
  err.code === 'BROKER_UNKNOWN_OUTCOME' ||
  err.code === 'BROKER_BAD_RESPONSE' ||
  (err.retryable && err.code !== 'BROKER_RATE_LIMITED')

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
 * The child-order lifecycle of one execution: send (risk gate, journal, submit exactly once), wait,
 * cancel and confirm, reconcile after a restart — and the state of every child order, changed only here
 * and only through the order state machine.
 *
 * Invariant: at most one child order is open at a time, and a new one is at most what the parent still
 * needs, so the quantity sent never exceeds the parent's.
 */
export class ChildOrders {
  private readonly children = new Map<ClientOrderId, ChildOrder>()
  private readonly done: SliceAttempt[] = []
  /** Schedule slices that sent an order (the market fallback is not a slice). */
  private readonly slicesWithOrders = new Set<number>()
  /** Per slice index, the first attempt number free for this run (after a resume, past the used ones). */
  private readonly attemptBase = new Map<number, number>()
  /** Sent children not yet final: what their slice attempt will report. */
  private readonly pending = new Map<
    ClientOrderId,
    { req: PlaceChildRequest; submittedAt: number; filledAtCancel?: Decimal }
  >()

  constructor(
    private readonly ctx: ExecutionContext,
    private readonly venue: VenueCalls,
    private readonly book: FillBook,
  ) {}

  /** One `SliceAttempt` per child order of this run that reached a final state. */
  attempts(): readonly SliceAttempt[] {
    return this.done
  }

  get slicesUsed(): number {
    return this.slicesWithOrders.size
  }

  /** Whether child orders of an earlier run were adopted. */
  get adopted(): boolean {
    return this.attemptBase.size > 0
  }

  /**
   * Takes over the child orders of a previous run (a resume after a restart): their fills count toward
   * the totals, their client order ids are never reused (new attempts continue after the highest used
   * per slice), and `reconcile` then brings each up to date with the broker.
   */
  adopt(children: readonly ChildOrder[], isFallbackSlice: (sliceIndex: number) => boolean): void {
    for (const c of children) {
      this.children.set(c.clientOrderId, c)
      this.book.adopt(c)
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
    const { ctx } = this
    for (const child of [...this.children.values()]) {
      if (child.status === 'filled' || child.status === 'rejected') continue
      let c = child
      if (c.brokerOrderId === undefined) {
        // `created`: the crash came before the send (its `submitted` state is journaled before the order
        // goes out), so one look-up settles it. `submitted`: it was sent and may exist although an
        // asynchronous venue does not show it yet — look again until the unknown-outcome window closes.
        const found = c.status === 'created' ? await this.lookUp(c) : await this.lookUpUntilSeen(c)
        if (found === null) {
          if (c.status === 'created') c = await this.apply(c, { type: 'submit', tsEvent: ctx.deps.clock.now() })
          await this.apply(c, {
            type: 'reject',
            tsEvent: ctx.deps.clock.now(),
            reason: 'never reached the broker before the restart',
          })
          continue
        }
        if (c.status === 'created') c = await this.apply(c, { type: 'submit', tsEvent: ctx.deps.clock.now() })
        c = await this.sync(c, found)
      } else {
        c = await this.refresh(c)
      }
      if (!isTerminal(c.status)) c = await this.cancelAndConfirm(c)
      ctx.log.info(
        { ...ctx.fields(), client_order_id: c.clientOrderId, status: c.status, filled_qty: quantityText(c.filledQty) },
        'Reconciled child order',
      )
    }
  }

  /**
   * Creates a child order, passes it through the risk gate, journals it, and submits it exactly once:
   * a retryable failure is followed by a look-up by client order id before any resend (with the same
   * id). A definite refusal marks the child rejected and is returned (the strategy decides); a submit
   * whose outcome is unknown is looked up until the venue shows it, and never re-planned.
   */
  async place(req: PlaceChildRequest): Promise<ChildOrder> {
    const { ctx } = this
    const { intent, deps } = ctx
    if (!req.qty.gt(0)) throw new EngineError('ENGINE_INVALID_ARGUMENT', 'child quantity must be > 0')
    if (req.qty.gt(this.book.remaining())) {
      throw new EngineError(
        'ENGINE_INVALID_ARGUMENT',
        `child quantity ${req.qty} exceeds the remaining ${this.book.remaining()}`,
      )
    }
    const attempt = req.attempt + (this.attemptBase.get(req.sliceIndex) ?? 0)
    const clientOrderId = clientOrderIdFor(intent.correlationId, req.sliceIndex, attempt)
    if (this.children.has(clientOrderId))
      throw new EngineError('ENGINE_INVALID_ARGUMENT', `duplicate client order id ${clientOrderId}`)
    const type = req.limitPrice === undefined ? 'market' : 'limit'
    const priced = req.limitPrice === undefined ? {} : { limitPrice: req.limitPrice }
    // the gate sees every order before it is journaled: a refused order never exists anywhere
    const refusal = deps.risk.admitChild({
      symbol: intent.symbol,
      side: intent.side,
      qty: req.qty,
      quote: this.venue.latestQuote,
      ...priced,
    })
    if (refusal) await ctx.refuse(refusal, { qty: req.qty, sliceIndex: req.sliceIndex, ...priced })
    let child = createChildOrder({
      clientOrderId,
      symbol: intent.symbol,
      side: intent.side,
      type,
      qty: req.qty,
      ...priced,
      sliceIndex: req.sliceIndex,
      attempt,
      createdAt: deps.clock.now(),
    })
    this.children.set(clientOrderId, child)
    const seen = this.venue.latestQuote
    await ctx.journal({
      type: 'child_order_created',
      executionId: ctx.id,
      atMs: child.createdAt,
      order: child,
      quote: seen === null ? null : { mid: seen.mid, spread: seen.spread },
    })
    child = await this.apply(child, { type: 'submit', tsEvent: deps.clock.now() })
    if (req.kind !== 'market_fallback') this.slicesWithOrders.add(req.sliceIndex)
    const submittedAt = deps.clock.now()
    if (ctx.log !== noopLogger) {
      ctx.log.info(
        {
          ...ctx.fields(),
          slice_index: req.sliceIndex,
          attempt,
          client_order_id: clientOrderId,
          order_kind: req.kind,
          slice_qty: quantityText(req.qty),
          limit_price: req.limitPrice ? priceText(req.limitPrice) : null,
          aggression: req.aggression ?? null,
          remaining_qty: quantityText(this.book.remaining()),
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
      ...priced,
      // an instrument that trades around the clock (crypto) takes no `day` order
      timeInForce: ctx.aroundTheClock ? (type === 'limit' ? 'gtc' : 'ioc') : 'day',
    } as const
    let bo: BrokerOrder
    // Whether any attempt may have created the order: then a later definite refusal (a 429, a refused
    // resend) says nothing about the first, and the outcome stays unknown.
    let mayExist = false
    try {
      bo = await this.venue.call(
        'submitOrder',
        () =>
          deps.broker.submitOrder(request).catch((e: unknown) => {
            if (!isBrokerError(e) || isUnknownOutcome(e)) mayExist = true
            throw e
          }),
        // A 429 was refused before processing: the order does not exist. Any other retryable failure
        // (timeout, 5xx, network) may have created it: look it up before sending again (same id).
        async () => (mayExist ? ((await deps.broker.getOrderByClientId(clientOrderId)) ?? undefined) : undefined),
      )
    } catch (e) {
      const err = e as BrokerError
      if (mayExist || isUnknownOutcome(err)) {
        // The order may exist. It is never marked rejected and its quantity never re-planned: look it up
        // until the venue shows it, or stop sending anything and leave it to a later reconciliation.
        const found = await this.awaitUnknownOutcome(child, err)
        return this.track(await this.sync(child, found), req, submittedAt)
      }
      child = await this.apply(child, {
        type: 'reject',
        tsEvent: deps.clock.now(),
        reason: `${err.code}: ${err.message}`,
      })
      ctx.log.warn(
        {
          ...ctx.fields(),
          client_order_id: clientOrderId,
          broker_error: err.code,
          reason: err.reason ?? null,
          message: err.message,
        },
        'Child order rejected',
      )
      this.record(child, req, submittedAt, ZERO)
      if (STOPPING_REJECTIONS.has(err.code) || err.retryable)
        ctx.stop('broker_error', `${clientOrderId}: ${err.message}`, err.code)
      return child
    }
    return this.track(await this.sync(child, bo), req, submittedAt)
  }

  /** Looks a child up by client order id once (with the retry policy); a failure stops the execution. */
  private async lookUp(child: ChildOrder): Promise<BrokerOrder | null> {
    const { ctx } = this
    return this.venue
      .call('getOrderByClientId', () => ctx.deps.broker.getOrderByClientId(child.clientOrderId))
      .catch((e: unknown) =>
        ctx.stop(
          'broker_error',
          `cannot look up ${child.clientOrderId}: ${(e as Error).message}`,
          isBrokerError(e) ? e.code : undefined,
        ),
      )
  }

  /**
   * Looks a sent child up by client order id until the venue shows it, at least three times and until
   * UNKNOWN_OUTCOME_TIMEOUT_SECONDS after it was last updated; null when it never does.
   */
  private async lookUpUntilSeen(child: ChildOrder): Promise<BrokerOrder | null> {
    const { ctx } = this
    const { orderPollIntervalSeconds, unknownOutcomeTimeoutSeconds } = ctx.deps.config.execution
    const deadline = child.updatedAt + unknownOutcomeTimeoutSeconds * 1000
    for (let i = 0; ; i++) {
      const found = await this.lookUp(child)
      if (found !== null) return found
      if (i >= 2 && ctx.deps.clock.now() >= deadline) return null
      await ctx.deps.orderUpdates.wait(child.clientOrderId, Math.min(orderPollIntervalSeconds * 1000, 100 * 2 ** i))
    }
  }

  /**
   * Reads the order from the broker and syncs the child. An asynchronous venue may not know an order it
   * has just accepted: "not found" within UNKNOWN_OUTCOME_TIMEOUT_SECONDS of the child's last update
   * leaves the child as it is (the next read tries again); later it stops the execution.
   */
  async refresh(child: ChildOrder): Promise<ChildOrder> {
    const { ctx } = this
    if (child.brokerOrderId === undefined) return child
    const id = child.brokerOrderId
    const young = (): boolean =>
      ctx.deps.clock.now() - child.updatedAt < ctx.deps.config.execution.unknownOutcomeTimeoutSeconds * 1000
    let bo: BrokerOrder
    try {
      bo = await this.venue.call('getOrder', () => ctx.deps.broker.getOrder(id))
    } catch (e) {
      if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND' && young()) {
        ctx.log.warn(
          { ...ctx.fields(), client_order_id: child.clientOrderId, broker_order_id: id },
          'Order not found yet; reading it again later',
        )
        return child
      }
      return ctx.stop(
        'broker_error',
        `cannot read ${child.clientOrderId}: ${(e as Error).message}`,
        isBrokerError(e) ? e.code : undefined,
      )
    }
    const c = await this.sync(child, bo)
    if (isTerminal(c.status)) this.complete(c)
    return c
  }

  /**
   * Requests the cancel and waits until the broker confirms a final state, booking any fill that races
   * the cancel; the request is repeated every few polls (a venue may drop or refuse one). Stops the
   * execution (sending nothing more) if no confirmation comes in time.
   */
  async cancelAndConfirm(child: ChildOrder): Promise<ChildOrder> {
    const { ctx } = this
    let c = child
    if (isTerminal(c.status) || c.brokerOrderId === undefined) return c
    const id = c.brokerOrderId
    const p = this.pending.get(c.clientOrderId)
    if (p) p.filledAtCancel = c.filledQty
    const request = async (): Promise<void> => {
      try {
        const outcome = await this.venue.call('cancelOrder', () => ctx.deps.broker.cancelOrder(id))
        if (outcome === 'requested' && !isTerminal(c.status) && c.status !== 'pending_cancel') {
          c = await this.apply(c, { type: 'cancel_request', tsEvent: ctx.deps.clock.now() })
        }
      } catch (e) {
        // we still must learn its state: read it below
        ctx.log.warn(
          { ...ctx.fields(), client_order_id: c.clientOrderId, broker_error: isBrokerError(e) ? e.code : String(e) },
          'Cancel request failed',
        )
      }
    }
    await request()
    const { orderPollIntervalSeconds, cancelConfirmTimeoutSeconds } = ctx.deps.config.execution
    const deadline = ctx.deps.clock.now() + cancelConfirmTimeoutSeconds * 1000
    for (let i = 0; ; i++) {
      c = await this.refresh(c)
      if (isTerminal(c.status)) return c
      if (ctx.deps.clock.now() >= deadline) {
        ctx.stop(
          'cancel_unconfirmed',
          `cancel of ${c.clientOrderId} not confirmed within ${cancelConfirmTimeoutSeconds}s`,
        )
      }
      // Alpaca refuses a cancel while a replace is pending, and our own status says pending_cancel as
      // soon as a request was taken: while the order is not final, ask again every few polls.
      if (i % CANCEL_RESEND_POLLS === CANCEL_RESEND_POLLS - 1) await request()
      // 100 ms, 200 ms, 400 ms, … up to the poll interval (or the venue's update); never cut short by a
      // stop request: we must see the outcome.
      await ctx.deps.orderUpdates.wait(c.clientOrderId, Math.min(orderPollIntervalSeconds * 1000, 100 * 2 ** i))
    }
  }

  /** Lets a limit order rest, then cancels it (and waits for the confirmation) unless it already finished. */
  async rest(child: ChildOrder, restMs: number): Promise<ChildOrder> {
    const { ctx } = this
    let c = child
    const until = ctx.deps.clock.now() + restMs
    while (!isTerminal(c.status) && !ctx.signal?.aborted && ctx.deps.clock.now() < until) {
      await ctx.deps.orderUpdates.wait(c.clientOrderId, until - ctx.deps.clock.now(), ctx.signal)
      c = await this.refresh(c)
    }
    return isTerminal(c.status) ? c : this.cancelAndConfirm(c)
  }

  /** Waits for a market order to finish; cancels it (confirmed) after MARKET_ORDER_TIMEOUT_SECONDS. */
  async awaitMarket(child: ChildOrder): Promise<ChildOrder> {
    const { ctx } = this
    const { orderPollIntervalSeconds, marketOrderTimeoutSeconds } = ctx.deps.config.execution
    const deadline = ctx.deps.clock.now() + marketOrderTimeoutSeconds * 1000
    let c = child
    while (!isTerminal(c.status)) {
      if (ctx.signal?.aborted || ctx.deps.clock.now() >= deadline) return this.cancelAndConfirm(c)
      await ctx.deps.orderUpdates.wait(c.clientOrderId, orderPollIntervalSeconds * 1000, ctx.signal)
      c = await this.refresh(c)
    }
    return c
  }

  /** Any child still open (after a stop or an error): cancel it and wait, best effort. */
  async closeOpen(): Promise<void> {
    const { ctx } = this
    for (const child of [...this.children.values()]) {
      if (isTerminal(child.status) || child.status === 'created') continue
      try {
        await this.cancelAndConfirm(child)
      } catch (e) {
        ctx.log.error(
          { ...ctx.fields(), client_order_id: child.clientOrderId, error: (e as Error).message },
          'Could not confirm cancel of open child order',
        )
      }
    }
  }

  // ---- state changes ---------------------------------------------------------------------------

  /** Applies one event through the state machine, books a fill, journals the new state. */
  private async apply(child: ChildOrder, event: OrderEvent): Promise<ChildOrder> {
    const { ctx } = this
    let next: ChildOrder
    try {
      next = applyOrderEvent(child, event)
    } catch (e) {
      // A venue can report what our table does not expect (an update for an order we already consider
      // final): keep our state, log the report, carry on reading the venue.
      if (isEngineError(e) && e.code === 'ENGINE_INVALID_TRANSITION') {
        ctx.log.warn({ ...ctx.fields(), client_order_id: child.clientOrderId, code: e.code }, e.message)
        return child
      }
      throw e
    }
    if (event.type === 'fill') {
      try {
        this.book.book(event.fill)
      } catch (e) {
        if (isEngineError(e) && e.code === 'ENGINE_OVERFILL') ctx.stop('broker_error', e.message)
        throw e
      }
      await ctx.journal({ type: 'fill', executionId: ctx.id, atMs: event.fill.tsInit, fill: event.fill })
    }
    this.children.set(next.clientOrderId, next)
    if (child.status !== next.status || !child.filledQty.eq(next.filledQty)) {
      await ctx.journal({
        type: 'child_order_status',
        executionId: ctx.id,
        atMs: ctx.deps.clock.now(),
        clientOrderId: next.clientOrderId,
        from: child.status,
        to: next.status,
        order: next,
      })
    }
    return next
  }

  /**
   * Brings a child up to date with the broker's view: acceptance, then the fill since last time
   * (derived from the cumulative filled quantity and average price), then the status.
   */
  private async sync(child: ChildOrder, bo: BrokerOrder): Promise<ChildOrder> {
    const { ctx } = this
    const now = ctx.deps.clock.now()
    let c = child
    if (c.status === 'submitted' && bo.status !== 'rejected')
      c = await this.apply(c, { type: 'accept', tsEvent: now, brokerOrderId: bo.id })
    if (bo.filledQty.gt(c.filledQty)) {
      const qty = bo.filledQty.sub(c.filledQty)
      const avg = bo.filledAvgPrice
      if (avg === null || !avg.gt(0)) {
        return ctx.stop(
          'broker_error',
          `${c.clientOrderId}: filled ${bo.filledQty} without an average price`,
          'BROKER_BAD_RESPONSE',
        )
      }
      const price = avg.mul(bo.filledQty).sub(c.avgPx.mul(c.filledQty)).div(qty)
      if (!price.gt(0))
        ctx.stop(
          'broker_error',
          `${c.clientOrderId}: cumulative fills imply a price of ${price}`,
          'BROKER_BAD_RESPONSE',
        )
      const fill: Fill = {
        fillId: fillId(`${bo.id}:${bo.filledQty.toString()}`),
        clientOrderId: c.clientOrderId,
        brokerOrderId: bo.id,
        qty,
        price,
        tsEvent: bo.updatedAtMs,
        tsInit: now,
      }
      // a fill already booked (a re-read, or one journaled before a restart) changes nothing
      if (this.book.has(fill.fillId)) {
        ctx.log.warn(
          { ...ctx.fields(), client_order_id: c.clientOrderId, fill_id: fill.fillId, code: 'ENGINE_DUPLICATE_FILL' },
          'Fill already booked',
        )
      } else {
        try {
          c = await this.apply(c, { type: 'fill', tsEvent: now, fill })
        } catch (e) {
          if (isEngineError(e) && e.code === 'ENGINE_OVERFILL') ctx.stop('broker_error', e.message)
          throw e
        }
      }
    } else if (bo.filledQty.lt(c.filledQty)) {
      ctx.log.warn(
        { ...ctx.fields(), client_order_id: c.clientOrderId },
        'Broker reports less filled than already booked; ignored',
      )
    }
    switch (bo.status) {
      case 'filled':
        // Every fill is booked but the child is still open: a resume adopted the stored fills of a run
        // that stopped between journaling the completing fill and journaling the status it led to.
        if (!isTerminal(c.status) && c.filledQty.eq(c.qty)) {
          c = await this.apply(c, { type: 'complete', tsEvent: now })
          ctx.log.info(
            { ...ctx.fields(), client_order_id: c.clientOrderId, status: c.status },
            'Filled child order settled: its fills were stored, its status was not',
          )
        }
        break
      case 'pending_cancel':
        if (!isTerminal(c.status) && c.status !== 'pending_cancel')
          c = await this.apply(c, { type: 'cancel_request', tsEvent: now })
        break
      case 'canceled':
        if (c.status !== 'canceled' && c.status !== 'filled')
          c = await this.apply(c, { type: 'cancel_confirm', tsEvent: now })
        break
      case 'expired':
        if (c.status !== 'expired' && c.status !== 'filled') c = await this.apply(c, { type: 'expire', tsEvent: now })
        break
      case 'rejected':
        if (c.status === 'submitted' || c.status === 'accepted')
          c = await this.apply(c, { type: 'reject', tsEvent: now, reason: 'rejected by broker' })
        break
      default:
    }
    return c
  }

  /**
   * Looks a child whose submit outcome is unknown up by client order id (100 ms, doubling up to the
   * poll interval) until the venue shows it; after UNKNOWN_OUTCOME_TIMEOUT_SECONDS stops the execution
   * with `outcome_unknown`, the child left `submitted` for reconciliation.
   */
  private async awaitUnknownOutcome(child: ChildOrder, cause: BrokerError): Promise<BrokerOrder> {
    const { ctx } = this
    const { orderPollIntervalSeconds, unknownOutcomeTimeoutSeconds } = ctx.deps.config.execution
    const deadline = ctx.deps.clock.now() + unknownOutcomeTimeoutSeconds * 1000
    ctx.log.warn(
      { ...ctx.fields(), client_order_id: child.clientOrderId, broker_error: cause.code, message: cause.message },
      'Submit outcome unknown; looking the order up',
    )
    for (let i = 0; ; i++) {
      const found = await ctx.deps.broker.getOrderByClientId(child.clientOrderId).catch((e: unknown) => {
        ctx.log.warn(
          {
            ...ctx.fields(),
            client_order_id: child.clientOrderId,
            broker_error: isBrokerError(e) ? e.code : String(e),
          },
          'Look-up failed',
        )
        return null
      })
      if (found !== null) return found
      if (ctx.deps.clock.now() >= deadline) {
        ctx.log.error(
          { ...ctx.fields(), client_order_id: child.clientOrderId, broker_error: cause.code },
          'Submit outcome still unknown; sending nothing more',
        )
        ctx.stop(
          'outcome_unknown',
          `submit of ${child.clientOrderId} failed (${cause.message}) and the order was not seen within ${unknownOutcomeTimeoutSeconds}s; it may exist`,
          cause.code,
        )
      }
      // not abortable: a stop request must not leave an order we might hold unaccounted for
      await ctx.deps.orderUpdates.wait(child.clientOrderId, Math.min(orderPollIntervalSeconds * 1000, 100 * 2 ** i))
    }
  }

  private track(child: ChildOrder, req: PlaceChildRequest, submittedAt: number): ChildOrder {
    this.pending.set(child.clientOrderId, { req, submittedAt })
    if (isTerminal(child.status)) this.complete(child)
    return child
  }

  /** Records the slice attempt of a child that reached a final state. */
  private complete(child: ChildOrder): void {
    const p = this.pending.get(child.clientOrderId)
    if (!p) return
    this.pending.delete(child.clientOrderId)
    const late = p.filledAtCancel === undefined ? ZERO : child.filledQty.sub(p.filledAtCancel)
    this.record(child, p.req, p.submittedAt, late)
  }

  private record(child: ChildOrder, req: PlaceChildRequest, submittedAt: number, lateFillQty: Decimal): void {
    const { ctx } = this
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
      completedAt: ctx.deps.clock.now(),
      quoteFlags: req.quoteFlags ?? [],
    }
    this.done.push(attempt)
    if (ctx.log === noopLogger) return // skip building the event nobody reads
    ctx.log.info(
      {
        ...ctx.fields(),
        slice_index: attempt.sliceIndex,
        attempt: attempt.attempt,
        client_order_id: attempt.clientOrderId,
        order_kind: attempt.kind,
        slice_qty: quantityText(attempt.qty),
        limit_price: attempt.limitPrice ? priceText(attempt.limitPrice) : null,
        aggression: attempt.aggression ?? null,
        filled_qty: quantityText(attempt.filledQty),
        late_fill_qty: quantityText(attempt.lateFillQty),
        avg_fill_price: attempt.filledQty.gt(0) ? priceText(attempt.avgFillPrice) : null,
        status: attempt.status,
        total_filled: quantityText(this.book.totalFilled),
      },
      'Slice completed',
    )
  }
}
