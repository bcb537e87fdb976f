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
  BROKER_WASH_TRADE: {
    message: 'Refused as a potential wash trade against an open order of the account',
    retryable: false,
  },
  /** The market-data subscription does not cover what was asked (e.g. SIP quotes without the plan). */
  BROKER_MARKET_DATA_FORBIDDEN: {
    message: 'The market-data subscription does not cover this request',
    retryable: false,
  },
} as const satisfies Record<string, { message: string; retryable: boolean }>

export type BrokerErrorCode = keyof typeof BROKER_ERRORS

/**
 * What exactly was wrong, where the code alone does not say it (the code is the class of failure, the
 * reason the case): checks an adapter makes before sending, and venue answers worth telling apart.
 */
export const BROKER_ERROR_REASONS = [
  'asset_not_found',
  'asset_not_tradable',
  'not_fractionable',
  'account_not_trading',
  'insufficient_buying_power',
  'insufficient_position',
  /** The client order id names an order for something else (an earlier intent reused the id). */
  'client_order_id_reused',
  /** The request breaks the venue's rules (tick, quantity, time in force) and was not sent. */
  'invalid_request',
] as const
export type BrokerErrorReason = (typeof BROKER_ERROR_REASONS)[number]

export interface BrokerErrorOptions {
  /** Defaults to the code's `retryable` in `BROKER_ERRORS`. */
  readonly retryable?: boolean
  readonly reason?: BrokerErrorReason
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
  readonly reason: BrokerErrorReason | undefined
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
    this.reason = opts.reason
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
  /**
   * `day` for equities (the order ends at the close); crypto trades around the clock and takes no `day`
   * at Alpaca: `gtc` for limits, `ioc` for market orders.
   */
  readonly timeInForce: TimeInForce
}

export type TimeInForce = 'day' | 'gtc' | 'ioc'

/**
 * When a symbol trades: whether now, and the next open and close (epoch ms; null when there is none,
 * e.g. around the clock). What `getMarketClock` answers.
 */
export interface MarketClock {
  readonly isOpen: boolean
  /**
   * When the next session opens: while closed, the coming open; while open, the open of the session
   * after this one. Null for a symbol that trades around the clock.
   */
  readonly nextOpenMs: number | null
  /** While open: when this session closes; while closed: the next session's close. Null around the clock. */
  readonly nextCloseMs: number | null
  /** Trades around the clock (crypto pairs): never closes. */
  readonly alwaysOpen: boolean
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
  /**
   * How the venue classes it: a `crypto` asset trades around the clock and takes `gtc`/`ioc` orders,
   * never `day`. Absent: decided by the symbol (a pair such as `BTC/USD` is crypto).
   */
  readonly assetClass?: 'us_equity' | 'crypto'
  /**
   * The venue's own price step (Alpaca's `price_increment` on a crypto pair). When present, limit prices
   * are multiples of it; absent: the equity tick (`tickSize`: $0.01 at ≥ $1, $0.0001 below).
   */
  readonly priceIncrement?: Decimal
  /**
   * The venue's own quantity step (Alpaca's `min_trade_increment` on a crypto pair). When present it is
   * the lot; absent: whole shares, or 10⁻⁹ when fractionable and fractional trading is on.
   */
  readonly qtyIncrement?: Decimal
  /** The smallest order the venue takes (Alpaca's `min_order_size` on a crypto pair). */
  readonly minOrderSize?: Decimal
}

/**
 * A symbol's daily statistics as the venue measures them (`getDailyStats`): what the participation
 * impact model needs. `dailyStatsFromBars` computes them from daily bars.
 */
export interface DailyStats {
  readonly symbol: string
  /** Average daily volume over the look-back, shares per day (> 0). */
  readonly adv: Decimal
  /** Sample standard deviation of daily log returns over the look-back (fraction, > 0). */
  readonly dailyVolatility: number
  /** Daily bars the figures come from; null when they are not measured from bars (a simulated market's settings). */
  readonly days: number | null
}

/** What a cancel request found: the venue took the request, or the order was already final (nothing to cancel). */
export type CancelOutcome = 'requested' | 'already_final'

/**
 * What the engine needs from a broker. Every method may throw `BrokerError`; anything else thrown is
 * treated as `BROKER_BAD_RESPONSE` (not retryable).
 *
 * Contract:
 * - **One attempt per call.** An adapter does not retry: a failed call throws, with `retryable` saying
 *   whether the same call may succeed if made again (and `retryAfterMs` how long to wait first). The
 *   engine owns retries — with backoff on its clock, abortable, logged with the execution's fields — so
 *   a retry is never multiplied by a second layer. Client-side pacing (a token bucket) is not a retry
 *   and is allowed.
 * - **Exactly once.** `submitOrder` is idempotent on `clientOrderId`: if an order with that id exists it
 *   returns that order instead of creating a second one (Alpaca's 422 "client_order_id must be unique"
 *   is answered with the order, looked up by client order id). A submit that may have created the order
 *   throws a retryable `BROKER_TIMEOUT` / `BROKER_UNAVAILABLE`, `BROKER_BAD_RESPONSE` (an unreadable
 *   answer) or `BROKER_UNKNOWN_OUTCOME` (the venue says the id is taken but cannot show the order yet):
 *   the caller must look the order up by client order id before sending anything new — the engine
 *   does, and after an unknown outcome never re-plans the quantity. `BROKER_RATE_LIMITED` means the
 *   venue refused the request before processing it. Any other error means no order was created.
 * - `cancelOrder` only *requests* a cancel: `requested`, or `already_final` when the order is filled,
 *   cancelled, expired or rejected (never an error for that). The engine then reads the order until it
 *   is final.
 * - `getOrderByClientId` returns null when no such order exists (yet: an asynchronous venue may not show
 *   an order it has just accepted).
 * - `getQuote` returns null when the broker has no quote for the symbol.
 * - `getPosition` returns null when there is no position.
 * - `getAsset` throws `BROKER_NOT_FOUND` for an unknown symbol.
 * - `getMarketClock` says whether and until when the symbol's market trades now (Alpaca: `/v2/clock`
 *   and `/v2/calendar` for equities, around the clock for crypto pairs).
 * - `getDailyStats` (optional) gives the symbol's average daily volume and daily volatility (Alpaca: daily
 *   bars over a look-back, cached for the trading day; the simulated market: its settings), or null when
 *   the venue has too little history. Without it, or on null or an error, the engine uses its configured
 *   defaults and says so in the result and the log.
 * - `subscribeOrderUpdates` (optional) calls `listener` with an order of ours whenever the venue reports
 *   a change (a fill, a cancel confirmed, a rejection). It only wakes the engine early: the engine still
 *   reads the order itself, so a missed or repeated update costs latency, never correctness.
 */
export interface BrokerPort {
  getQuote(symbol: string): Promise<Quote | null>
  submitOrder(request: SubmitOrderRequest): Promise<BrokerOrder>
  getOrder(id: BrokerOrderId): Promise<BrokerOrder>
  getOrderByClientId(clientOrderId: ClientOrderId): Promise<BrokerOrder | null>
  cancelOrder(id: BrokerOrderId): Promise<CancelOutcome>
  getPosition(symbol: string): Promise<Position | null>
  getAsset(symbol: string): Promise<Asset>
  getMarketClock(symbol: string): Promise<MarketClock>
  getDailyStats?(symbol: string): Promise<DailyStats | null>
  /** Returns a function that ends the subscription. */
  subscribeOrderUpdates?(listener: (order: BrokerOrder) => void): () => void
}
