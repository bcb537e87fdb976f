import {
  BrokerError,
  Dec,
  brokerOrderId,
  dailyStatsFromBars,
  instantOfWallTime,
  type Asset,
  type DailyStats,
  type BrokerOrder,
  type BrokerOrderStatus,
  type ClientOrderId,
  type Position,
  type Quote,
  type SubmitOrderRequest,
} from '@acx/engine'
import type { Decimal } from 'decimal.js'
import {
  readAccountDto,
  readAssetDto,
  readBarsDto,
  readCalendarDto,
  readClockDto,
  readLatestCryptoQuotesDto,
  readLatestQuoteDto,
  readOrderDto,
  readPositionDto,
  readTradeUpdateDto,
  type CryptoQuoteDto,
  type OrderDto,
  type OrderRequestDto,
  type Validated,
} from './models.js'

/** Thrown by the parsers: the broker answered something we cannot trust. Not retryable. */
const badResponse = (what: string, issues: readonly string[]): BrokerError =>
  new BrokerError('BROKER_BAD_RESPONSE', `Unexpected Alpaca ${what}: ${issues.slice(0, 5).join('; ')}`)

const unwrap = <T>(what: string, v: Validated<T>): T => {
  if (!v.ok) throw badResponse(what, v.issues)
  return v.value
}

/**
 * RFC 3339 timestamp (Alpaca sends up to nanoseconds) → epoch ms. Fractions beyond milliseconds are cut,
 * not rounded, so a time never moves into the future.
 */
export function parseTimestampMs(s: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(s)
  if (!m) return undefined
  const ms = (m[2] ?? '').slice(0, 3).padEnd(3, '0')
  const t = Date.parse(`${m[1]}.${ms}${m[3]}`)
  return Number.isNaN(t) ? undefined : t
}

/**
 * Alpaca's order statuses the engine has a name for. Every other status — the documented ones the engine
 * does not distinguish and any Alpaca adds later — reads as open (see `ALPACA_OPEN_STATUSES`).
 * https://docs.alpaca.markets/docs/orders-at-alpaca (Order Lifecycle)
 */
const NATIVE_STATUSES: Readonly<Record<string, BrokerOrderStatus>> = {
  new: 'new',
  accepted: 'accepted',
  pending_new: 'pending_new',
  partially_filled: 'partially_filled',
  filled: 'filled',
  pending_cancel: 'pending_cancel',
  canceled: 'canceled',
  expired: 'expired',
  rejected: 'rejected',
}

/**
 * Alpaca's documented statuses that are not final for the engine, each read as open (`accepted`, or
 * `partially_filled` once something filled):
 * - `done_for_day`: "done executing for the day, and will not receive further updates until the next
 *   trading day" — not final: a day order still ends canceled or expired, and it can still be cancelled.
 * - `held`, `accepted_for_bidding`, `stopped`, `suspended`, `pending_replace`: still working or about to.
 * - `calculated`: "completed for the day (either filled or done for day), but remaining settlement
 *   calculations are still pending": `filled` when fully filled, otherwise open.
 * - `replaced`: final for that order id, but the order lives on in `replaced_by`; the adapter follows the
 *   chain (`resolveReplaceChain` in alpacaBroker.ts), so the original never reads as final by itself.
 */
const ALPACA_OPEN_STATUSES: ReadonlySet<string> = new Set([
  'done_for_day',
  'held',
  'accepted_for_bidding',
  'stopped',
  'suspended',
  'pending_replace',
  'calculated',
  'replaced',
])

/** One Alpaca order as read, before a replace chain is followed. */
export interface AlpacaOrderView {
  /** The order in the engine's terms (an unknown or non-native status reads as open). */
  readonly order: BrokerOrder
  /** Alpaca's own status, as sent. */
  readonly alpacaStatus: string
  /** How the status was read: native, a documented status read as open, or one Alpaca added later. */
  readonly statusKind: 'native' | 'documented' | 'unknown'
  /** For a `replaced` order: the order that replaced it. */
  readonly replacedBy: string | null
  /** For a replacement: the order it replaced. */
  readonly replaces: string | null
}

