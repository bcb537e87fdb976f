import type { Decimal } from 'decimal.js'
import { EngineError } from '../errors.js'
import { ZERO } from './dec.js'
import type { Fill } from './fill.js'
import type { BrokerOrderId, ClientOrderId, FillId } from './ids.js'
import type { Side } from './orderIntent.js'

/**
 * A child order's life. `created` means journaled but not yet sent; the rest mirror the broker.
 * Terminal: `filled`, `canceled`, `rejected`, `expired` — although a late fill may still arrive on a
 * `canceled` or `expired` order (a fill racing the cancel) and is booked.
 */
export const ORDER_STATUSES = [
  'created',
  'submitted',
  'accepted',
  'partially_filled',
  'pending_cancel',
  'filled',
  'canceled',
  'rejected',
  'expired',
] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'canceled', 'rejected', 'expired'])
export const isTerminal = (s: OrderStatus): boolean => TERMINAL_STATUSES.has(s)

/** What can happen to a child order. Discriminated on `type`. */
export type OrderEvent =
  | { readonly type: 'submit'; readonly tsEvent: number }
  | { readonly type: 'accept'; readonly tsEvent: number; readonly brokerOrderId: BrokerOrderId }
  | { readonly type: 'reject'; readonly tsEvent: number; readonly reason: string }
  | { readonly type: 'fill'; readonly tsEvent: number; readonly fill: Fill }
  /**
   * The venue reports the order filled and every fill is already applied: a resume adopted the fills of
   * a run that stopped after journaling the completing fill and before journaling the status it led to.
   */
  | { readonly type: 'complete'; readonly tsEvent: number }
  | { readonly type: 'cancel_request'; readonly tsEvent: number }
  | { readonly type: 'cancel_confirm'; readonly tsEvent: number }
  | { readonly type: 'expire'; readonly tsEvent: number }

export type OrderEventType = OrderEvent['type']

/**
 * Every allowed (status, event) pair and where it leads. A pair missing here throws
 * `ENGINE_INVALID_TRANSITION`. A `fill` that completes the quantity moves to `filled` instead of the
 * status listed (except after a cancel was confirmed or the order expired, which stay as they are).
 * `complete` is allowed only once the filled quantity is the order quantity.
 */
export const TRANSITIONS: Readonly<Record<OrderStatus, Partial<Readonly<Record<OrderEventType, OrderStatus>>>>> = {
  created: {
    submit: 'submitted',
    // refused before it was sent (a restart found it never reached the venue)
    reject: 'rejected',
  },
  submitted: {
    accept: 'accepted',
    reject: 'rejected',
    // the first word from the venue can already be a fill (a marketable order answered filled)
    fill: 'partially_filled',
    cancel_request: 'pending_cancel',
    // a look-up after a lost answer finds the order already cancelled (by us before a crash, or by a person)
    cancel_confirm: 'canceled',
    // a day order sent just before the close, first seen expired
    expire: 'expired',
  },
  accepted: {
    // the venue repeats an acknowledgement (re-reads of an order it has accepted)
    accept: 'accepted',
    // Alpaca can answer a POST with 200 and reject the order afterwards
    reject: 'rejected',
    fill: 'partially_filled',
    complete: 'filled',
    cancel_request: 'pending_cancel',
    // the cancel was confirmed before we saw our own request taken (a fast venue, a poll that raced it)
    cancel_confirm: 'canceled',
    expire: 'expired',
  },
  partially_filled: {
    accept: 'partially_filled',
    fill: 'partially_filled',
    complete: 'filled',
    cancel_request: 'pending_cancel',
    cancel_confirm: 'canceled',
    // done_for_day, then expired at the close with part of it filled
    expire: 'expired',
  },
  pending_cancel: {
    accept: 'pending_cancel',
    // a fill racing the cancel: the venue executed before it processed the request
    fill: 'pending_cancel',
    complete: 'filled',
    // the request was repeated (the engine re-sends an unconfirmed cancel)
    cancel_request: 'pending_cancel',
    cancel_confirm: 'canceled',
    // the close came before the cancel was processed
    expire: 'expired',
  },
  filled: {},
  canceled: {
    // a fill that raced the cancel reported after the confirmation (Alpaca's stream and REST can disagree in order)
    fill: 'canceled',
    cancel_confirm: 'canceled',
    // our request reached the venue after it had already cancelled the order
    cancel_request: 'canceled',
  },
  rejected: {},
  // likewise a fill reported after the order expired
  expired: { fill: 'expired', expire: 'expired' },
}

/** A child order as the engine tracks it. Immutable: every event yields a new value. */
export interface ChildOrder {
  readonly clientOrderId: ClientOrderId
  readonly brokerOrderId?: BrokerOrderId
  readonly symbol: string
  readonly side: Side
  readonly type: 'market' | 'limit'
  readonly qty: Decimal
  readonly limitPrice?: Decimal
  /** Schedule slice index (0-based). */
  readonly sliceIndex: number
  /** Attempt within the slice (0-based). */
  readonly attempt: number
  readonly status: OrderStatus
  readonly filledQty: Decimal
  /** Volume-weighted average fill price; zero while nothing is filled. */
  readonly avgPx: Decimal
  readonly fillIds: readonly FillId[]
  readonly createdAt: number
  readonly updatedAt: number
  readonly rejectReason?: string
}

