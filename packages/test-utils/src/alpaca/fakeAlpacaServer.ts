/**
 * A fake Alpaca on 127.0.0.1 (random port): real HTTP (node:http) for the trading and market-data REST
 * APIs and a real WebSocket (ws) for the trade_updates stream, speaking Alpaca's wire shapes (the
 * payloads in ./fixtures are its templates). It behaves as Alpaca documents, not as a convenient mock:
 *
 * - A POST is answered `accepted` (or `pending_new`) and the order moves on asynchronously: to `new`, then
 *   fills when marketable. The order lifecycle and POST examples: https://docs.alpaca.markets/docs/orders-at-alpaca
 *   and https://docs.alpaca.markets/reference/postorder.
 * - Alpaca processes orders asynchronously: an order that exists can answer 404 to a look-up for a short
 *   while (`knobs.unseenReads`), yet a second POST with its client order id gets 422 "client_order_id must
 *   be unique".
 * - `done_for_day` and `expired` at the close, `held`, `replaced` with `replaced_by` (PATCH, as
 *   https://docs.alpaca.markets/reference/patchorderbyorderid-1), `rejected` after a 200, a `pending_cancel`
 *   that lasts, statuses Alpaca may add later, wash-trade protection
 *   (https://docs.alpaca.markets/docs/user-protection) and a market-data plan without SIP.
 * - Market hours (`marketHours`, ./fakeMarketHours.ts): `GET /v2/clock` and `GET /v2/calendar` in Alpaca's
 *   shapes, from a weekday session in New York time with holidays and early closes, or a fixed state;
 *   open whenever asked by default.
 * - Crypto pairs (`BTC/USD`, asset class `crypto`, fractionable) take `time_in_force` `gtc` or `ioc` and
 *   refuse `day` as Alpaca does (422 "invalid crypto time_in_force", https://docs.alpaca.markets/docs/crypto-orders);
 *   an `ioc` order cancels what it cannot fill at once; the close (`endOfDay`) ends only `day` orders.
 *   Their asset carries `min_order_size`, `min_trade_increment` and `price_increment` (the documented
 *   sample pair: 0.0001, 0.0001, 1) and an order off those steps is refused. Their quotes come from the
 *   crypto data API (`GET /v1beta3/crypto/us/latest/quotes?symbols=BTC/USD`, `{ quotes: { "BTC/USD": … } }`),
 *   not the stocks one; their position is kept under the symbol without the slash (`GET /v2/positions/BTCUSD`
 *   answers `symbol: "BTCUSD"`, `GET /v2/positions/BTC%2FUSD` 404), as https://github.com/alpacahq/alpaca-py/issues/537
 *   reports of Alpaca.
 *
 * Scripted faults reproduce the transport failures the adapter has to survive: 429 with reset headers,
 * 5xx, slow answers, a POST whose response is dropped after the order was created, unreadable bodies.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Dec, isOnTick } from '@acx/engine'
import type { Decimal } from 'decimal.js'
import { WebSocketServer, type WebSocket } from 'ws'
import { readAlpacaFixture } from './fixtures.js'
import { assertFakeMarketHours, calendarBody, clockBody, type FakeMarketHours } from './fakeMarketHours.js'

const fixture = (name: string): Record<string, unknown> =>
  readAlpacaFixture<{ payload: Record<string, unknown> }>(name).payload

const ORDER_TEMPLATE = fixture('order')
const ASSET_TEMPLATE = fixture('asset')
const CRYPTO_ASSET_TEMPLATE = fixture('cryptoAsset')
const POSITION_TEMPLATE = fixture('position')
const ACCOUNT_TEMPLATE = fixture('account')

export const FAKE_KEY_ID = 'PKFAKEKEYID0000000001'
export const FAKE_SECRET_KEY = 'fakeSecretKey/ShouldNeverBeLogged+0000000000'

export interface FakeQuote {
  readonly bid: string
  readonly ask: string
  readonly bidSize?: string
  readonly askSize?: string
  /** Quote time (epoch ms); default: now at each request. */
  readonly tMs?: number
}

export interface FakeAsset {
  readonly tradable?: boolean
  /** Default: true for a crypto pair ("all cryptocurrency assets are fractionable"), else false. */
  readonly fractionable?: boolean
  readonly status?: 'active' | 'inactive'
  /** Alpaca's asset class. Default: `crypto` for a symbol with a `/` (`BTC/USD`), else `us_equity`. */
  readonly class?: 'us_equity' | 'crypto'
  /** A crypto asset's `price_increment` (decimal string). Default: the documented sample pair's, `1`. */
  readonly priceIncrement?: string
  /** A crypto asset's `min_trade_increment`. Default: the sample pair's, `0.0001`. */
  readonly minTradeIncrement?: string
  /** A crypto asset's `min_order_size`. Default: the sample pair's, `0.0001`. */
  readonly minOrderSize?: string
}

export interface FakeAlpacaOptions {
  readonly keyId?: string
  readonly secretKey?: string
  /** Clock of every timestamp the server writes (orders, quotes). Default `Date.now`. */
  readonly now?: () => number
  readonly buyingPower?: string
  readonly assets?: Readonly<Record<string, FakeAsset>>
  readonly quotes?: Readonly<Record<string, FakeQuote>>
  /** Positions by symbol (negative for a short). */
  readonly positions?: Readonly<Record<string, string>>
  /** When equities trade (`/v2/clock`, `/v2/calendar`). Default `{ kind: 'open' }`: open whenever asked. */
  readonly marketHours?: FakeMarketHours
  /**
   * Daily bars by symbol, oldest first: one per weekday, the last on the weekday before `now`
   * (`GET /v2/stocks/{symbol}/bars?timeframe=1Day`, filtered by `start`/`end`, in Alpaca's shape
   * https://docs.alpaca.markets/reference/stockbarsingle-1). A symbol without bars answers none.
   */
  readonly dailyBars?: Readonly<Record<string, readonly FakeDailyBar[]>>
}

export interface FakeDailyBar {
  readonly close: number
  readonly volume: number
}

/** The dates (UTC midnight, epoch ms) of the `n` weekdays before `nowMs`, oldest first. */
function weekdaysBefore(nowMs: number, n: number): number[] {
  const out: number[] = []
  let day = Math.floor(nowMs / 86_400_000) * 86_400_000
  while (out.length < n) {
    day -= 86_400_000
    const wd = new Date(day).getUTCDay()
    if (wd !== 0 && wd !== 6) out.unshift(day)
  }
  return out
}

