import {
  ALWAYS_OPEN,
  BrokerError,
  BROKER_TERMINAL_STATUSES,
  Dec,
  MAX_CLIENT_ORDER_ID_LENGTH,
  createRealClock,
  isBrokerError,
  isOnTick,
  noopLogger,
  tradesAroundTheClock,
  type Asset,
  type BrokerErrorCode,
  type BrokerErrorReason,
  type BrokerOrder,
  type BrokerOrderId,
  type BrokerPort,
  type CancelOutcome,
  type ClientOrderId,
  type Clock,
  type DailyStats,
  type Logger,
  type MarketClock,
  type Position,
  type Quote,
  type SubmitOrderRequest,
  type TimeInForce,
} from '@acx/engine'
import type { Decimal } from 'decimal.js'
import { AlpacaTransportError, createAlpacaRest, type AlpacaRest } from './client.js'
import { resolveAlpacaConfig, type AlpacaBrokerOptions, type AlpacaConfig } from './config.js'
import { openingPrice, openingQty, type BuyingPowerRequest } from './buyingPower.js'
import {
  AlpacaError,
  isAlpacaError,
  isDuplicateClientOrderId,
  isRateLimited,
  mayHaveCreatedOrder,
  possiblyCreatedCode,
  redact,
  toBrokerError,
  type AlpacaFailure,
} from './errors.js'
import {
  orderRequestToDto,
  parseAccount,
  parseAsset,
  parseCalendar,
  parseClock,
  parseDailyStats,
  parseLatestCryptoQuote,
  parseLatestQuote,
  parseOrderView,
  parsePosition,
  type AccountSnapshot,
  type AlpacaClock,
  type AlpacaOrderView,
  type AssetView,
  type PositionDetail,
} from './parse.js'
import { createOrderTracker, type TradeUpdatesStatus } from './stream.js'
import { createTokenBucket } from './tokenBucket.js'

/** What `preflight` checks an order against. */
export interface PreflightRequest {
  readonly symbol: string
  readonly side: 'BUY' | 'SELL'
  readonly qty: Decimal
  readonly type: 'market' | 'limit'
  readonly limitPrice?: Decimal
}

/** What a preflight can find wrong: the `reason` a submit refused by it carries on its `BrokerError`. */
export type PreflightIssueReason = Extract<
  BrokerErrorReason,
  | 'asset_not_found'
  | 'asset_not_tradable'
  | 'not_fractionable'
  | 'account_not_trading'
  | 'insufficient_buying_power'
  | 'insufficient_position'
>

export interface PreflightIssue {
  readonly reason: PreflightIssueReason
  readonly message: string
}

export interface PreflightFacts {
  readonly asset: Asset
  /** The position before the order (null when flat). */
  readonly position: PositionDetail | null
  /**
   * The part of the order that opens or adds to a position, and so needs buying power (a buy beyond a
   * short, a sell beyond the long). The rest covers a short or reduces a long and needs none.
   */
  readonly openingQty: Decimal
  /** Read for a buy, and for a short sale (its buying power). */
  readonly account?: AccountSnapshot
  /**
   * The price the opening part was valued at, as Alpaca does (README, "Buying power"): a buy at its limit,
   * a market buy at the ask plus Alpaca's market-order buffer, a short sale at max(limit, ask + 3%).
   * Undefined when nothing opens, or when it needed a quote and there was none.
   */
  readonly estimatedPrice?: Decimal
}

export type PreflightResult =
  | { readonly ok: true; readonly value: PreflightFacts }
  | { readonly ok: false; readonly issues: readonly PreflightIssue[] }

export interface WaitForOrderOptions {
  /** Give up after this long (BROKER_TIMEOUT, retryable). Default 60,000 ms. */
  readonly timeoutMs?: number
  /** Poll at least this often. Default the adapter's `pollIntervalMs`. */
  readonly pollIntervalMs?: number
  readonly signal?: AbortSignal
}

/** The `BrokerPort` plus what an Alpaca deployment wants besides. */
export interface AlpacaBroker extends BrokerPort {
  /** Checks an order without sending it: asset tradable/fractionable, account, buying power, position. */
  preflight(request: PreflightRequest): Promise<PreflightResult>
  getAccount(): Promise<AccountSnapshot>
  /** The symbol's ADV and σ over daily bars (always present on this adapter; optional on the port). */
  getDailyStats(symbol: string): Promise<DailyStats | null>
  /**
   * Polls (woken early by trade updates) until the order is filled, canceled, expired or rejected. A poll
   * that fails with a retryable error is made again at the next poll; a non-retryable error is thrown.
   */
  waitForOrder(id: BrokerOrderId, options?: WaitForOrderOptions): Promise<BrokerOrder>
  /** Requests the cancel (one attempt, as `cancelOrder`) and waits until the order is final: the final order. */
  cancelAndConfirm(id: BrokerOrderId, options?: WaitForOrderOptions): Promise<BrokerOrder>
  /**
   * Calls `listener` with an order of the account (a replace chain as one order, under its original id)
   * whenever the adapter learns that it changed: from the trade-update stream, or from any read of it
   * (`getOrder`, `waitForOrder`'s polls, …) while the stream is down. Returns the unsubscribe function.
   */
  subscribeOrderUpdates(listener: (order: BrokerOrder) => void): () => void
  /** The trade-update stream's state. */
  tradeUpdatesStatus(): TradeUpdatesStatus
  readonly config: Omit<AlpacaConfig, 'keyId' | 'secretKey'>
  /** Closes the trade-update stream and ends every subscription. The REST methods keep working. */
  close(): Promise<void>
}

const PREFLIGHT_ERROR: Readonly<Record<PreflightIssueReason, BrokerErrorCode>> = {
  asset_not_found: 'BROKER_NOT_FOUND',
  asset_not_tradable: 'BROKER_REJECTED',
  not_fractionable: 'BROKER_REJECTED',
  account_not_trading: 'BROKER_REJECTED',
  insufficient_buying_power: 'BROKER_INSUFFICIENT_FUNDS',
  insufficient_position: 'BROKER_INSUFFICIENT_FUNDS',
}

const failureOf = (e: unknown): AlpacaFailure | undefined => (e instanceof AlpacaTransportError ? e.failure : undefined)