const dec = (s: string): Decimal => new Dec(s)

/** Status for an order that is open as far as the engine is concerned. */
const openStatus = (filledQty: Decimal, qty: Decimal): BrokerOrderStatus =>
  filledQty.gt(0) ? (filledQty.gte(qty) ? 'filled' : 'partially_filled') : 'accepted'

/** An order DTO → what the adapter knows of that one order. */
function orderViewFromDto(dto: OrderDto): AlpacaOrderView {
  const issues: string[] = []
  const qty = dec(dto.qty)
  const filledQty = dec(dto.filled_qty)
  const native = NATIVE_STATUSES[dto.status]
  const statusKind = native !== undefined ? 'native' : ALPACA_OPEN_STATUSES.has(dto.status) ? 'documented' : 'unknown'
  // A replaced order is never `filled` on its own: what is left trades in its replacement.
  const status =
    native ??
    (dto.status === 'replaced' ? (filledQty.gt(0) ? 'partially_filled' : 'accepted') : openStatus(filledQty, qty))
  const side = dto.side === 'buy' ? 'BUY' : dto.side === 'sell' ? 'SELL' : undefined
  if (side === undefined) issues.push(`unknown side ${JSON.stringify(dto.side)}`)
  const type = dto.type === 'market' || dto.type === 'limit' ? dto.type : undefined
  if (type === undefined) issues.push(`unsupported order type ${JSON.stringify(dto.type)}`)
  if (filledQty.lt(0) || filledQty.gt(qty)) issues.push(`filled_qty ${dto.filled_qty} outside [0, qty ${dto.qty}]`)
  const filledAvgPrice = dto.filled_avg_price === null ? null : dec(dto.filled_avg_price)
  if (filledQty.gt(0) && filledAvgPrice === null) issues.push('filled_avg_price missing while filled_qty > 0')
  const createdMs = parseTimestampMs(dto.created_at)
  if (createdMs === undefined) issues.push(`created_at ${JSON.stringify(dto.created_at)} is not RFC 3339`)
  const submittedMs = dto.submitted_at === null ? createdMs : parseTimestampMs(dto.submitted_at)
  const updatedMs = dto.updated_at === null ? submittedMs : parseTimestampMs(dto.updated_at)
  if (submittedMs === undefined || updatedMs === undefined) issues.push('submitted_at / updated_at are not RFC 3339')
  if (issues.length > 0) throw badResponse(`order ${dto.id}`, issues)
  return {
    order: {
      id: brokerOrderId(dto.id),
      clientOrderId: dto.client_order_id as ClientOrderId,
      symbol: dto.symbol,
      side: side as 'BUY' | 'SELL',
      type: type as 'market' | 'limit',
      qty,
      ...(dto.limit_price === null ? {} : { limitPrice: dec(dto.limit_price) }),
      status,
      filledQty,
      filledAvgPrice: filledQty.gt(0) ? filledAvgPrice : null,
      submittedAtMs: submittedMs as number,
      updatedAtMs: updatedMs as number,
    },
    alpacaStatus: dto.status,
    statusKind,
    replacedBy: dto.replaced_by,
    replaces: dto.replaces,
  }
}

export const parseOrderView = (raw: unknown): AlpacaOrderView => orderViewFromDto(unwrap('order', readOrderDto(raw)))

export const parseOrder = (raw: unknown): BrokerOrder => parseOrderView(raw).order

export function parseTradeUpdate(raw: unknown): {
  readonly event: string
  readonly order: BrokerOrder
  readonly view: AlpacaOrderView
} {
  const dto = unwrap('trade update', readTradeUpdateDto(raw))
  const view = orderViewFromDto(dto.order)
  return { event: dto.event, order: view.order, view }
}

/**
 * The data API sends prices and sizes as JSON numbers; a number's shortest round-trip text is the
 * decimal Alpaca wrote for any price or size with at most 15 significant digits, so it converts exactly.
 */
const fromNumber = (n: number): Decimal => new Dec(String(n))