export interface FakeKnobs {
  /** Market orders and marketable limits fill at the touch once the order is routed. Default true. */
  fillMarketable: boolean
  /** Fraction of a new resting limit order that fills once it is routed, at its limit price. Default 0. */
  restingFillRatio: number
  /**
   * Number of order GETs that still see `pending_cancel` after a cancel request. Default 0 (cancel at
   * once). `Number.POSITIVE_INFINITY`: a `pending_cancel` that lasts (until `confirmCancel`).
   */
  pendingCancelPolls: number
  /** Fraction of the leaves that fills (at the limit) between the cancel request and its confirmation. Default 0. */
  fillOnCancelRatio: number
  /** Every request and stream auth is refused (401 / unauthorized). Default false. */
  rejectAuth: boolean
  /** Trade updates are sent on the stream. Default true. */
  streamUpdates: boolean
  /** Delay of every REST answer, ms. Default 0. */
  latencyMs: number
  /** Answer for an unknown symbol's latest quote: 404, or 200 with Go's zero time. Default 404. */
  unknownQuote: '404' | 'zero'
  /**
   * Status of a new order in the POST answer and its first trade update. The fake then routes it
   * asynchronously (on the next macrotask, or before it answers the next request, whichever is first) to
   * `new` and fills what is marketable. Alpaca's POST examples answer `accepted` or `pending_new`.
   * `new` routes it before answering (the old synchronous behaviour). Default `accepted`.
   */
  acceptStatus: 'accepted' | 'pending_new' | 'new'
  /**
   * Each order created from now on answers 404 to its first `unseenReads` look-ups (by id or by client
   * order id) although it exists: Alpaca's asynchronous-processing window. Default 0.
   */
  unseenReads: number
  /**
   * Alpaca's wash-trade protection: a new order is refused (403 40310000 "potential wash trade detected.
   * use complex orders") while an open order on the other side of the symbol could trade with it (either is
   * a market order, or the buy limit ≥ the sell limit). Default false.
   */
  washTradeProtection: boolean
  /** A sell beyond the long position opens a short (buying power checked at max(limit, ask + 3%)). Default false: 403 insufficient qty. */
  allowShortSelling: boolean
  /** The market-data plan does not cover SIP: `feed=sip` quotes answer 403 "subscription does not permit querying recent SIP data". Default false. */
  sipForbidden: boolean
}

export type FakeFault =
  /** Answer with this status and body; nothing is processed. */
  | {
      readonly kind: 'status'
      readonly status: number
      readonly body?: unknown
      readonly headers?: Readonly<Record<string, string>>
    }
  /** 429 with X-RateLimit-Limit/Remaining/Reset (reset `resetInMs` from now, in unix seconds, rounded up). */
  | { readonly kind: 'rate_limit'; readonly resetInMs: number }
  /** Process the request (e.g. create the order), then answer with this status anyway. */
  | { readonly kind: 'status_after_process'; readonly status: number }
  /** Close the socket without an answer; `process` says whether the request took effect first. */
  | { readonly kind: 'drop'; readonly process: boolean }
  /** Answer after `ms`; `process` before the wait (the order exists meanwhile) or never. */
  | { readonly kind: 'delay'; readonly ms: number; readonly process: 'before' | 'never' }
  /** A 200 whose body is not JSON. */
  | { readonly kind: 'garbage'; readonly process: boolean }

export interface FakeRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly rawBody: string
  readonly body: unknown
  readonly headers: IncomingMessage['headers']
  /** Orders not yet filled, canceled, expired, replaced or rejected when the request arrived. */
  readonly openOrders: number
}

export interface FakeFill {
  readonly orderId: string
  readonly clientOrderId: string
  readonly qty: Decimal
  readonly price: Decimal
  readonly afterCancelRequest: boolean
}

/**
 * What the venue does with an accepted order when it routes it, instead of making it `new`: reject it,
 * hold it, or put it in any other status (one Alpaca may add later); held and other statuses stay open
 * and do not fill.
 */
export type FakeRouteOutcome = 'rejected' | 'held' | (string & {})

interface FakeOrder {
  readonly id: string
  readonly clientOrderId: string
  readonly symbol: string
  readonly assetClass: 'us_equity' | 'crypto'
  readonly timeInForce: string
  readonly side: 'buy' | 'sell'
  readonly type: 'market' | 'limit'
  readonly qty: Decimal
  readonly limitPrice: Decimal | null
  status: string
  filledQty: Decimal
  notional: Decimal
  readonly createdAtMs: number
  updatedAtMs: number
  pendingCancelPollsLeft: number
  cancelRequested: boolean
  /** Look-ups still answered 404 (the asynchronous-processing window). */
  unseenReadsLeft: number
  /** Accepted, waiting to be routed. */
  routed: boolean
  readonly replaces: string | null
  replacedBy: string | null
  replacedAtMs: number | null
  expiredAtMs: number | null
  failedAtMs: number | null
}

export interface FakeAlpacaServer {
  readonly tradingBaseUrl: string
  readonly dataBaseUrl: string
  readonly streamUrl: string
  readonly keyId: string
  readonly secretKey: string
  readonly knobs: FakeKnobs
  /** Every REST request received, in order. */
  readonly requests: FakeRequest[]
  /** Every fill, in order. */
  readonly fills: FakeFill[]
  /** Queues a fault for the next `times` requests matching `method` and the path (prefix string or RegExp). */
  inject(match: { readonly method?: string; readonly path?: string | RegExp }, fault: FakeFault, times?: number): void
  /** Drops every fault not yet used. */
  clearFaults(): void
  setQuote(symbol: string, quote: FakeQuote): void
  setAsset(symbol: string, asset: FakeAsset): void
  setPosition(symbol: string, qty: string): void
  setBuyingPower(value: string): void
  /** From now on `/v2/clock` and `/v2/calendar` follow these hours. */
  setMarketHours(hours: FakeMarketHours): void
  /** Creates an order directly (as if sent earlier and already routed), returning its id. */
  seedOrder(order: {
    clientOrderId: string
    symbol: string
    side: 'buy' | 'sell'
    type: 'market' | 'limit'
    qty: string
    limitPrice?: string
    /** Default `day`, `gtc` for a crypto pair. */
    timeInForce?: string
  }): string
  /** Fills `qty` of an open order at `price` (default its limit, else the touch). */
  fill(orderId: string, qty: string, price?: string): void
  /** The next `times` orders are answered 200 (accepted) and then, when routed, rejected, held or put in `outcome`. */
  routeNextAs(outcome: FakeRouteOutcome, times?: number): void
  /** Routes a held order on (to `new`, filling what is marketable). */
  release(orderId: string): void
  /**
   * The close: every open `day` order becomes `done_for_day` (no more fills today) or `expired` (final);
   * `gtc` orders (and so crypto orders) stay open.
   */
  endOfDay(status: 'done_for_day' | 'expired'): void
  /** Puts an order in any status (e.g. one Alpaca adds later) and sends the matching trade update. */
  setStatus(orderId: string, status: string): void
  /**
   * Replaces an open order, as `PATCH /v2/orders/{id}` (a human on the dashboard): the original becomes
   * `replaced` with `replaced_by`, the replacement is a new order (new id, new client order id,
   * `replaces`) that counts only its own fills. `qty` defaults to what the original has left.
   * Returns the replacement's id.
   */
  replace(orderId: string, change?: { readonly qty?: string; readonly limitPrice?: string }): string
  /** Ends a lasting `pending_cancel` (see `knobs.pendingCancelPolls`). */
  confirmCancel(orderId: string): void
  /** Wire view of an order, or undefined. */
  order(id: string): Record<string, unknown> | undefined
  orders(): Record<string, unknown>[]
  positionQty(symbol: string): Decimal
  /** Requests of one method/path prefix. */
  count(method: string, pathPrefix: string): number
  /** Connected, authenticated, listening stream clients. */
  streamListeners(): number
  /** Stream connections accepted so far. */
  streamConnections(): number
  /** Terminates every stream connection (the client should reconnect). */
  dropStreamConnections(): void
  close(): Promise<void>
}