/** What a new child order is made of; the rest starts at `created`, nothing filled. */
export type NewChildOrder = Pick<
  ChildOrder,
  'clientOrderId' | 'symbol' | 'side' | 'type' | 'qty' | 'limitPrice' | 'sliceIndex' | 'attempt' | 'createdAt'
>

export const createChildOrder = (o: NewChildOrder): ChildOrder =>
  with_(
    {
      clientOrderId: o.clientOrderId,
      brokerOrderId: undefined,
      symbol: o.symbol,
      side: o.side,
      type: o.type,
      qty: o.qty,
      limitPrice: o.limitPrice,
      sliceIndex: o.sliceIndex,
      attempt: o.attempt,
      status: 'created',
      filledQty: ZERO,
      avgPx: ZERO,
      fillIds: [],
      createdAt: o.createdAt,
      updatedAt: o.createdAt,
      rejectReason: undefined,
    },
    {},
  )

/**
 * A copy with changes. Every field is written out, in one order, so every `ChildOrder` has the same
 * shape (object spread over values with and without optional fields was a hot spot in the benchmark).
 */
function with_(o: ChildOrder, c: Partial<ChildOrder>): ChildOrder {
  return {
    clientOrderId: o.clientOrderId,
    brokerOrderId: 'brokerOrderId' in c ? c.brokerOrderId : o.brokerOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    qty: o.qty,
    limitPrice: o.limitPrice,
    sliceIndex: o.sliceIndex,
    attempt: o.attempt,
    status: c.status ?? o.status,
    filledQty: c.filledQty ?? o.filledQty,
    avgPx: c.avgPx ?? o.avgPx,
    fillIds: c.fillIds ?? o.fillIds,
    createdAt: o.createdAt,
    updatedAt: c.updatedAt ?? o.updatedAt,
    rejectReason: 'rejectReason' in c ? c.rejectReason : o.rejectReason,
  }
}

/**
 * Applies one event. Throws `ENGINE_INVALID_TRANSITION` for a pair not in `TRANSITIONS` (or a
 * `complete` while part of the quantity is unfilled),
 * `ENGINE_DUPLICATE_FILL` for a fill id already applied (the caller drops it), and `ENGINE_OVERFILL`
 * for a fill beyond the order quantity.
 */
export function applyOrderEvent(order: ChildOrder, event: OrderEvent): ChildOrder {
  // a fill seen before is refused whatever the status, before the table is consulted
  if (event.type === 'fill' && order.fillIds.includes(event.fill.fillId)) {
    throw new EngineError(
      'ENGINE_DUPLICATE_FILL',
      `fill ${event.fill.fillId} already applied to ${order.clientOrderId}`,
    )
  }
  const next = TRANSITIONS[order.status][event.type]
  if (next === undefined) {
    throw new EngineError(
      'ENGINE_INVALID_TRANSITION',
      `${event.type} not allowed for child order ${order.clientOrderId} in status ${order.status}`,
    )
  }
  if (event.type === 'complete' && !order.filledQty.eq(order.qty)) {
    throw new EngineError(
      'ENGINE_INVALID_TRANSITION',
      `complete not allowed for child order ${order.clientOrderId} with ${order.filledQty.toString()} of ${order.qty.toString()} filled`,
    )
  }
  const updatedAt = Math.max(order.updatedAt, event.tsEvent)
  switch (event.type) {
    case 'accept':
      return with_(order, { status: next, brokerOrderId: event.brokerOrderId, updatedAt })
    case 'reject':
      return with_(order, { status: next, rejectReason: event.reason, updatedAt })
    case 'fill': {
      const { fill } = event
      if (!fill.qty.gt(0)) {
        throw new EngineError('ENGINE_INVALID_ARGUMENT', `fill ${fill.fillId} has a quantity of ${fill.qty.toString()}`)
      }
      const filledQty = order.filledQty.add(fill.qty)
      if (filledQty.gt(order.qty)) {
        throw new EngineError(
          'ENGINE_OVERFILL',
          `fill ${fill.fillId} takes ${order.clientOrderId} to ${filledQty.toString()} of ${order.qty.toString()}`,
        )
      }
      const avgPx = order.avgPx.mul(order.filledQty).add(fill.price.mul(fill.qty)).div(filledQty)
      const complete = filledQty.eq(order.qty) && next !== 'canceled' && next !== 'expired'
      return with_(order, {
        brokerOrderId: order.brokerOrderId ?? fill.brokerOrderId,
        status: complete ? 'filled' : next,
        filledQty,
        avgPx,
        fillIds: [...order.fillIds, fill.fillId],
        updatedAt,
      })
    }
    default:
      return with_(order, { status: next, updatedAt })
  }
}

/** Quantity not (yet) filled. */
export const leavesQty = (order: ChildOrder): Decimal => order.qty.sub(order.filledQty)