/** Go's zero time: Alpaca's "no quote" placeholder. */
const ZERO_TIME_MS = Date.UTC(1, 0, 1)

/** One quote of the data API → `Quote`, or null when it says there is none (zero time, or both sides zero). */
function quoteFromDto(what: string, q: CryptoQuoteDto, symbol: string): Quote | null {
  const timestampMs = parseTimestampMs(q.t)
  if (timestampMs === undefined) throw badResponse(what, [`t ${JSON.stringify(q.t)} is not RFC 3339`])
  if (timestampMs <= ZERO_TIME_MS + 86_400_000 || (q.ap <= 0 && q.bp <= 0)) return null
  if (q.ap < 0 || q.bp < 0 || q.as < 0 || q.bs < 0) throw badResponse(what, ['negative price or size'])
  return {
    symbol,
    bid: fromNumber(q.bp),
    ask: fromNumber(q.ap),
    bidSize: fromNumber(q.bs),
    askSize: fromNumber(q.as),
    timestampMs,
  }
}

/**
 * Latest quote → `Quote`, or null when Alpaca has none (no `quote`, zero time, or both sides zero). A zero
 * on one side is passed through; the engine's `checkQuote` substitutes it from the other side and flags it.
 */
export function parseLatestQuote(raw: unknown, symbol: string): Quote | null {
  const dto = unwrap('latest quote', readLatestQuoteDto(raw))
  return dto.quote === null ? null : quoteFromDto('latest quote', dto.quote, dto.symbol ?? symbol)
}

/**
 * The crypto latest-quotes answer → the pair's `Quote`, or null when the answer has no quote for it (Alpaca
 * leaves out a pair it has no quote for). Same rules as `parseLatestQuote`; sizes are in the base asset.
 */
export function parseLatestCryptoQuote(raw: unknown, pair: string): Quote | null {
  const dto = unwrap('crypto latest quotes', readLatestCryptoQuotesDto(raw))
  const q = dto.quotes[pair]
  return q === undefined ? null : quoteFromDto('crypto latest quotes', q, pair)
}

/**
 * Daily bars → the symbol's ADV and daily σ (`dailyStatsFromBars`: mean volume, sample σ of daily log
 * returns), over the last `days` bars that `keep` accepts (by their time, epoch ms); null when there are
 * too few or they are unusable.
 */
export function parseDailyStats(
  raw: unknown,
  symbol: string,
  days: number,
  keep: (atMs: number) => boolean = () => true,
): DailyStats | null {
  const dto = unwrap('daily bars', readBarsDto(raw))
  const timed = dto.bars.map((b) => {
    const atMs = parseTimestampMs(b.t)
    if (atMs === undefined) throw badResponse('daily bars', [`t ${JSON.stringify(b.t)} is not RFC 3339`])
    return { ...b, atMs }
  })
  const bars = timed
    .filter((b) => keep(b.atMs))
    .sort((a, b) => a.atMs - b.atMs)
    .slice(-days)
    .map((b) => ({ close: b.c, volume: b.v }))
  return dailyStatsFromBars(symbol, bars)
}

/** An asset as the engine sees it, and Alpaca's class of it (`us_equity`, `crypto`, …). */
export interface AssetView {
  readonly asset: Asset
  readonly assetClass: string
}

export function parseAsset(raw: unknown): AssetView {
  const dto = unwrap('asset', readAssetDto(raw))
  return {
    asset: {
      symbol: dto.symbol,
      tradable: dto.tradable && dto.status === 'active',
      fractionable: dto.fractionable,
      // the classes the engine acts on; any other (us_option) leaves it to the symbol
      ...(dto.class === 'crypto' || dto.class === 'us_equity' ? { assetClass: dto.class } : {}),
      // Alpaca sends these on crypto pairs only; an equity keeps the engine's tick and lot rules
      ...(dto.price_increment === null ? {} : { priceIncrement: dec(dto.price_increment) }),
      ...(dto.min_trade_increment === null ? {} : { qtyIncrement: dec(dto.min_trade_increment) }),
      ...(dto.min_order_size === null ? {} : { minOrderSize: dec(dto.min_order_size) }),
    },
    assetClass: dto.class,
  }
}