/** Links of a replace chain followed (original → replaced_by → …) before giving up with BROKER_BAD_RESPONSE. */
const MAX_REPLACE_CHAIN = 10
/** Distinct unfamiliar statuses logged (each once). */
const MAX_NOTED_STATUSES = 100
/** Client order ids remembered as "an earlier submit may have created it" (oldest forgotten first). */
const MAX_UNSETTLED = 5_000
/** How long a 429 without a reset time pauses every request. */
const RATE_LIMIT_PAUSE_MS = 1_000
/** Symbols whose asset (and its class) is remembered (oldest forgotten first). */
const MAX_KNOWN_ASSETS = 10_000
const DAY_MS = 86_400_000

/** What `SubmitOrderRequest.timeInForce` may be. */
const TIME_IN_FORCE_VALUES: readonly TimeInForce[] = ['day', 'gtc', 'ioc']

/**
 * The time in force this adapter sends, by kind of asset (README, "Time in force"):
 * - a crypto pair trades around the clock and takes `gtc` or `ioc`, never `day`: "We only support gtc and
 *   ioc time in force options for crypto orders" (https://docs.alpaca.markets/docs/crypto-orders); Alpaca
 *   answers `day` with 422 "invalid crypto time_in_force";
 * - an equity order is a `day` order: it ends at the close, within the session the engine plans in, and
 *   Alpaca takes fractional equity orders only as day orders
 *   (https://docs.alpaca.markets/docs/brokerapi-trading, "Fractional Shares").
 */
const TIME_IN_FORCE_BY_KIND: Readonly<Record<'crypto' | 'equity', readonly TimeInForce[]>> = {
  crypto: ['gtc', 'ioc'],
  equity: ['day'],
}

/** The problem with a request's time in force for its kind of asset, if any. */
function timeInForceProblem(req: SubmitOrderRequest, crypto: boolean): string | undefined {
  if (TIME_IN_FORCE_BY_KIND[crypto ? 'crypto' : 'equity'].includes(req.timeInForce)) return undefined
  return crypto
    ? `time_in_force ${req.timeInForce} is not taken for the crypto pair ${req.symbol}: crypto trades around the clock and Alpaca takes gtc or ioc (https://docs.alpaca.markets/docs/crypto-orders)`
    : `time_in_force ${req.timeInForce} is not taken for the equity ${req.symbol}: equity orders are day orders (they end at the close)`
}

/** What breaks a crypto pair's steps (its asset's `price_increment`, `min_trade_increment`, `min_order_size`). */
function incrementProblems(req: SubmitOrderRequest, asset: Asset): string[] {
  const problems: string[] = []
  const { priceIncrement: tick, qtyIncrement: step, minOrderSize: min } = asset
  if (req.type === 'limit' && req.limitPrice !== undefined && tick !== undefined && !req.limitPrice.mod(tick).isZero())
    problems.push(
      `limit_price ${req.limitPrice.toFixed()} is not a multiple of ${req.symbol}'s price_increment ${tick.toFixed()}`,
    )
  if (step !== undefined && !req.qty.mod(step).isZero())
    problems.push(`qty ${req.qty.toFixed()} is not a multiple of ${req.symbol}'s min_trade_increment ${step.toFixed()}`)
  if (min !== undefined && req.qty.lt(min))
    problems.push(`qty ${req.qty.toFixed()} is below ${req.symbol}'s min_order_size ${min.toFixed()}`)
  return problems
}

/** Sets `key` as the newest entry of `map`, forgetting the oldest beyond `MAX_KNOWN_ASSETS`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > MAX_KNOWN_ASSETS) {
    const oldest = map.keys().next()
    if (!oldest.done) map.delete(oldest.value)
  }
}

const isoOf = (ms: number): string => new Date(ms).toISOString()

/** The symbol Alpaca keeps a position under: a crypto pair without its slash (`BTC/USD` → `BTCUSD`). */
const positionSymbol = (symbol: string): string => symbol.replace('/', '')

const NEW_YORK_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})
/** The trading day a time falls on: its New York calendar date, `YYYY-MM-DD`. */
const newYorkDate = (ms: number): string => NEW_YORK_DATE.format(new Date(ms))

const sumDec = (xs: readonly Decimal[]): Decimal => xs.reduce((a, b) => a.add(b), new Dec(0))

/**
 * A replace chain (original → … → live head) as one order, the way the engine knows it: the original's id,
 * client order id, symbol, side and submit time; fills summed over the chain with their VWAP; the head's
 * status, limit price and last update.
 *
 * Fills are summed because each order at Alpaca is a separate order: a replace "returns the new Order
 * object with the new order ID" (https://docs.alpaca.markets/reference/patchorderbyorderid-1), and Alpaca
 * does not document that the replacement's `filled_qty` carries the original's fills. Summing can only
 * over-count (if it ever did carry them, the engine would see more filled than sent and stop on its
 * overfill check); taking the head alone could under-count, and the engine would send the difference again.
 */
function combineReplaceChain(chain: readonly [AlpacaOrderView, ...AlpacaOrderView[]]): BrokerOrder {
  const first = chain[0]
  const head = chain[chain.length - 1] as AlpacaOrderView
  if (chain.length === 1 && head.alpacaStatus !== 'replaced') return head.order
  const filledQty = sumDec(chain.map((v) => v.order.filledQty))
  const notional = sumDec(
    chain.map((v) => (v.order.filledAvgPrice === null ? new Dec(0) : v.order.filledQty.mul(v.order.filledAvgPrice))),
  )
  const qty = sumDec(chain.slice(0, -1).map((v) => v.order.filledQty)).add(head.order.qty)
  // A head that is itself `replaced` is a replacement not visible yet: the chain is still working.
  const status =
    head.alpacaStatus === 'replaced' ? (filledQty.gt(0) ? 'partially_filled' : 'accepted') : head.order.status
  return {
    ...first.order,
    ...(head.order.limitPrice === undefined ? {} : { limitPrice: head.order.limitPrice }),
    qty: Dec.max(qty, filledQty),
    status,
    filledQty,
    filledAvgPrice: filledQty.gt(0) ? notional.div(filledQty) : null,
    updatedAtMs: Math.max(...chain.map((v) => v.order.updatedAtMs)),
  }
}