const DEFAULT_KNOBS: FakeKnobs = {
  fillMarketable: true,
  restingFillRatio: 0,
  pendingCancelPolls: 0,
  fillOnCancelRatio: 0,
  rejectAuth: false,
  streamUpdates: true,
  latencyMs: 0,
  unknownQuote: '404',
  acceptStatus: 'accepted',
  unseenReads: 0,
  washTradeProtection: false,
  allowShortSelling: false,
  sipForbidden: false,
}

/**
 * Final: no further updates (https://docs.alpaca.markets/docs/orders-at-alpaca, Order Lifecycle). Not
 * `done_for_day`: "will not receive further updates until the next trading day".
 */
const TERMINAL = new Set(['filled', 'canceled', 'expired', 'rejected', 'replaced'])
/** "Order cannot be replaced when the status is accepted, pending_new, pending_cancel or pending_replace." */
const NOT_REPLACEABLE = new Set(['accepted', 'pending_new', 'pending_cancel', 'pending_replace'])
const DECIMAL = /^\d+(\.\d+)?$/
/** A symbol the crypto data API takes: a pair with its slash. */
const CRYPTO_PAIR = /^[A-Z]+\/[A-Z]+$/
/** What POST /v2/orders takes as time_in_force (https://docs.alpaca.markets/docs/orders-at-alpaca, Time in Force). */
const TIME_IN_FORCE = new Set(['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'])
/** "We only support gtc and ioc time in force options for crypto orders": https://docs.alpaca.markets/docs/crypto-orders */
const CRYPTO_TIME_IN_FORCE = new Set(['gtc', 'ioc'])
/** The equity time in force this fake models (opg, cls and fok are not). */
const EQUITY_TIME_IN_FORCE = new Set(['day', 'gtc', 'ioc'])

/**
 * What Alpaca adds to the ask to value a market buy for its buying-power check: "In the case of market
 * buy orders, the limit price is 2.5% to 4% above the current market price"
 * (https://alpaca.markets/deprecated/docs/trading-on-alpaca/orders/), the bands of its stop-order
 * conversion: 4% under $50, 2.5% from $50 (https://docs.alpaca.markets/docs/orders-at-alpaca). The adapter
 * has the same table; the fake keeps its own copy (test-utils must not import the adapter).
 */
const marketBuyBuffer = (ask: Decimal): Decimal => (ask.lt(50) ? new Dec('0.04') : new Dec('0.025'))
/** "MAX(order's limit price, 3% above the current ask price) * order quantity" for an opening short. */
const SHORT_ASK_MARKUP = new Dec('1.03')

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    message: string,
  ) {
    super(message)
  }
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '123Z') // microsecond-style precision, as Alpaca
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms))