/** `GET /v2/clock` read: whether the market is open at `timestampMs` (Alpaca's time), the next open and close. */
export interface AlpacaClock {
  readonly timestampMs: number
  readonly isOpen: boolean
  readonly nextOpenMs: number
  readonly nextCloseMs: number
}

export function parseClock(raw: unknown): AlpacaClock {
  const dto = unwrap('clock', readClockDto(raw))
  const times = [dto.timestamp, dto.next_open, dto.next_close].map((t) => [t, parseTimestampMs(t)] as const)
  const bad = times.filter(([, ms]) => ms === undefined).map(([t]) => `${JSON.stringify(t)} is not RFC 3339`)
  if (bad.length > 0) throw badResponse('clock', bad)
  const [timestampMs, nextOpenMs, nextCloseMs] = times.map(([, ms]) => ms as number) as [number, number, number]
  return { timestampMs, isOpen: dto.is_open, nextOpenMs, nextCloseMs }
}

/** The instant of a New York wall time — Alpaca's calendar is New York's — `date` `YYYY-MM-DD`, `hhmm` `HH:MM` (both checked by `readCalendarDto`). */
const newYorkTimeMs = (date: string, hhmm: string): number =>
  instantOfWallTime('America/New_York', Date.parse(`${date}T${hhmm}:00Z`))

/** One regular session of the calendar, as instants. */
export interface CalendarSession {
  readonly date: string
  readonly openMs: number
  readonly closeMs: number
}

/** `GET /v2/calendar` → its sessions in time order. */
export function parseCalendar(raw: unknown): readonly CalendarSession[] {
  const days = unwrap('calendar', readCalendarDto(raw))
  const sessions = days.map((d) => ({
    date: d.date,
    openMs: newYorkTimeMs(d.date, d.open),
    closeMs: newYorkTimeMs(d.date, d.close),
  }))
  const bad = sessions.filter((x) => Number.isNaN(x.openMs) || !(x.closeMs > x.openMs))
  const issues = bad.map((x) => `${x.date}: no session (close not after open)`)
  if (issues.length > 0) throw badResponse('calendar', issues)
  return [...sessions].sort((a, b) => a.openMs - b.openMs)
}

/** A position with, besides the port's fields, what is free to sell (not held for open orders). */
export interface PositionDetail extends Position {
  readonly qtyAvailable: Decimal
}

export function parsePosition(raw: unknown): PositionDetail {
  const dto = unwrap('position', readPositionDto(raw))
  let qty = dec(dto.qty)
  // Alpaca reports shorts with side "short"; some payloads give a positive qty with it.
  if (dto.side === 'short' && qty.gt(0)) qty = qty.neg()
  const available = dto.qty_available === undefined ? qty : dec(dto.qty_available)
  return { symbol: dto.symbol, qty, avgEntryPrice: dec(dto.avg_entry_price), qtyAvailable: available }
}

export interface AccountSnapshot {
  readonly status: string
  readonly buyingPower: Decimal
  /** False when Alpaca blocks trading or the account (or it is not ACTIVE). */
  readonly canTrade: boolean
}

export function parseAccount(raw: unknown): AccountSnapshot {
  const dto = unwrap('account', readAccountDto(raw))
  return {
    status: dto.status,
    buyingPower: dec(dto.buying_power),
    canTrade: !dto.trading_blocked && !dto.account_blocked && dto.status === 'ACTIVE',
  }
}

/** `SubmitOrderRequest` → the POST body: decimal strings in plain notation (never exponent, never numbers). */
export function orderRequestToDto(req: SubmitOrderRequest): OrderRequestDto {
  return {
    symbol: req.symbol,
    qty: req.qty.toFixed(),
    side: req.side === 'BUY' ? 'buy' : 'sell',
    type: req.type,
    time_in_force: req.timeInForce,
    ...(req.type === 'limit' && req.limitPrice !== undefined ? { limit_price: req.limitPrice.toFixed() } : {}),
    client_order_id: req.clientOrderId,
  }
}
