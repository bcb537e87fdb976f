import type { Decimal } from 'decimal.js'
import type { BrokerOrderId, ClientOrderId } from '../domain/ids.js'
import type { Side } from '../domain/orderIntent.js'
import type { Quote } from '../domain/quote.js'

/** The broker error taxonomy every adapter maps to. */
export const BROKER_ERRORS = {
  BROKER_AUTH: { message: 'Broker authentication failed', retryable: false },
  BROKER_REJECTED: { message: 'Broker rejected the request', retryable: false },
  BROKER_INSUFFICIENT_FUNDS: { message: 'Insufficient buying power or position', retryable: false },
  BROKER_NOT_FOUND: { message: 'Not found at the broker', retryable: false },
  BROKER_RATE_LIMITED: { message: 'Broker rate limit hit', retryable: true },
  BROKER_UNAVAILABLE: { message: 'Broker unavailable', retryable: true },
  BROKER_TIMEOUT: { message: 'Broker request timed out', retryable: true },
  BROKER_BAD_RESPONSE: { message: 'Unexpected broker response', retryable: false },
  /**
   * A submit may or may not have created the order (the venue said the client order id is taken but
   * cannot show the order yet, or every look-up after a lost answer failed). Never re-send with a new id
   * and never re-plan the quantity: keep looking the order up by client order id.
   */
  BROKER_UNKNOWN_OUTCOME: { message: 'Whether the order exists is not known yet', retryable: false },
  /** The account is flagged as a pattern day trader and may not open this day trade (Alpaca 40310100). */
  BROKER_PATTERN_DAY_TRADER: { message: 'Pattern day trader protection refused the order', retryable: false },
  /** The order would trade against one of the account's own open orders (a potential wash trade). */
  BROKER_WASH_TRADE: { message: 'Refused as a potential wash trade against an open order of the account', retryable: false },
  /** The market-data subscription does not cover what was asked (e.g. SIP quotes without the plan). */
  BROKER_MARKET_DATA_FORBIDDEN: { message: 'The market-data subscription does not cover this request', retryable: false },
} as const satisfies Record<string, { message: string; retryable: boolean }>

export type BrokerErrorCode = keyof typeof BROKER_ERRORS

export interface BrokerErrorOptions {
  /** Defaults to the code's `retryable` in `BROKER_ERRORS`. */
  readonly retryable?: boolean
  /** For `BROKER_RATE_LIMITED`: how long the broker asks us to wait. */
  readonly retryAfterMs?: number
  /** The broker's own status / code, for logs. */
  readonly brokerStatus?: number
  readonly brokerCode?: string | number
  readonly cause?: unknown
}

/** A failed broker call. `retryable` says whether the same request may safely be sent again. */
export class BrokerError extends Error {
  override readonly name = 'BrokerError'
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly brokerStatus: number | undefined
  readonly brokerCode: string | number | undefined
  constructor(
    readonly code: BrokerErrorCode,
    message?: string,
    opts: BrokerErrorOptions = {},
  ) {
    super(message ?? BROKER_ERRORS[code].message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.retryable = opts.retryable ?? BROKER_ERRORS[code].retryable
    this.retryAfterMs = opts.retryAfterMs
    this.brokerStatus = opts.brokerStatus
    this.brokerCode = opts.brokerCode
  }
}

export const isBrokerError = (e: unknown): e is BrokerError =>
  e instanceof Error && e.name === 'BrokerError' && typeof (e as { code?: unknown }).code === 'string'

/** Broker order statuses (Alpaca's names for the ones the engine distinguishes). */
export type BrokerOrderStatus =
  | 'pending_new'
  | 'new'
  | 'accepted'
  | 'partially_filled'
  | 'filled'
  | 'pending_cancel'
  | 'canceled'
  | 'expired'
  | 'rejected'

/** Statuses after which the order will not change (except a late fill already in flight). */
export const BROKER_TERMINAL_STATUSES: ReadonlySet<BrokerOrderStatus> = new Set([
  'filled',
  'canceled',
  'expired',
  'rejected',
])

export interface SubmitOrderRequest {
  /** The idempotency key; at most 128 characters. */
  readonly clientOrderId: ClientOrderId
  readonly symbol: string
  readonly side: Side
  /** > 0; whole shares unless the asset is fractionable. */
  readonly qty: Decimal
  readonly type: 'market' | 'limit'
  /** Required for `limit`, on the tick. */
  readonly limitPrice?: Decimal
  readonly timeInForce: 'day'
}

/** An order as the broker sees it. Fills are reported cumulatively, as Alpaca's order object does. */
export interface BrokerOrder {
  readonly id: BrokerOrderId
  readonly clientOrderId: ClientOrderId
  readonly symbol: string
  readonly side: Side
  readonly type: 'market' | 'limit'
  readonly qty: Decimal
  readonly limitPrice?: Decimal
  readonly status: BrokerOrderStatus
  /** Total filled so far. */
  readonly filledQty: Decimal
  /** Volume-weighted average price of `filledQty`; null while nothing is filled. */
  readonly filledAvgPrice: Decimal | null
  readonly submittedAtMs: number
  readonly updatedAtMs: number
}

export interface Position {
  readonly symbol: string
  /** Signed: negative for a short. */
  readonly qty: Decimal
  readonly avgEntryPrice: Decimal
}

export interface Asset {
  readonly symbol: string
  readonly tradable: boolean
  readonly fractionable: boolean
}

/**
 * What the engine needs from a broker. Every method may throw `BrokerError`; anything else thrown is
 * treated as `BROKER_BAD_RESPONSE` (not retryable).
 *
 * Contract:
 * - `submitOrder` is idempotent on `clientOrderId`: if an order with that id already exists, it returns
 *   that order instead of creating a second one (Alpaca's 422 "client_order_id must be unique" is mapped
 *   to a lookup by the adapter).
 * - `cancelOrder` only *requests* a cancel. The engine then polls `getOrder` until the order is terminal.
 *   Cancelling an order that is already terminal must not throw (return normally, or throw
 *   `BROKER_NOT_FOUND` / `BROKER_REJECTED`, which the engine tolerates and then reads the order).
 * - `getOrderByClientId` returns null when no such order exists.
 * - `getQuote` returns null when the broker has no quote for the symbol.
 * - `getPosition` returns null when there is no position.
 * - `getAsset` throws `BROKER_NOT_FOUND` for an unknown symbol.
 */
export interface BrokerPort {
  getQuote(symbol: string): Promise<Quote | null>
  submitOrder(request: SubmitOrderRequest): Promise<BrokerOrder>
  getOrder(id: BrokerOrderId): Promise<BrokerOrder>
  getOrderByClientId(clientOrderId: ClientOrderId): Promise<BrokerOrder | null>
  cancelOrder(id: BrokerOrderId): Promise<void>
  getPosition(symbol: string): Promise<Position | null>
  getAsset(symbol: string): Promise<Asset>
}