/** Builds an SDK object; anything it throws on options we already checked becomes our typed error. */
function sdk<T>(secrets: readonly string[], build: () => T): T {
  try {
    return build()
  } catch (e) {
    if (isAlpacaError(e)) throw e
    const message = redact(e instanceof Error ? e.message : String(e), secrets)
    throw new AlpacaError('ALPACA_INVALID_CONFIG', `The Alpaca SDK refused the adapter's options: ${message}`, [], {
      cause: new Error(message),
    })
  }
}

const describeOrder = (o: {
  side: string
  qty: Decimal
  symbol: string
  type: string
  limitPrice?: Decimal | undefined
}): string =>
  `${o.side} ${o.qty.toFixed()} ${o.symbol} ${o.type}${o.limitPrice === undefined ? '' : ` @ ${o.limitPrice.toFixed()}`}`

/**
 * A `BrokerPort` over Alpaca (paper by default). One attempt per call: every failure is thrown as one
 * `BrokerError` and the engine decides what to retry. See the README for configuration, the exactly-once
 * rules and the error table.
 */
export function createAlpacaBroker(options: AlpacaBrokerOptions): AlpacaBroker {
  const config = resolveAlpacaConfig(options)
  const logger: Logger = options.logger ?? noopLogger
  const clock: Clock = options.clock ?? createRealClock()
  const secrets = [config.keyId, config.secretKey]
  const rest: AlpacaRest = sdk(secrets, () => createAlpacaRest(config))
  const bucket = createTokenBucket({ maxPerMinute: config.maxRequestsPerMinute, burst: config.burst, clock })
  const notedStatuses = new Set<string>()
  const listeners = new Set<(order: BrokerOrder) => void>()
  /**
   * Client order ids whose last submit may have created the order (no answer, a 5xx, an unreadable answer,
   * an order Alpaca could not show yet). A resend of one skips the preflight, and a refusal of that resend
   * proves nothing about the earlier send: it is settled by a look-up (README, "Exactly once").
   */
  const unsettled = new Set<string>()

  /** Logs, once per status, an order status the engine has no name for (it reads as open). */
  const noteStatus = (view: AlpacaOrderView): void => {
    if (
      view.statusKind === 'native' ||
      notedStatuses.has(view.alpacaStatus) ||
      notedStatuses.size >= MAX_NOTED_STATUSES
    )
      return
    notedStatuses.add(view.alpacaStatus)
    const fields = {
      alpacaStatus: view.alpacaStatus,
      orderId: view.order.id,
      clientOrderId: view.order.clientOrderId,
      treatedAs: view.order.status,
    }
    if (view.statusKind === 'unknown') {
      logger.warn(
        fields,
        `Alpaca order status "${view.alpacaStatus}" is not one this adapter knows; the order is treated as open (it can still be cancelled)`,
      )
    } else {
      logger.info(fields, `Alpaca order status "${view.alpacaStatus}" is not final; the order is treated as open`)
    }
  }

  /** Tells the subscribers of a changed order, presented as the engine knows it (a replace chain as one order). */
  const tell = (view: AlpacaOrderView): void => {
    if (listeners.size === 0) return
    const chain = tracker.chainOf(view.order.id)
    const order = combineReplaceChain(chain.length > 0 ? (chain as [AlpacaOrderView, ...AlpacaOrderView[]]) : [view])
    for (const listener of [...listeners]) {
      try {
        listener(order)
      } catch (e) {
        logger.warn(
          { orderId: order.id, err: redact(e instanceof Error ? e.message : String(e), secrets) },
          'An order-update listener threw; ignored',
        )
      }
    }
  }

  const tracker = sdk(secrets, () => createOrderTracker(config, clock, logger, { onView: noteStatus, onChange: tell }))
  /** Assets read, for `assetCacheTtlMs`. */
  const assets = new Map<string, { readonly view: AssetView; readonly atMs: number }>()
  /** Alpaca's class of every asset read (`us_equity`, `crypto`, …): it does not change, so it is kept. */
  const assetClasses = new Map<string, string>()
  /** The equity market's clock, reused until `validUntilMs` on the adapter's clock. */
  let marketClock: { readonly value: MarketClock; readonly validUntilMs: number } | undefined
  /** A clock read in flight: concurrent calls share it. */
  let marketClockRead: Promise<MarketClock> | undefined

  const brokerError = (e: unknown, context: string): BrokerError => {
    if (isBrokerError(e)) return e
    const failure = failureOf(e)
    if (failure) return toBrokerError(failure, context, secrets)
    return new BrokerError(
      'BROKER_BAD_RESPONSE',
      redact(`${context}: ${e instanceof Error ? e.message : String(e)}`, secrets),
      { cause: e },
    )
  }

  /**
   * A 429: every request waits for Alpaca's reset (the bucket pauses; pacing, not a retry). The error
   * carries the pause as `retryAfterMs`.
   */
  const rateLimited = (failure: AlpacaFailure, context: string, note?: string): BrokerError => {
    const retryAfter = failure.kind === 'http' ? failure.retryAfterMs : undefined
    const waitMs = retryAfter ?? RATE_LIMIT_PAUSE_MS
    bucket.pauseUntil(clock.now() + waitMs)
    logger.warn({ context, waitMs: Math.round(waitMs) }, 'Alpaca rate limit (429): requests paused until its reset')
    return toBrokerError(failure, context, secrets, {
      code: 'BROKER_RATE_LIMITED',
      retryAfterMs: waitMs,
      ...(note === undefined ? {} : { note }),
    })
  }

  /** One request, paced by the token bucket and sent once. Throws `BrokerError`. */
  const send = async <T>(context: string, fn: () => Promise<T>): Promise<T> => {
    await bucket.take()
    try {
      return await fn()
    } catch (e) {
      const failure = failureOf(e)
      if (failure && isRateLimited(failure)) throw rateLimited(failure, context)
      throw brokerError(e, context)
    }
  }

  const notFoundToNull = async <T>(p: Promise<T>): Promise<T | null> => {
    try {
      return await p
    } catch (e) {
      if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND' && e.brokerStatus === 404) return null
      throw e
    }
  }

  /** One order read over REST: parsed, its status noted, remembered (the most advanced known state wins). */
  const readView = (raw: unknown): AlpacaOrderView => {
    const view = parseOrderView(raw)
    noteStatus(view)
    return tracker.remember(view)
  }

  const fetchView = async (id: string): Promise<AlpacaOrderView> =>
    readView(await send(`get order ${id}`, () => rest.getOrder(id)))

  const lookupViewByClientId = async (clientOrderId: ClientOrderId): Promise<AlpacaOrderView | null> => {
    const raw = await notFoundToNull(
      send(`get order by client_order_id ${clientOrderId}`, () => rest.getOrderByClientOrderId(clientOrderId)),
    )
    return raw === null ? null : readView(raw)
  }

  /**
   * Follows `replaced_by` from a replaced order to the live head, statelessly (every link read from
   * Alpaca, so it works after a restart), and presents the chain as one order (`combineReplaceChain`).
   * acx never replaces orders; a human can (dashboard, PATCH), and the replacement can still fill.
   */
  const resolveReplaceChain = async (first: AlpacaOrderView): Promise<BrokerOrder> => {
    if (first.alpacaStatus !== 'replaced') return first.order
    const chain: [AlpacaOrderView, ...AlpacaOrderView[]] = [first]
    let head = first
    while (head.alpacaStatus === 'replaced' && head.replacedBy !== null) {
      if (chain.length > MAX_REPLACE_CHAIN) {
        throw new BrokerError(
          'BROKER_BAD_RESPONSE',
          `order ${first.order.id} was replaced more than ${MAX_REPLACE_CHAIN} times; not followed further`,
        )
      }
      const next = await notFoundToNull(fetchView(head.replacedBy))
      if (next === null) break // not visible yet (asynchronous processing): the chain reads as still working
      chain.push(next)
      head = next
    }
    if (head.alpacaStatus === 'replaced') {
      logger.warn(
        { orderId: first.order.id, replacedBy: head.replacedBy, headId: head.order.id },
        'Alpaca replacement order not visible yet; the order reads as open',
      )
    }
    return combineReplaceChain(chain)
  }

  const getAssetView = async (symbol: string): Promise<AssetView> => {
    const cached = assets.get(symbol)
    if (cached && clock.now() - cached.atMs < config.assetCacheTtlMs) return cached.view
    const view = parseAsset(await send(`get asset ${symbol}`, () => rest.getAsset(symbol)))
    remember(assets, symbol, { view, atMs: clock.now() })
    remember(assetClasses, symbol, view.assetClass)
    return view
  }

  const getAsset = async (symbol: string): Promise<Asset> => (await getAssetView(symbol)).asset

  /** Whether a symbol is a crypto pair, as far as known without a request: a `/` in it, or its asset's class. */
  const knownCrypto = (symbol: string): boolean | undefined => {
    if (tradesAroundTheClock(symbol)) return true
    const assetClass = assetClasses.get(symbol)
    return assetClass === undefined ? undefined : assetClass === 'crypto'
  }

  /** Whether a symbol is a crypto pair; reads its asset when that is not known yet (BROKER_NOT_FOUND if none). */
  const isCrypto = async (symbol: string): Promise<boolean> =>
    knownCrypto(symbol) ?? (await getAssetView(symbol)).assetClass === 'crypto'

  /**
   * A clock that says closed with its next close before its next open — the market closed during a
   * session (a market-wide halt): its next close is that session's. The next session's close is then the
   * calendar's (early closes included): the session in which the clock's next open falls.
   */
  const closeOfNextSession = async (c: AlpacaClock): Promise<number> => {
    // The SDK writes start/end as RFC 3339 times; a day either side covers the date whichever way Alpaca reads them.
    const raw = await send('get market calendar', () =>
      rest.getCalendar(new Date(c.nextOpenMs - DAY_MS), new Date(c.nextOpenMs + DAY_MS)),
    )
    const session = parseCalendar(raw).find((x) => x.openMs <= c.nextOpenMs && c.nextOpenMs < x.closeMs)
    if (session === undefined) {
      throw new BrokerError(
        'BROKER_BAD_RESPONSE',
        `Alpaca's clock says the market opens at ${isoOf(c.nextOpenMs)}, but its calendar has no session then`,
      )
    }
    logger.info(
      { nextOpen: isoOf(c.nextOpenMs), clockNextClose: isoOf(c.nextCloseMs), sessionClose: isoOf(session.closeMs) },
      "Alpaca's clock says closed with its next close before its next open; the next session's close is the calendar's",
    )
    return session.closeMs
  }

  /**
   * One read of the equity market's clock (`GET /v2/clock`, and `GET /v2/calendar` when the clock alone
   * does not give the next session's close), remembered until the next open or close it names — measured
   * on Alpaca's own timestamp, so a skew between the clocks does not matter — and at most
   * `marketClockMaxAgeMs`.
   */
  const readMarketClock = async (): Promise<MarketClock> => {
    const c = parseClock(await send('get market clock', () => rest.getClock()))
    const answeredAtMs = clock.now()
    const nextCloseMs = !c.isOpen && c.nextCloseMs <= c.nextOpenMs ? await closeOfNextSession(c) : c.nextCloseMs
    const value: MarketClock = { isOpen: c.isOpen, nextOpenMs: c.nextOpenMs, nextCloseMs, alwaysOpen: false }
    const validForMs = Math.min((c.isOpen ? c.nextCloseMs : c.nextOpenMs) - c.timestampMs, config.marketClockMaxAgeMs)
    marketClock = validForMs > 0 ? { value, validUntilMs: answeredAtMs + validForMs } : undefined
    return value
  }

  /**
   * When a symbol trades: a crypto pair around the clock (no request); an equity by Alpaca's market clock
   * (README, "Market clock"). An unknown symbol is BROKER_NOT_FOUND (its asset read).
   */
  const getMarketClock = async (symbol: string): Promise<MarketClock> => {
    if (await isCrypto(symbol)) return ALWAYS_OPEN
    if (marketClock !== undefined && clock.now() < marketClock.validUntilMs) return marketClock.value
    marketClockRead ??= readMarketClock().finally(() => {
      marketClockRead = undefined
    })
    return marketClockRead
  }

  /** Each symbol's daily statistics for one trading day (null: too little history), at most MAX_KNOWN_ASSETS symbols. */
  const dailyStats = new Map<string, { readonly day: string; readonly stats: DailyStats | null }>()

  /**
   * A symbol's ADV and daily σ from its last `statsLookbackDays` complete daily bars (split- and
   * dividend-adjusted; today's bar, still forming, is left out), cached for the trading day. A crypto
   * pair has none here (null): the engine then uses its configured defaults.
   */
  const getDailyStats = async (symbol: string): Promise<DailyStats | null> => {
    const now = clock.now()
    const today = newYorkDate(now)
    const cached = dailyStats.get(symbol)
    if (cached?.day === today) return cached.stats
    try {
      if (await isCrypto(symbol)) return null
    } catch (e) {
      if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND') return null // an unknown symbol has no history
      throw e
    }
    const days = config.statsLookbackDays
    // enough calendar days for `days` sessions (5 of 7, holidays) ending before today; SIP is not served
    // for the last 15 minutes without a subscription, so the range ends 20 minutes ago
    const start = new Date(now - (Math.ceil((days * 7) / 5) + 10) * DAY_MS)
    const end = new Date(now - 20 * 60_000)
    const raw = await send(`get daily bars ${symbol}`, () => rest.getDailyBars(symbol, start, end))
    const stats = parseDailyStats(raw, symbol, days, (t) => newYorkDate(t) !== today)
    remember(dailyStats, symbol, { day: today, stats })
    return stats
  }

  const getAccount = async (): Promise<AccountSnapshot> =>
    parseAccount(await send('get account', () => rest.getAccount()))

  /**
   * A position. Alpaca keeps a crypto pair's position under the pair's symbol without the slash: it answers
   * `GET /v2/positions/BTC/USD` with 404 and `GET /v2/positions/BTCUSD` with the position, whose `symbol` is
   * `BTCUSD` (https://github.com/alpacahq/alpaca-py/issues/537, https://github.com/alpacahq/alpaca-py/issues/490).
   * So a pair is asked for as `BTCUSD` and the answer is reported under the symbol asked for.
   */
  const getPositionDetail = async (symbol: string): Promise<PositionDetail | null> => {
    const venueSymbol = positionSymbol(symbol)
    const raw = await notFoundToNull(send(`get position ${symbol}`, () => rest.getPosition(venueSymbol)))
    if (raw === null) return null
    const p = parsePosition(raw)
    if (p.symbol !== symbol && p.symbol !== venueSymbol) {
      throw new BrokerError('BROKER_BAD_RESPONSE', `Alpaca answered the position of ${symbol} with one of ${p.symbol}`)
    }
    return { ...p, symbol }
  }

  /**
   * The pair to ask the crypto data API for: the symbol when it has the slash (`BTC/USD`); for a legacy
   * crypto symbol (`BTCUSD`, class crypto) the pair form Alpaca's asset gave, if read. Undefined: an equity.
   */
  const cryptoPair = (symbol: string): string | undefined => {
    if (tradesAroundTheClock(symbol)) return symbol
    if (assetClasses.get(symbol) !== 'crypto') return undefined
    const listed = assets.get(symbol)?.view.asset.symbol
    // The data API takes only the slash form ("invalid symbol: BTCUSD does not match ^[A-Z]+/[A-Z]+$",
    // https://github.com/alpacahq/alpaca-py/issues/537): without it, Alpaca's refusal is the answer.
    return listed !== undefined && tradesAroundTheClock(listed) ? listed : symbol
  }

  /**
   * The latest quote: a crypto pair's from the crypto data API (`/v1beta3/crypto/us/latest/quotes`), an
   * equity's from the stocks one (`/v2/stocks/{symbol}/quotes/latest`, the configured feed). Both go
   * through the token bucket and are sent once, as every call.
   */
  const getQuote = async (symbol: string): Promise<Quote | null> => {
    const pair = cryptoPair(symbol)
    if (pair !== undefined) {
      const raw = await notFoundToNull(send(`get latest crypto quote ${symbol}`, () => rest.getLatestCryptoQuote(pair)))
      const quote = raw === null ? null : parseLatestCryptoQuote(raw, pair)
      return quote === null ? null : { ...quote, symbol }
    }
    const raw = await notFoundToNull(send(`get latest quote ${symbol}`, () => rest.getLatestQuote(symbol)))
    return raw === null ? null : parseLatestQuote(raw, symbol)
  }

  /** The latest quote for pricing a preflight; a market-data failure (e.g. no SIP plan) must not block trading. */
  const quoteForPreflight = async (symbol: string): Promise<Quote | null> =>
    getQuote(symbol).catch((e: unknown) => {
      logger.warn({ symbol, code: isBrokerError(e) ? e.code : undefined }, 'Preflight: latest quote unavailable')
      return null
    })

  const preflight = async (req: PreflightRequest): Promise<PreflightResult> => {
    const issues: PreflightIssue[] = []
    let asset: Asset
    try {
      asset = await getAsset(req.symbol)
    } catch (e) {
      if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND') {
        return { ok: false, issues: [{ reason: 'asset_not_found', message: `Alpaca has no asset ${req.symbol}` }] }
      }
      throw e
    }
    if (!asset.tradable)
      issues.push({ reason: 'asset_not_tradable', message: `${req.symbol} is not tradable on Alpaca` })
    if (!req.qty.isInteger() && !asset.fractionable) {
      issues.push({
        reason: 'not_fractionable',
        message: `${req.symbol} is not fractionable: ${req.qty.toFixed()} is not a whole number of shares`,
      })
    }
    const [position, buyAccount] = await Promise.all([
      getPositionDetail(req.symbol),
      req.side === 'BUY' ? getAccount() : undefined,
    ])
    const bp: BuyingPowerRequest = {
      side: req.side,
      type: req.type,
      qty: req.qty,
      ...(req.limitPrice === undefined ? {} : { limitPrice: req.limitPrice }),
      positionQty: position?.qty ?? new Dec(0),
      qtyAvailable: position?.qtyAvailable ?? new Dec(0),
    }
    const opening = openingQty(bp)
    if (req.side === 'SELL' && opening.gt(0) && !config.allowShortSelling) {
      const available = req.qty.sub(opening)
      issues.push({
        reason: 'insufficient_position',
        message: `selling ${req.qty.toFixed()} ${req.symbol} but only ${available.toFixed()} is held and free to sell`,
      })
      return { ok: false, issues }
    }
    // Buying power: only for what opens or adds to a position (a short sale included).
    const account = buyAccount ?? (opening.gt(0) ? await getAccount() : undefined)
    if (account && !account.canTrade)
      issues.push({
        reason: 'account_not_trading',
        message: `the Alpaca account cannot trade (status ${account.status})`,
      })
    let estimatedPrice: Decimal | undefined
    if (account && opening.gt(0)) {
      const needsQuote = req.side === 'SELL' || req.type === 'market'
      const valuation = openingPrice(bp, needsQuote ? await quoteForPreflight(req.symbol) : null)
      if (valuation === undefined) {
        logger.warn(
          { symbol: req.symbol, side: req.side },
          'Preflight: no price to value the order at; buying power not checked (Alpaca checks it)',
        )
      } else {
        estimatedPrice = valuation.price
        const cost = valuation.price.mul(opening)
        if (cost.gt(account.buyingPower)) {
          const what = req.side === 'BUY' ? 'buying' : 'short-selling'
          issues.push({
            reason: 'insufficient_buying_power',
            message: `${what} ${opening.toFixed()} ${req.symbol} valued at ${valuation.price.toFixed()} (${valuation.basis}) costs ${cost.toFixed(2)}, buying power is ${account.buyingPower.toFixed(2)}`,
          })
        }
      }
    }
    if (issues.length > 0) return { ok: false, issues }
    return {
      ok: true,
      value: {
        asset,
        position,
        openingQty: opening,
        ...(account === undefined ? {} : { account }),
        ...(estimatedPrice === undefined ? {} : { estimatedPrice }),
      },
    }
  }

  const checkRequest = (req: SubmitOrderRequest): void => {
    const problems: string[] = []
    if (
      typeof req.clientOrderId !== 'string' ||
      req.clientOrderId.length === 0 ||
      req.clientOrderId.length > MAX_CLIENT_ORDER_ID_LENGTH
    ) {
      problems.push(`client_order_id must be 1–${MAX_CLIENT_ORDER_ID_LENGTH} characters`)
    }
    if (typeof req.symbol !== 'string' || req.symbol.length === 0) problems.push('symbol is required')
    if (req.side !== 'BUY' && req.side !== 'SELL') problems.push('side must be BUY or SELL')
    if (!req.qty?.isFinite() || !req.qty.gt(0)) problems.push('qty must be > 0')
    if (!TIME_IN_FORCE_VALUES.includes(req.timeInForce)) {
      problems.push(`time_in_force must be day, gtc or ioc (got ${String(req.timeInForce)})`)
    } else {
      const crypto = typeof req.symbol === 'string' ? knownCrypto(req.symbol) : undefined
      const problem = crypto === undefined ? undefined : timeInForceProblem(req, crypto)
      if (problem !== undefined) problems.push(problem)
    }
    if (req.type === 'limit') {
      const crypto = typeof req.symbol === 'string' && knownCrypto(req.symbol) === true
      if (req.limitPrice === undefined || !req.limitPrice.isFinite() || !req.limitPrice.gt(0)) {
        problems.push(`limit_price ${req.limitPrice?.toFixed() ?? '(missing)'} must be a price > 0`)
      } else if (!crypto && !isOnTick(req.limitPrice)) {
        // a crypto pair's price step is its asset's `price_increment`, checked once the asset is read
        problems.push(`limit_price ${req.limitPrice.toFixed()} is not on the tick ($0.01 at ≥ $1, $0.0001 below)`)
      }
    } else if (req.type === 'market') {
      if (req.limitPrice !== undefined) problems.push('a market order takes no limit_price')
    } else {
      problems.push('type must be market or limit')
    }
    if (problems.length > 0) throw invalidRequest(req, problems)
  }

  const invalidRequest = (req: SubmitOrderRequest, problems: readonly string[]): BrokerError =>
    new BrokerError('BROKER_REJECTED', `Order ${req.clientOrderId} not sent: ${problems.join('; ')}`, {
      reason: 'invalid_request',
    })

  /**
   * The request against its asset, once the asset is known: after the preflight read it, or by reading it
   * (the asset cache first). The time in force against the kind of asset; for a crypto pair, the asset's
   * steps (README, "Crypto pairs"): the limit price a multiple of `price_increment`, the quantity a
   * multiple of `min_trade_increment` and at least `min_order_size`. An asset Alpaca does not have is left
   * to Alpaca's answer (the preflight, when on, has refused it already).
   */
  const checkAgainstAsset = async (req: SubmitOrderRequest): Promise<void> => {
    let crypto: boolean
    try {
      crypto = await isCrypto(req.symbol)
    } catch (e) {
      if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND') return
      throw e
    }
    const problem = timeInForceProblem(req, crypto)
    if (problem !== undefined) throw invalidRequest(req, [problem])
    if (!crypto) return
    let asset: Asset
    try {
      asset = await getAsset(req.symbol)
    } catch (e) {
      if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND') return
      throw e
    }
    const problems = incrementProblems(req, asset)
    if (problems.length > 0) throw invalidRequest(req, problems)
  }

  /** The order Alpaca shows under our client order id must be the one requested. */
  const checkIsOurs = (order: BrokerOrder, req: SubmitOrderRequest): void => {
    if (order.clientOrderId !== req.clientOrderId) {
      throw new BrokerError(
        'BROKER_BAD_RESPONSE',
        `Alpaca returned order ${order.id} (client_order_id ${order.clientOrderId}) for ${req.clientOrderId}`,
      )
    }
    const same =
      order.symbol === req.symbol &&
      order.side === req.side &&
      order.type === req.type &&
      order.qty.eq(req.qty) &&
      (req.type !== 'limit' ||
        (order.limitPrice !== undefined && req.limitPrice !== undefined && order.limitPrice.eq(req.limitPrice)))
    if (!same) {
      // Same client order id, another order: an earlier intent reused the id. Never book it as this one.
      throw new BrokerError(
        'BROKER_REJECTED',
        `client_order_id ${req.clientOrderId} already names an order to ${describeOrder(order)}, not ${describeOrder(req)}`,
        { reason: 'client_order_id_reused' },
      )
    }
  }

  /** Our order as the engine should see it: checked against the request (as sent), then its replace chain followed. */
  const accept = async (view: AlpacaOrderView, req: SubmitOrderRequest): Promise<BrokerOrder> => {
    unsettled.delete(req.clientOrderId) // an order exists under the id: nothing left to settle
    checkIsOurs(view.order, req)
    return resolveReplaceChain(view)
  }

  const markUnsettled = (clientOrderId: ClientOrderId): void => {
    unsettled.delete(clientOrderId)
    unsettled.add(clientOrderId)
    if (unsettled.size > MAX_UNSETTLED) {
      const oldest = unsettled.values().next().value
      if (oldest !== undefined) unsettled.delete(oldest)
    }
  }

  const unknownOutcome = (req: SubmitOrderRequest, why: string, cause: BrokerError): BrokerError =>
    new BrokerError(
      'BROKER_UNKNOWN_OUTCOME',
      `Order ${req.clientOrderId} may exist at Alpaca: ${why}. Look it up by client_order_id; never send it under a new id.`,
      {
        ...(cause.brokerStatus === undefined ? {} : { brokerStatus: cause.brokerStatus }),
        ...(cause.brokerCode === undefined ? {} : { brokerCode: cause.brokerCode }),
        cause,
      },
    )

  /**
   * The order exists, or may: one look-up by client order id. Found → that is the order. Not visible
   * (Alpaca processes orders asynchronously) or the look-up failed → BROKER_UNKNOWN_OUTCOME: the engine
   * keeps looking it up; the adapter does not loop.
   */
  const settleByLookUp = async (req: SubmitOrderRequest, why: string, cause: BrokerError): Promise<BrokerOrder> => {
    const log = { clientOrderId: req.clientOrderId, symbol: req.symbol }
    let view: AlpacaOrderView | null
    try {
      view = await lookupViewByClientId(req.clientOrderId)
    } catch (e) {
      markUnsettled(req.clientOrderId)
      const failed = brokerError(e, 'look-up')
      logger.warn({ ...log, code: failed.code }, `Order outcome unknown: ${why}; its look-up failed`)
      throw unknownOutcome(req, `${why}; its look-up by client_order_id failed (${failed.message})`, cause)
    }
    if (view === null) {
      markUnsettled(req.clientOrderId)
      logger.warn(log, `Order outcome unknown: ${why}; Alpaca cannot show it yet`)
      throw unknownOutcome(req, `${why}; a look-up by client_order_id cannot show it yet`, cause)
    }
    logger.info({ ...log, orderId: view.order.id }, 'Order found at Alpaca by client_order_id')
    return accept(view, req)
  }

  /**
   * One POST. Exactly once, in the port's terms (README, "Exactly once"):
   * - an order → that is the order;
   * - 422 "client_order_id must be unique" → the order exists: `settleByLookUp`;
   * - 429 → refused before processing: `BROKER_RATE_LIMITED` (retryable; every request paused until the reset);
   * - no answer, 5xx, 408, an unreadable answer → the order may exist: retryable `BROKER_TIMEOUT` /
   *   `BROKER_UNAVAILABLE`, or `BROKER_BAD_RESPONSE`; the id is remembered as unsettled;
   * - any other refusal → not created, thrown as mapped; but when an earlier submit of this id may have
   *   created the order (`resend`), the refusal proves nothing about it: `settleByLookUp`.
   */
  const submitOnce = async (req: SubmitOrderRequest, resend: boolean): Promise<BrokerOrder> => {
    const context = `submit order ${req.clientOrderId}`
    const log = { clientOrderId: req.clientOrderId, symbol: req.symbol }
    await bucket.take()
    let failure: AlpacaFailure
    try {
      const view = readView(await rest.postOrder(orderRequestToDto(req)))
      const order = await accept(view, req)
      logger.debug({ ...log, orderId: order.id, status: view.alpacaStatus }, 'Alpaca order accepted')
      return order
    } catch (e) {
      if (isBrokerError(e) && e.code !== 'BROKER_BAD_RESPONSE') throw e
      failure = failureOf(e) ?? { kind: 'bad_response', message: e instanceof Error ? e.message : String(e) }
    }
    if (isDuplicateClientOrderId(failure)) {
      logger.info(
        log,
        'Alpaca answered duplicate client_order_id (422 client_order_id must be unique): the order exists; looking it up',
      )
      return settleByLookUp(
        req,
        'Alpaca answered 422 "client_order_id must be unique" (the order exists)',
        toBrokerError(failure, context, secrets),
      )
    }
    if (isRateLimited(failure))
      throw rateLimited(failure, context, 'refused before processing: the order was not created')
    if (mayHaveCreatedOrder(failure)) {
      markUnsettled(req.clientOrderId)
      const err = toBrokerError(failure, context, secrets, {
        code: possiblyCreatedCode(failure),
        note: 'the order may have been created: look it up by client_order_id before sending it again (with the same id)',
      })
      logger.warn({ ...log, code: err.code }, 'Order submit outcome unknown')
      throw err
    }
    const refusal = toBrokerError(failure, context, secrets)
    if (!resend) throw refusal
    return settleByLookUp(
      req,
      `an earlier submit may have created it and this resend was refused (${refusal.message})`,
      refusal,
    )
  }

  const submitOrder = async (req: SubmitOrderRequest): Promise<BrokerOrder> => {
    checkRequest(req)
    const resend = unsettled.has(req.clientOrderId)
    if (resend) {
      logger.info(
        { clientOrderId: req.clientOrderId },
        "Resending an order an earlier submit may have created (same client_order_id); no preflight: Alpaca's answer settles it",
      )
    } else if (config.preflight) {
      const pf = await preflight(req)
      if (!pf.ok) {
        // The order may have gone out before (and filled, failing the position check): then answer with it.
        const existing = await lookupViewByClientId(req.clientOrderId)
        if (existing) return accept(existing, req)
        const first = pf.issues[0] as PreflightIssue
        throw new BrokerError(
          PREFLIGHT_ERROR[first.reason],
          `Order ${req.clientOrderId} not sent: ${pf.issues.map((i) => i.message).join('; ')}`,
          {
            reason: first.reason,
          },
        )
      }
    }
    await checkAgainstAsset(req)
    return submitOnce(req, resend)
  }

  const getOrder = async (id: BrokerOrderId): Promise<BrokerOrder> => {
    const known = tracker.latest(id)
    // A final state from the stream is final: no need to ask again (a replaced order never reads final).
    if (known && BROKER_TERMINAL_STATUSES.has(known.order.status)) return known.order
    return resolveReplaceChain(await fetchView(id))
  }

  /**
   * Requests the cancel of the order — of the live head of its chain when it was replaced. Alpaca's 422
   * "order is not cancelable" is settled by reading the order: final → `already_final`; replaced meanwhile
   * → the cancel goes to its replacement; a cancel already pending → `requested`; anything else (a state
   * in between, such as `pending_replace`) → a retryable `BROKER_REJECTED`.
   */
  const cancelOrder = async (id: BrokerOrderId): Promise<CancelOutcome> => {
    let target: string = id
    for (let link = 0; link <= MAX_REPLACE_CHAIN; link++) {
      const known = tracker.latest(target)
      if (known?.alpacaStatus === 'replaced' && known.replacedBy !== null) {
        target = known.replacedBy
        continue
      }
      let notCancelable: BrokerError
      try {
        await send(`cancel order ${target}`, () => rest.cancelOrder(target))
        logger.debug({ orderId: id, cancelled: target }, 'Alpaca cancel requested')
        return 'requested'
      } catch (e) {
        if (!isBrokerError(e) || e.brokerStatus !== 422) throw e
        notCancelable = e
      }
      const view = await notFoundToNull(fetchView(target))
      if (view === null) {
        throw new BrokerError(
          'BROKER_UNAVAILABLE',
          `cancel order ${target}: Alpaca answered 422 (not cancelable) but cannot show the order; ask again`,
          {
            brokerStatus: 422,
            cause: notCancelable,
          },
        )
      }
      if (view.alpacaStatus === 'replaced' && view.replacedBy !== null) {
        logger.info(
          { orderId: id, replaced: target, replacedBy: view.replacedBy },
          'Alpaca order was replaced; cancelling its replacement',
        )
        target = view.replacedBy
        continue
      }
      if (BROKER_TERMINAL_STATUSES.has(view.order.status)) {
        logger.info(
          { orderId: id, cancelled: target, alpacaStatus: view.alpacaStatus },
          'Alpaca order not cancelable: already final',
        )
        return 'already_final'
      }
      if (view.order.status === 'pending_cancel') return 'requested'
      throw new BrokerError(
        'BROKER_REJECTED',
        `cancel order ${target}: Alpaca answered 422 (not cancelable) while the order is ${view.alpacaStatus}; ask again`,
        {
          retryable: true,
          brokerStatus: 422,
          ...(notCancelable.brokerCode === undefined ? {} : { brokerCode: notCancelable.brokerCode }),
          cause: notCancelable,
        },
      )
    }
    throw new BrokerError(
      'BROKER_BAD_RESPONSE',
      `order ${id} was replaced more than ${MAX_REPLACE_CHAIN} times; cancel not sent to the head`,
    )
  }

  /**
   * Polls `getOrder` until the order is final, woken early by trade updates. A poll that fails with a
   * retryable error is made again at the next poll (its 429 pause still applies); a non-retryable error
   * is thrown. At the deadline: BROKER_TIMEOUT (retryable), the last failed poll as its cause.
   */
  const waitForOrder = async (id: BrokerOrderId, opts: WaitForOrderOptions = {}): Promise<BrokerOrder> => {
    const timeoutMs = opts.timeoutMs ?? 60_000
    const pollMs = opts.pollIntervalMs ?? config.pollIntervalMs
    const deadline = clock.now() + timeoutMs
    for (;;) {
      let order: BrokerOrder | undefined
      let failed: BrokerError | undefined
      try {
        order = await getOrder(id)
      } catch (e) {
        failed = brokerError(e, `get order ${id}`)
        if (!failed.retryable) throw failed
        logger.debug(
          { orderId: id, code: failed.code },
          'waitForOrder: a poll failed; polling again at the next interval',
        )
      }
      if (order && BROKER_TERMINAL_STATUSES.has(order.status)) return order
      const left = deadline - clock.now()
      if (left <= 0 || opts.signal?.aborted) {
        const state = order ? `still ${order.status}` : `not read (${failed?.message ?? 'no answer'})`
        throw new BrokerError(
          'BROKER_TIMEOUT',
          `order ${id} ${state} after ${timeoutMs} ms`,
          failed === undefined ? {} : { cause: failed },
        )
      }
      const seen = tracker.latest(id)
      if (seen && BROKER_TERMINAL_STATUSES.has(seen.order.status)) return seen.order
      await tracker.waitForUpdate(id, Math.min(pollMs, left), opts.signal)
    }
  }

  const broker: AlpacaBroker = {
    getQuote,
    submitOrder,
    getOrder,
    async getOrderByClientId(clientOrderId) {
      const view = await lookupViewByClientId(clientOrderId)
      return view === null ? null : resolveReplaceChain(view)
    },
    cancelOrder,

    async getPosition(symbol): Promise<Position | null> {
      const p = await getPositionDetail(symbol)
      return p === null ? null : { symbol: p.symbol, qty: p.qty, avgEntryPrice: p.avgEntryPrice }
    },

    getAsset: (symbol) => getAsset(symbol),

    getMarketClock,

    getDailyStats,

    subscribeOrderUpdates(listener) {
      const entry = (order: BrokerOrder): void => listener(order) // one entry per subscription, even for the same function
      listeners.add(entry)
      return () => {
        listeners.delete(entry)
      }
    },

    preflight,
    getAccount,
    waitForOrder,

    async cancelAndConfirm(id, opts) {
      await cancelOrder(id)
      return waitForOrder(id, opts)
    },

    tradeUpdatesStatus: () => tracker.status(),
    config: (({ keyId: _k, secretKey: _s, ...rest }) => rest)(config),

    async close() {
      listeners.clear()
      tracker.close()
    },
  }
  return broker
}