export async function startFakeAlpaca(options: FakeAlpacaOptions = {}): Promise<FakeAlpacaServer> {
  const keyId = options.keyId ?? FAKE_KEY_ID
  const secretKey = options.secretKey ?? FAKE_SECRET_KEY
  const now = options.now ?? Date.now
  const knobs: FakeKnobs = { ...DEFAULT_KNOBS }
  const requests: FakeRequest[] = []
  const fills: FakeFill[] = []
  const faults: { method?: string; path?: string | RegExp; fault: FakeFault; left: number }[] = []
  const quotes = new Map<string, FakeQuote>(Object.entries(options.quotes ?? {}))
  const assets = new Map<string, FakeAsset>(Object.entries(options.assets ?? {}))
  const positions = new Map<string, Decimal>(Object.entries(options.positions ?? {}).map(([s, q]) => [s, new Dec(q)]))
  let buyingPower = new Dec(options.buyingPower ?? '1000000')
  let marketHours: FakeMarketHours = options.marketHours ?? { kind: 'open' }
  assertFakeMarketHours(marketHours)
  const orders = new Map<string, FakeOrder>()
  const byClientId = new Map<string, FakeOrder>()
  const routeOutcomes: FakeRouteOutcome[] = []
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const listeners = new Set<WebSocket>()
  let connections = 0

  const later = (fn: () => void, ms = 0): void => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn()
    }, ms)
    timers.add(timer)
  }

  // ---- market ---------------------------------------------------------------------------------------

  const assetClassOf = (symbol: string, a: FakeAsset | undefined): 'us_equity' | 'crypto' =>
    a?.class ?? (symbol.includes('/') ? 'crypto' : 'us_equity')
  const fractionableOf = (symbol: string, a: FakeAsset | undefined): boolean =>
    a?.fractionable ?? assetClassOf(symbol, a) === 'crypto'

  /** A crypto asset's steps (its body's `price_increment`, `min_trade_increment`, `min_order_size`). */
  const cryptoSteps = (a: FakeAsset): { price: Decimal; qty: Decimal; min: Decimal } => ({
    price: new Dec(a.priceIncrement ?? String(CRYPTO_ASSET_TEMPLATE['price_increment'])),
    qty: new Dec(a.minTradeIncrement ?? String(CRYPTO_ASSET_TEMPLATE['min_trade_increment'])),
    min: new Dec(a.minOrderSize ?? String(CRYPTO_ASSET_TEMPLATE['min_order_size'])),
  })

  /** The key of the position Alpaca reports under `symbol`: itself, or the crypto pair it is the slashless form of. */
  const positionKey = (symbol: string): string | undefined => {
    if (positions.has(symbol)) return symbol
    for (const key of positions.keys())
      if (key.includes('/') && key.replace('/', '') === symbol && assetClassOf(key, assets.get(key)) === 'crypto')
        return key
    return undefined
  }

  const touch = (symbol: string): { bid: Decimal; ask: Decimal } | undefined => {
    const q = quotes.get(symbol)
    return q ? { bid: new Dec(q.bid), ask: new Dec(q.ask) } : undefined
  }

  const wire = (o: FakeOrder): Record<string, unknown> => ({
    ...ORDER_TEMPLATE,
    id: o.id,
    client_order_id: o.clientOrderId,
    created_at: iso(o.createdAtMs),
    updated_at: iso(o.updatedAtMs),
    submitted_at: iso(o.createdAtMs),
    filled_at: o.status === 'filled' ? iso(o.updatedAtMs) : null,
    canceled_at: o.status === 'canceled' ? iso(o.updatedAtMs) : null,
    expired_at: isoOrNull(o.expiredAtMs),
    failed_at: isoOrNull(o.failedAtMs),
    replaced_at: isoOrNull(o.replacedAtMs),
    replaced_by: o.replacedBy,
    replaces: o.replaces,
    asset_id: `asset-${o.symbol}`,
    symbol: o.symbol,
    asset_class: o.assetClass,
    notional: null,
    qty: o.qty.toFixed(),
    filled_qty: o.filledQty.toFixed(),
    filled_avg_price: o.filledQty.gt(0) ? o.notional.div(o.filledQty).toFixed() : null,
    order_type: o.type,
    type: o.type,
    side: o.side,
    time_in_force: o.timeInForce,
    limit_price: o.limitPrice?.toFixed() ?? null,
    status: o.status,
  })

  const emit = (event: string, o: FakeOrder, extra: Record<string, unknown> = {}): void => {
    if (!knobs.streamUpdates) return
    const frame = JSON.stringify({
      stream: 'trade_updates',
      data: { event, timestamp: iso(now()), order: wire(o), ...extra },
    })
    // Alpaca's trading stream sends binary frames.
    for (const ws of listeners) ws.send(Buffer.from(frame), { binary: true })
  }

  const moveTo = (o: FakeOrder, status: string): void => {
    o.status = status
    o.updatedAtMs = now()
    emit(status, o)
  }

  const book = (o: FakeOrder, qty: Decimal, price: Decimal): void => {
    if (!qty.gt(0)) return
    const q = Dec.min(qty, o.qty.sub(o.filledQty))
    o.filledQty = o.filledQty.add(q)
    o.notional = o.notional.add(q.mul(price))
    o.updatedAtMs = now()
    if (o.filledQty.eq(o.qty)) o.status = 'filled'
    else if (o.status !== 'pending_cancel') o.status = 'partially_filled'
    const signed = o.side === 'buy' ? q : q.neg()
    positions.set(o.symbol, (positions.get(o.symbol) ?? new Dec(0)).add(signed))
    buyingPower = buyingPower.sub(signed.mul(price))
    fills.push({ orderId: o.id, clientOrderId: o.clientOrderId, qty: q, price, afterCancelRequest: o.cancelRequested })
    emit(o.status === 'filled' ? 'fill' : 'partial_fill', o, {
      execution_id: randomUUID(),
      price: price.toFixed(),
      qty: q.toFixed(),
      position_qty: (positions.get(o.symbol) as Decimal).toFixed(),
    })
  }

  const lot = (o: FakeOrder, qty: Decimal): Decimal => {
    const fractionable = fractionableOf(o.symbol, assets.get(o.symbol))
    return fractionable ? qty.toDecimalPlaces(9, 1) : qty.floor()
  }

  const isOpen = (o: FakeOrder): boolean => !TERMINAL.has(o.status)

  /** The venue takes an accepted order: `new` (filling what is marketable), or the scripted outcome. */
  const route = (o: FakeOrder, forceNew = false): void => {
    if (o.routed) return
    o.routed = true
    if (o.status !== 'accepted' && o.status !== 'pending_new' && o.status !== 'new') return // canceled meanwhile
    const outcome = forceNew ? undefined : routeOutcomes.shift()
    if (outcome === 'rejected') {
      o.failedAtMs = now()
      moveTo(o, 'rejected')
      return
    }
    if (outcome !== undefined) {
      moveTo(o, outcome)
      return
    }
    if (o.status !== 'new') moveTo(o, 'new')
    const t = touch(o.symbol)
    if (t && knobs.fillMarketable) {
      const far = o.side === 'buy' ? t.ask : t.bid
      if (o.type === 'market') book(o, o.qty.sub(o.filledQty), far)
      else if (o.limitPrice && (o.side === 'buy' ? o.limitPrice.gte(t.ask) : o.limitPrice.lte(t.bid)))
        book(o, o.qty.sub(o.filledQty), far)
    }
    // "Any unfilled portion of the order is canceled" (https://docs.alpaca.markets/docs/orders-at-alpaca, Time in Force).
    if (o.timeInForce === 'ioc' && (o.status as string) !== 'filled') {
      moveTo(o, 'canceled')
      return
    }
    if (o.type === 'limit' && o.status === 'new' && knobs.restingFillRatio > 0 && o.limitPrice) {
      book(o, lot(o, o.qty.mul(knobs.restingFillRatio)), o.limitPrice)
    }
  }

  /** Routes every order still waiting: runs before each request is answered, so no read sees a stale queue. */
  const routePending = (): void => {
    for (const o of orders.values()) if (!o.routed) route(o)
  }

  const finalizeCancel = (o: FakeOrder): void => {
    if (o.status !== 'pending_cancel') return
    if (knobs.fillOnCancelRatio > 0 && o.limitPrice) {
      const leaves = o.qty.sub(o.filledQty)
      book(o, Dec.max(lot(o, leaves.mul(knobs.fillOnCancelRatio)), Dec.min(leaves, 1)), o.limitPrice)
    }
    if ((o.status as string) === 'filled') return // book() may have completed it
    moveTo(o, 'canceled')
  }

  const openLeaves = (symbol: string, side: 'buy' | 'sell'): Decimal => {
    let sum = new Dec(0)
    for (const o of orders.values())
      if (o.symbol === symbol && o.side === side && isOpen(o)) sum = sum.add(o.qty.sub(o.filledQty))
    return sum
  }

  /** https://docs.alpaca.markets/docs/user-protection: an opposite-side open order that could trade with this one. */
  const washTradeWith = (
    symbol: string,
    side: 'buy' | 'sell',
    type: 'market' | 'limit',
    limitPrice: Decimal | null,
  ): FakeOrder | undefined => {
    for (const o of orders.values()) {
      if (o.symbol !== symbol || o.side === side || !isOpen(o)) continue
      if (type === 'market' || o.type === 'market' || !limitPrice || !o.limitPrice) return o
      const [buy, sell] = side === 'buy' ? [limitPrice, o.limitPrice] : [o.limitPrice, limitPrice]
      if (buy.gte(sell)) return o
    }
    return undefined
  }

  /**
   * Alpaca's buying-power check (https://docs.alpaca.markets/docs/orders-at-alpaca, Buying Power): only for
   * what opens or adds to a position. A buy is valued at its limit, a market buy at the ask plus the
   * market-order buffer; a short sale at max(limit, ask + 3%). Covering a short or selling a long needs none.
   */
  const checkFunds = (
    symbol: string,
    side: 'buy' | 'sell',
    type: 'market' | 'limit',
    qty: Decimal,
    limitPrice: Decimal | null,
  ): void => {
    const position = positions.get(symbol) ?? new Dec(0)
    const t = touch(symbol)
    if (side === 'buy') {
      const covering = Dec.max(0, position.neg())
      const opening = Dec.max(0, qty.sub(covering))
      const px = limitPrice ?? (t ? t.ask.mul(marketBuyBuffer(t.ask).add(1)) : undefined)
      if (opening.gt(0) && px && px.mul(opening).gt(buyingPower))
        throw new HttpError(403, 40310000, 'insufficient buying power')
      return
    }
    const available = Dec.max(0, position).sub(openLeaves(symbol, 'sell'))
    if (available.gte(qty)) return
    if (!knobs.allowShortSelling) {
      throw new HttpError(
        403,
        40310000,
        `insufficient qty available for order (requested: ${qty.toFixed()}, available: ${available.toFixed()})`,
      )
    }
    const shortQty = qty.sub(Dec.max(0, available))
    const markedUp = t ? t.ask.mul(SHORT_ASK_MARKUP) : undefined
    const px = limitPrice && markedUp ? Dec.max(limitPrice, markedUp) : (limitPrice ?? markedUp)
    if (px && px.mul(shortQty).gt(buyingPower)) throw new HttpError(403, 40310000, 'insufficient buying power')
  }

  const newOrder = (init: {
    clientOrderId: string
    symbol: string
    assetClass: 'us_equity' | 'crypto'
    timeInForce: string
    side: 'buy' | 'sell'
    type: 'market' | 'limit'
    qty: Decimal
    limitPrice: Decimal | null
    replaces: string | null
  }): FakeOrder => {
    const at = now()
    const o: FakeOrder = {
      ...init,
      id: randomUUID(),
      status: knobs.acceptStatus,
      filledQty: new Dec(0),
      notional: new Dec(0),
      createdAtMs: at,
      updatedAtMs: at,
      pendingCancelPollsLeft: 0,
      cancelRequested: false,
      unseenReadsLeft: knobs.unseenReads,
      routed: false,
      replacedBy: null,
      replacedAtMs: null,
      expiredAtMs: null,
      failedAtMs: null,
    }
    orders.set(o.id, o)
    byClientId.set(o.clientOrderId, o)
    emit(o.status, o)
    if (knobs.acceptStatus === 'new') route(o)
    else later(() => route(o))
    return o
  }

  /** A limit price: on the equity tick, or on a crypto pair's `price_increment` (`cryptoTick`). */
  const parseLimitPrice = (raw: unknown, cryptoTick?: Decimal): Decimal => {
    if (typeof raw !== 'string' || !DECIMAL.test(raw)) throw new HttpError(422, 40010001, 'limit_price is required')
    const limitPrice = new Dec(raw)
    if (cryptoTick !== undefined) {
      // The wording is this fake's: Alpaca documents the step, not its refusal's text.
      if (!limitPrice.gt(0) || !limitPrice.mod(cryptoTick).isZero())
        throw new HttpError(
          422,
          42210000,
          `invalid limit_price ${raw}: not a multiple of price_increment ${cryptoTick.toFixed()}`,
        )
      return limitPrice
    }
    if (!isOnTick(limitPrice)) {
      throw new HttpError(
        422,
        42210000,
        `invalid limit_price ${raw}. sub-penny increment does not fulfill minimum pricing criteria`,
      )
    }
    return limitPrice
  }

  const createOrder = (body: unknown): FakeOrder => {
    if (typeof body !== 'object' || body === null) throw new HttpError(400, 40010000, 'request body format is invalid')
    const b = body as Record<string, unknown>
    for (const k of ['qty', 'limit_price', 'notional']) {
      if (b[k] !== undefined && typeof b[k] !== 'string') {
        // Alpaca takes numbers too; this fake insists on strings, as the adapter must send them.
        throw new HttpError(422, 40010001, `${k} must be a decimal string (fake server strictness)`)
      }
    }
    const symbol = String(b['symbol'] ?? '')
    const clientOrderId = String(b['client_order_id'] ?? randomUUID())
    if (clientOrderId.length > 128)
      throw new HttpError(422, 40010001, 'client_order_id must be no more than 128 characters')
    // Checked first: a second POST with the id of an order that exists, even one not yet visible to look-ups.
    if (byClientId.has(clientOrderId)) throw new HttpError(422, 40010001, 'client_order_id must be unique')
    const side = b['side']
    const type = b['type']
    if (side !== 'buy' && side !== 'sell') throw new HttpError(422, 40010001, 'side must be buy or sell')
    if (type !== 'market' && type !== 'limit')
      throw new HttpError(422, 40010001, 'type must be market or limit in this fake')
    const timeInForce = b['time_in_force']
    if (typeof timeInForce !== 'string' || !TIME_IN_FORCE.has(timeInForce))
      throw new HttpError(422, 40010001, 'invalid time_in_force')
    const asset = assets.get(symbol)
    if (!asset) throw new HttpError(422, 40010001, `asset ${symbol} not found`)
    const assetClass = assetClassOf(symbol, asset)
    if (assetClass === 'crypto' && !CRYPTO_TIME_IN_FORCE.has(timeInForce))
      throw new HttpError(422, 42210000, 'invalid crypto time_in_force')
    if (assetClass === 'us_equity' && !EQUITY_TIME_IN_FORCE.has(timeInForce))
      throw new HttpError(422, 40010001, `time_in_force ${timeInForce} is not modelled by this fake`)
    if (!(asset.tradable ?? true) || asset.status === 'inactive')
      throw new HttpError(422, 42210000, `asset ${symbol} is not tradable`)
    if (typeof b['qty'] !== 'string' || !DECIMAL.test(b['qty']) || !new Dec(b['qty']).gt(0))
      throw new HttpError(422, 40010001, 'qty must be > 0')
    const qty = new Dec(b['qty'])
    if (!qty.isInteger() && !fractionableOf(symbol, asset))
      throw new HttpError(422, 42210000, `asset ${symbol} is not fractionable`)
    // "fractional shares trading is currently supported only for day orders" (https://docs.alpaca.markets/docs/brokerapi-trading);
    // the wording of the refusal as reported in https://github.com/Petersoj/alpaca-java/issues/140.
    if (assetClass === 'us_equity' && !qty.isInteger() && timeInForce !== 'day')
      throw new HttpError(422, 40010001, 'fractional orders must be DAY orders')
    const steps = assetClass === 'crypto' ? cryptoSteps(asset) : undefined
    if (steps && (!qty.mod(steps.qty).isZero() || qty.lt(steps.min))) {
      // The wording is this fake's: Alpaca documents the steps, not its refusal's text.
      throw new HttpError(
        422,
        40010001,
        `qty ${qty.toFixed()} must be a multiple of min_trade_increment ${steps.qty.toFixed()} and at least min_order_size ${steps.min.toFixed()}`,
      )
    }
    const limitPrice = type === 'limit' ? parseLimitPrice(b['limit_price'], steps?.price) : null
    if (knobs.washTradeProtection && washTradeWith(symbol, side, type, limitPrice)) {
      throw new HttpError(403, 40310000, 'potential wash trade detected. use complex orders')
    }
    checkFunds(symbol, side, type, qty, limitPrice)
    return newOrder({ clientOrderId, symbol, assetClass, timeInForce, side, type, qty, limitPrice, replaces: null })
  }

  const replaceOrder = (id: string, body: unknown): FakeOrder => {
    routePending()
    const o = orders.get(id)
    if (!o) throw new HttpError(404, 40410000, 'order not found')
    if (TERMINAL.has(o.status) || NOT_REPLACEABLE.has(o.status))
      throw new HttpError(422, 42210000, `order in ${o.status} status cannot be replaced`)
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    if (
      b['qty'] !== undefined &&
      (typeof b['qty'] !== 'string' || !DECIMAL.test(b['qty']) || !new Dec(b['qty']).gt(0))
    ) {
      throw new HttpError(422, 40010001, 'qty must be > 0')
    }
    const qty = typeof b['qty'] === 'string' ? new Dec(b['qty']) : o.qty.sub(o.filledQty)
    const replacedAsset = assets.get(o.symbol)
    const cryptoTick = o.assetClass === 'crypto' && replacedAsset ? cryptoSteps(replacedAsset).price : undefined
    const limitPrice = b['limit_price'] === undefined ? o.limitPrice : parseLimitPrice(b['limit_price'], cryptoTick)
    const clientOrderId = typeof b['client_order_id'] === 'string' ? b['client_order_id'] : randomUUID()
    if (byClientId.has(clientOrderId)) throw new HttpError(422, 40010001, 'client_order_id must be unique')
    const replacement = newOrder({
      clientOrderId,
      symbol: o.symbol,
      assetClass: o.assetClass,
      timeInForce: o.timeInForce,
      side: o.side,
      type: o.type,
      qty,
      limitPrice,
      replaces: o.id,
    })
    o.replacedBy = replacement.id
    o.replacedAtMs = now()
    moveTo(o, 'replaced')
    return replacement
  }

  const cancel = (id: string): void => {
    routePending()
    const o = orders.get(id)
    if (!o) throw new HttpError(404, 40410000, 'order not found')
    if (TERMINAL.has(o.status)) throw new HttpError(422, 42210000, 'order is not cancelable')
    if (o.status === 'pending_cancel') return
    o.cancelRequested = true
    o.pendingCancelPollsLeft = knobs.pendingCancelPolls
    moveTo(o, 'pending_cancel')
    if (o.pendingCancelPollsLeft <= 0) later(() => finalizeCancel(o))
  }

  /** A look-up by id or client order id: 404 while the order is in its asynchronous-processing window. */
  const readOrder = (o: FakeOrder | undefined): Record<string, unknown> => {
    if (!o) throw new HttpError(404, 40410000, 'order not found')
    if (o.unseenReadsLeft > 0) {
      o.unseenReadsLeft--
      throw new HttpError(404, 40410000, 'order not found')
    }
    if (o.status === 'pending_cancel' && o.pendingCancelPollsLeft > 0) {
      o.pendingCancelPollsLeft--
      const snapshot = wire(o)
      if (o.pendingCancelPollsLeft === 0) finalizeCancel(o)
      return snapshot
    }
    return wire(o)
  }

  const mustFind = (id: string): FakeOrder => {
    routePending()
    const o = orders.get(id)
    if (!o) throw new Error(`no order ${id}`)
    return o
  }

  // ---- HTTP -------------------------------------------------------------------------------------------

  type Handler = (req: FakeRequest) => { status: number; body?: unknown }

  const routes: {
    method: string
    pattern: RegExp
    handler: (req: FakeRequest, m: RegExpExecArray) => { status: number; body?: unknown }
  }[] = [
    {
      method: 'POST',
      pattern: /^\/v2\/orders$/,
      handler: (req) => ({ status: 200, body: wire(createOrder(req.body)) }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/orders:by_client_order_id$/,
      handler: (req) => ({ status: 200, body: readOrder(byClientId.get(req.query['client_order_id'] ?? '')) }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/orders\/([^/]+)$/,
      handler: (_req, m) => ({ status: 200, body: readOrder(orders.get(decodeURIComponent(m[1] as string))) }),
    },
    {
      method: 'PATCH',
      pattern: /^\/v2\/orders\/([^/]+)$/,
      handler: (req, m) => ({ status: 200, body: wire(replaceOrder(decodeURIComponent(m[1] as string), req.body)) }),
    },
    {
      method: 'DELETE',
      pattern: /^\/v2\/orders\/([^/]+)$/,
      handler: (_req, m) => {
        cancel(decodeURIComponent(m[1] as string))
        return { status: 204 }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/positions\/([^/]+)$/,
      handler: (_req, m) => {
        const symbol = decodeURIComponent(m[1] as string)
        // A crypto position is kept under the slashless symbol: asked for as `BTC/USD`, Alpaca answers 404.
        const key = symbol.includes('/') ? undefined : positionKey(symbol)
        const qty = key === undefined ? undefined : positions.get(key)
        if (key === undefined || !qty || qty.isZero()) throw new HttpError(404, 40410000, 'position does not exist')
        const crypto = assetClassOf(key, assets.get(key)) === 'crypto'
        return {
          status: 200,
          body: {
            ...POSITION_TEMPLATE,
            symbol: key.replace('/', ''),
            ...(crypto ? { asset_class: 'crypto', asset_marginable: false } : {}),
            qty: qty.toFixed(),
            qty_available: (qty.gt(0) ? qty.sub(openLeaves(key, 'sell')) : qty.add(openLeaves(key, 'buy'))).toFixed(),
            side: qty.lt(0) ? 'short' : 'long',
          },
        }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/account$/,
      handler: () => ({ status: 200, body: { ...ACCOUNT_TEMPLATE, buying_power: buyingPower.toFixed(2) } }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/assets\/([^/]+)$/,
      handler: (_req, m) => {
        const symbol = decodeURIComponent(m[1] as string)
        const a = assets.get(symbol)
        if (!a) throw new HttpError(404, 40410000, 'asset not found')
        const assetClass = assetClassOf(symbol, a)
        const steps = assetClass === 'crypto' ? cryptoSteps(a) : undefined
        return {
          status: 200,
          body: {
            ...(assetClass === 'crypto' ? CRYPTO_ASSET_TEMPLATE : ASSET_TEMPLATE),
            symbol,
            class: assetClass,
            status: a.status ?? 'active',
            tradable: a.tradable ?? true,
            fractionable: fractionableOf(symbol, a),
            ...(steps
              ? {
                  min_order_size: steps.min.toFixed(),
                  min_trade_increment: steps.qty.toFixed(),
                  price_increment: steps.price.toFixed(),
                }
              : {}),
          },
        }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/clock$/,
      handler: () => ({ status: 200, body: clockBody(marketHours, now()) }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/calendar$/,
      handler: (req) => {
        const answer = calendarBody(marketHours, req.query, now())
        if (!answer.ok) throw new HttpError(400, 40010001, answer.message)
        return { status: 200, body: answer.body }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/stocks\/([^/]+)\/bars$/,
      handler: (req, m) => {
        if (req.query['timeframe'] !== '1Day')
          throw new HttpError(400, 40010001, 'this fake serves timeframe=1Day only')
        const symbol = decodeURIComponent(m[1] as string)
        const bars = options.dailyBars?.[symbol] ?? []
        const start = req.query['start'] ? Date.parse(req.query['start']) : Number.NEGATIVE_INFINITY
        const end = req.query['end'] ? Date.parse(req.query['end']) : Number.POSITIVE_INFINITY
        const days = weekdaysBefore(now(), bars.length)
        const body = bars
          .map((b, i) => ({ at: (days[i] as number) + 5 * 3_600_000, b })) // 05:00Z: midnight in New York (EST)
          .filter(({ at }) => at >= start && at <= end)
          .map(({ at, b }) => ({
            t: new Date(at).toISOString().replace('.000Z', 'Z'),
            o: b.close,
            h: b.close,
            l: b.close,
            c: b.close,
            v: b.volume,
            n: Math.max(1, Math.round(b.volume / 100)),
            vw: b.close,
          }))
        return { status: 200, body: { bars: body.length > 0 ? body : null, symbol, next_page_token: null } }
      },
    },
    {
      // https://docs.alpaca.markets/reference/cryptolatestquotes-1 (the SDK's CryptoApi.cryptoLatestQuotes):
      // `symbols` comma-separated pairs; the answer keys each quoted pair, a pair without a quote is left out.
      method: 'GET',
      pattern: /^\/v1beta3\/crypto\/us\/latest\/quotes$/,
      handler: (req) => {
        const symbols = (req.query['symbols'] ?? '').split(',').filter((x) => x.length > 0)
        if (symbols.length === 0) throw new HttpError(400, undefined, 'missing symbols')
        // The data API's refusal of a slashless symbol, as https://github.com/alpacahq/alpaca-py/issues/537 quotes it.
        const bad = symbols.find((x) => !CRYPTO_PAIR.test(x))
        if (bad !== undefined)
          throw new HttpError(400, undefined, `invalid symbol: ${bad} does not match ^[A-Z]+/[A-Z]+$`)
        const body: Record<string, unknown> = {}
        for (const pair of symbols) {
          const q = quotes.get(pair)
          if (!q) continue
          body[pair] = {
            ap: Number(q.ask),
            as: Number(q.askSize ?? '0.5'),
            bp: Number(q.bid),
            bs: Number(q.bidSize ?? '0.4'),
            t: new Date(q.tMs ?? now()).toISOString().replace('Z', '055031Z'),
          }
        }
        return { status: 200, body: { quotes: body } }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/stocks\/([^/]+)\/quotes\/latest$/,
      handler: (req, m) => {
        if (knobs.sipForbidden && req.query['feed'] === 'sip') {
          // The data API's answer to a plan without SIP: 403 and a message, no code.
          throw new HttpError(403, undefined, 'subscription does not permit querying recent SIP data')
        }
        const symbol = decodeURIComponent(m[1] as string)
        // The stocks feed has no crypto pairs (their quotes are the crypto data API's). The wording is this fake's.
        if (symbol.includes('/')) throw new HttpError(400, undefined, `invalid symbol: ${symbol}`)
        const q = quotes.get(symbol)
        if (!q) {
          if (knobs.unknownQuote === '404') throw new HttpError(404, 40410000, 'not found')
          return {
            status: 200,
            body: {
              symbol,
              quote: { t: '0001-01-01T00:00:00Z', ax: '', ap: 0, as: 0, bx: '', bp: 0, bs: 0, c: null, z: '' },
            },
          }
        }
        return {
          status: 200,
          body: {
            symbol,
            quote: {
              t: new Date(q.tMs ?? now()).toISOString().replace('Z', '055031Z'),
              ax: 'V',
              ap: Number(q.ask),
              as: Number(q.askSize ?? '3'),
              bx: 'V',
              bp: Number(q.bid),
              bs: Number(q.bidSize ?? '2'),
              c: ['R'],
              z: 'C',
            },
          },
        }
      },
    },
  ]

  const takeFault = (method: string, path: string): FakeFault | undefined => {
    const i = faults.findIndex(
      (f) =>
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? path.startsWith(f.path) : f.path.test(path))),
    )
    if (i < 0) return undefined
    const f = faults[i] as (typeof faults)[number]
    if (--f.left <= 0) faults.splice(i, 1)
    return f.fault
  }

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    if (res.destroyed) return
    if (status === 204 || body === undefined) {
      res.writeHead(status, headers).end()
      return
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res
      .writeHead(status, {
        'content-type': 'application/json; charset=UTF-8',
        'x-request-id': randomUUID(),
        ...headers,
      })
      .end(text)
  }

  const wait = (ms: number): Promise<void> => new Promise((resolve) => later(resolve, ms))

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const rawBody = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://fake')
    const method = req.method ?? 'GET'
    let body: unknown = undefined
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody)
      } catch {
        body = rawBody
      }
    }
    routePending()
    const openOrders = [...orders.values()].filter(isOpen).length
    const request: FakeRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      rawBody,
      body,
      headers: req.headers,
      openOrders,
    }
    requests.push(request)
    if (knobs.latencyMs > 0) await wait(knobs.latencyMs)

    const run: Handler = (r) => {
      if (
        knobs.rejectAuth ||
        r.headers['apca-api-key-id'] !== keyId ||
        r.headers['apca-api-secret-key'] !== secretKey
      ) {
        throw new HttpError(401, 40110000, 'request is not authorized')
      }
      for (const route of routes) {
        if (route.method !== method) continue
        const m = route.pattern.exec(r.path)
        if (m) return route.handler(r, m)
      }
      throw new HttpError(404, 40410000, `no route ${method} ${r.path}`)
    }
    const process = (): { status: number; body?: unknown; headers?: Record<string, string> } => {
      try {
        routePending()
        return run(request)
      } catch (e) {
        if (e instanceof HttpError) {
          return {
            status: e.status,
            body: e.code === undefined ? { message: e.message } : { code: e.code, message: e.message },
          }
        }
        return { status: 500, body: { code: 50010000, message: `fake server bug: ${(e as Error).message}` } }
      }
    }

    const fault = takeFault(method, url.pathname)
    switch (fault?.kind) {
      case undefined: {
        const out = process()
        return send(res, out.status, out.body, out.headers)
      }
      case 'status':
        return send(
          res,
          fault.status,
          fault.body ?? { code: fault.status * 100000 + 10000, message: `injected ${fault.status}` },
          { ...fault.headers },
        )
      case 'rate_limit': {
        const reset = Math.ceil((Date.now() + fault.resetInMs) / 1000)
        return send(
          res,
          429,
          { code: 42910000, message: 'rate limit exceeded' },
          {
            'x-ratelimit-limit': '200',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(reset),
          },
        )
      }
      case 'status_after_process':
        process()
        return send(res, fault.status, {
          code: fault.status * 100000 + 10000,
          message: 'internal server error occurred',
        })
      case 'drop':
        if (fault.process) process()
        req.socket.destroy()
        return
      case 'delay': {
        const out = fault.process === 'before' ? process() : undefined
        await wait(fault.ms)
        if (!out) {
          req.socket.destroy()
          return
        }
        return send(res, out.status, out.body, out.headers)
      }
      case 'garbage':
        if (fault.process) process()
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>502 Bad Gateway</html>')
        return
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { code: 50010000, message: String(e) }))
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })

  // ---- WebSocket (trade_updates) -------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://fake').pathname !== '/stream') {
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  wss.on('connection', (ws: WebSocket) => {
    connections++
    let authed = false
    const reply = (msg: unknown): void => ws.send(Buffer.from(JSON.stringify(msg)), { binary: true })
    ws.on('message', (data) => {
      let msg: Record<string, unknown>
      try {
        msg = JSON.parse(data.toString()) as Record<string, unknown>
      } catch {
        reply({ stream: 'authorization', data: { status: 'unauthorized', action: 'authenticate' } })
        return
      }
      const d = (msg['data'] ?? {}) as Record<string, unknown>
      if (msg['action'] === 'auth' || msg['action'] === 'authenticate') {
        const k = msg['key'] ?? d['key_id']
        const s = msg['secret'] ?? d['secret_key']
        if (knobs.rejectAuth || k !== keyId || s !== secretKey) {
          reply({ stream: 'authorization', data: { status: 'unauthorized', action: 'authenticate' } })
          ws.close()
          return
        }
        authed = true
        reply({ stream: 'authorization', data: { status: 'authorized', action: 'authenticate' } })
      } else if (msg['action'] === 'listen') {
        if (!authed) {
          reply({ stream: 'authorization', data: { status: 'unauthorized', action: 'listen' } })
          return
        }
        const streams = Array.isArray(d['streams']) ? (d['streams'] as unknown[]) : []
        if (streams.includes('trade_updates')) listeners.add(ws)
        else listeners.delete(ws)
        reply({ stream: 'listening', data: { streams: streams.filter((s) => s === 'trade_updates') } })
      }
    })
    ws.on('close', () => listeners.delete(ws))
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`

  return {
    tradingBaseUrl: origin,
    dataBaseUrl: origin,
    streamUrl: `ws://127.0.0.1:${port}/stream`,
    keyId,
    secretKey,
    knobs,
    requests,
    fills,
    inject(match, fault, times = 1) {
      faults.push({ ...match, fault, left: times })
    },
    clearFaults() {
      faults.length = 0
    },
    setQuote: (symbol, q) => void quotes.set(symbol, q),
    setAsset: (symbol, a) => void assets.set(symbol, a),
    setPosition: (symbol, qty) => void positions.set(symbol, new Dec(qty)),
    setBuyingPower(value) {
      buyingPower = new Dec(value)
    },
    setMarketHours(hours) {
      assertFakeMarketHours(hours)
      marketHours = hours
    },
    seedOrder(o) {
      const order = createOrder({
        client_order_id: o.clientOrderId,
        symbol: o.symbol,
        side: o.side,
        type: o.type,
        qty: o.qty,
        time_in_force: o.timeInForce ?? (assetClassOf(o.symbol, assets.get(o.symbol)) === 'crypto' ? 'gtc' : 'day'),
        ...(o.limitPrice === undefined ? {} : { limit_price: o.limitPrice }),
      })
      route(order)
      return order.id
    },
    fill(orderId, qty, price) {
      const o = mustFind(orderId)
      const t = touch(o.symbol)
      const px = price ? new Dec(price) : (o.limitPrice ?? (o.side === 'buy' ? t?.ask : t?.bid))
      if (!px) throw new Error('no price to fill at')
      book(o, new Dec(qty), px)
    },
    routeNextAs(outcome, times = 1) {
      for (let i = 0; i < times; i++) routeOutcomes.push(outcome)
    },
    release(orderId) {
      const o = mustFind(orderId)
      if (TERMINAL.has(o.status) || o.status === 'new' || o.status === 'partially_filled')
        throw new Error(`order ${orderId} is ${o.status}, not held`)
      o.status = 'accepted'
      o.routed = false
      route(o, true)
    },
    endOfDay(status) {
      routePending()
      for (const o of orders.values()) {
        if (!isOpen(o) || o.timeInForce !== 'day') continue
        if (o.status === 'pending_cancel') {
          o.pendingCancelPollsLeft = 0
          finalizeCancel(o) // the close confirms a cancel in flight
          continue
        }
        if (status === 'expired') o.expiredAtMs = now()
        moveTo(o, status)
      }
    },
    setStatus(orderId, status) {
      moveTo(mustFind(orderId), status)
    },
    replace(orderId, change = {}) {
      return replaceOrder(orderId, {
        ...(change.qty === undefined ? {} : { qty: change.qty }),
        ...(change.limitPrice === undefined ? {} : { limit_price: change.limitPrice }),
      }).id
    },
    confirmCancel(orderId) {
      const o = mustFind(orderId)
      o.pendingCancelPollsLeft = 0
      finalizeCancel(o)
    },
    order: (id) => {
      routePending()
      const o = orders.get(id)
      return o ? wire(o) : undefined
    },
    orders: () => {
      routePending()
      return [...orders.values()].map(wire)
    },
    positionQty: (symbol) => positions.get(symbol) ?? new Dec(0),
    count: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    streamListeners: () => listeners.size,
    streamConnections: () => connections,
    dropStreamConnections() {
      for (const ws of wss.clients) ws.terminate()
    },
    async close() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
