/**
 * Alpaca's wire shapes (snake_case, as documented at docs.alpaca.markets) and hand-written validators
 * (zod is not a dependency of this package). Only the fields the adapter reads are declared; the rest is
 * ignored. DTO → domain conversion lives in `parse.ts`.
 */

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly string[] }

/** `POST /v2/orders` body: amounts are decimal strings, never JSON numbers. */
export interface OrderRequestDto {
  readonly symbol: string
  readonly qty: string
  readonly side: 'buy' | 'sell'
  readonly type: 'market' | 'limit'
  /** `day` for equities; `gtc` or `ioc` for crypto pairs (https://docs.alpaca.markets/docs/crypto-orders). */
  readonly time_in_force: 'day' | 'gtc' | 'ioc'
  readonly limit_price?: string
  readonly client_order_id: string
}

/** An order (`/v2/orders…` responses and `trade_updates` events). */
export interface OrderDto {
  readonly id: string
  readonly client_order_id: string
  readonly symbol: string
  readonly side: string
  readonly type: string
  readonly qty: string
  readonly limit_price: string | null
  readonly status: string
  readonly filled_qty: string
  readonly filled_avg_price: string | null
  readonly created_at: string
  readonly submitted_at: string | null
  readonly updated_at: string | null
  /** Set on a `replaced` order: the id of the order that replaced it. */
  readonly replaced_by: string | null
  /** Set on a replacement: the id of the order it replaced. */
  readonly replaces: string | null
}

/** `GET /v2/stocks/{symbol}/quotes/latest`: prices and sizes are JSON numbers on the data API. */
export interface LatestQuoteDto {
  readonly symbol: string | undefined
  readonly quote: {
    readonly ap: number
    readonly as: number
    readonly bp: number
    readonly bs: number
    readonly t: string
  } | null
}

/** One quote of the crypto latest-quotes answer: prices and sizes (in the base asset) as JSON numbers. */
export interface CryptoQuoteDto {
  readonly ap: number
  readonly as: number
  readonly bp: number
  readonly bs: number
  readonly t: string
}

/**
 * `GET /v1beta3/crypto/us/latest/quotes?symbols=BTC/USD` (https://docs.alpaca.markets/reference/cryptolatestquotes-1;
 * the SDK's `CryptoLatestQuotesResp`): `quotes` keyed by pair; a pair without a quote is absent.
 */
export interface LatestCryptoQuotesDto {
  readonly quotes: Readonly<Record<string, CryptoQuoteDto>>
}

export interface AssetDto {
  readonly symbol: string
  /**
   * `us_equity`, `crypto`, … (https://docs.alpaca.markets/reference/get-v2-assets-symbol_or_asset_id). Alpaca
   * documents it on every asset; one without it is read as `us_equity` (a symbol with a `/` is a crypto
   * pair whatever its class says).
   */
  readonly class: string
  readonly status: string
  readonly tradable: boolean
  readonly fractionable: boolean
  /**
   * Crypto only (the SDK's `Assets`: "Field available for crypto only"; sample pair in
   * https://docs.alpaca.markets/docs/crypto-trading): the smallest order, the quantity step and the price
   * step, as decimal strings. Null when absent (equities).
   */
  readonly min_order_size: string | null
  readonly min_trade_increment: string | null
  readonly price_increment: string | null
}

/**
 * `GET /v2/clock` (https://docs.alpaca.markets/reference/getclock-1): RFC 3339 times in New York with their
 * offset; `next_close` is the next close after `timestamp` (while open, this session's), `next_open` the
 * next open after it.
 */
export interface ClockDto {
  readonly timestamp: string
  readonly is_open: boolean
  readonly next_open: string
  readonly next_close: string
}

/**
 * One trading day of `GET /v2/calendar` (https://docs.alpaca.markets/reference/getcalendar-1): `date`
 * `YYYY-MM-DD`, `open`/`close` `HH:MM`, all New York time; `close` includes early closes.
 */
export interface CalendarDayDto {
  readonly date: string
  readonly open: string
  readonly close: string
}

export interface PositionDto {
  readonly symbol: string
  /** Signed quantity (negative for a short). */
  readonly qty: string
  /** Quantity not held for open orders; absent on older responses. */
  readonly qty_available: string | undefined
  readonly avg_entry_price: string
  readonly side: string | undefined
}

export interface AccountDto {
  readonly status: string
  readonly buying_power: string
  readonly trading_blocked: boolean
  readonly account_blocked: boolean
}

export interface TradeUpdateDto {
  readonly event: string
  readonly order: OrderDto
}

// ---- helpers ------------------------------------------------------------------------------------

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const DECIMAL = /^-?(\d+)(\.\d+)?$/

class Reader {
  readonly issues: string[] = []
  constructor(
    private readonly rec: Record<string, unknown>,
    private readonly where: string,
  ) {}

  private fail(key: string, what: string): void {
    const got = this.rec[key]
    this.issues.push(
      `${this.where}.${key} ${what} (got ${got === undefined ? 'nothing' : JSON.stringify(got)?.slice(0, 40)})`,
    )
  }

  string(key: string): string {
    const v = this.rec[key]
    if (typeof v !== 'string' || v.length === 0) {
      this.fail(key, 'must be a non-empty string')
      return ''
    }
    return v
  }

  optionalString(key: string): string | null {
    const v = this.rec[key]
    if (v === undefined || v === null) return null
    if (typeof v !== 'string') {
      this.fail(key, 'must be a string or null')
      return null
    }
    return v
  }

  decimal(key: string): string {
    const v = this.rec[key]
    if (typeof v !== 'string' || !DECIMAL.test(v)) {
      this.fail(key, 'must be a decimal string')
      return '0'
    }
    return v
  }

  optionalDecimal(key: string): string | null {
    const v = this.rec[key]
    if (v === undefined || v === null) return null
    return this.decimal(key)
  }

  number(key: string): number {
    const v = this.rec[key]
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(key, 'must be a finite number')
      return 0
    }
    return v
  }

  boolean(key: string): boolean {
    const v = this.rec[key]
    if (typeof v !== 'boolean') {
      this.fail(key, 'must be a boolean')
      return false
    }
    return v
  }

  optionalBoolean(key: string, fallback: boolean): boolean {
    const v = this.rec[key]
    if (v === undefined || v === null) return fallback
    return this.boolean(key)
  }
}

const done = <T>(r: Reader, value: T): Validated<T> =>
  r.issues.length > 0 ? { ok: false, issues: r.issues } : { ok: true, value }

const notObject = (where: string): Validated<never> => ({ ok: false, issues: [`${where} must be a JSON object`] })

// ---- validators ----------------------------------------------------------------------------------

export function readOrderDto(raw: unknown, where = 'order'): Validated<OrderDto> {
  if (!isRecord(raw)) return notObject(where)
  const r = new Reader(raw, where)
  const type = typeof raw['type'] === 'string' ? r.string('type') : r.string('order_type')
  const value: OrderDto = {
    id: r.string('id'),
    client_order_id: r.string('client_order_id'),
    symbol: r.string('symbol'),
    side: r.string('side'),
    type,
    qty: r.decimal('qty'),
    limit_price: r.optionalDecimal('limit_price'),
    status: r.string('status'),
    filled_qty: r.decimal('filled_qty'),
    filled_avg_price: r.optionalDecimal('filled_avg_price'),
    created_at: r.string('created_at'),
    submitted_at: r.optionalString('submitted_at'),
    updated_at: r.optionalString('updated_at'),
    replaced_by: r.optionalString('replaced_by'),
    replaces: r.optionalString('replaces'),
  }
  return done(r, value)
}

/**
 * `GET /v2/stocks/{symbol}/bars` (https://docs.alpaca.markets/reference/stockbarsingle-1): `bars` in time
 * order (null when there are none), each with its close `c` and volume `v`.
 */
export interface BarsDto {
  readonly bars: readonly { readonly t: string; readonly c: number; readonly v: number }[]
}

export function readBarsDto(raw: unknown): Validated<BarsDto> {
  if (!isRecord(raw)) return notObject('bars response')
  const list = raw['bars']
  if (list === null || list === undefined) return { ok: true, value: { bars: [] } }
  if (!Array.isArray(list)) return { ok: false, issues: ['bars response.bars: must be a list'] }
  const bars: { t: string; c: number; v: number }[] = []
  for (const [i, b] of list.entries()) {
    if (!isRecord(b)) return notObject(`bars response.bars[${i}]`)
    const r = new Reader(b, `bar ${i}`)
    const bar = { t: r.string('t'), c: r.number('c'), v: r.number('v') }
    const checked = done(r, bar)
    if (!checked.ok) return checked
    bars.push(bar)
  }
  return { ok: true, value: { bars } }
}

export function readLatestQuoteDto(raw: unknown): Validated<LatestQuoteDto> {
  if (!isRecord(raw)) return notObject('latest quote response')
  const outer = new Reader(raw, 'latest quote response')
  const symbol = typeof raw['symbol'] === 'string' ? raw['symbol'] : undefined
  const q = raw['quote']
  if (q === undefined || q === null) return done(outer, { symbol, quote: null })
  if (!isRecord(q)) return notObject('latest quote response.quote')
  const r = new Reader(q, 'quote')
  const value: LatestQuoteDto = {
    symbol,
    quote: { ap: r.number('ap'), as: r.number('as'), bp: r.number('bp'), bs: r.number('bs'), t: r.string('t') },
  }
  return done(r, value)
}

export function readLatestCryptoQuotesDto(raw: unknown): Validated<LatestCryptoQuotesDto> {
  if (!isRecord(raw)) return notObject('crypto latest quotes response')
  const list = raw['quotes']
  if (list === undefined || list === null) return { ok: true, value: { quotes: {} } }
  if (!isRecord(list)) return notObject('crypto latest quotes response.quotes')
  const quotes: Record<string, CryptoQuoteDto> = {}
  const issues: string[] = []
  for (const [pair, q] of Object.entries(list)) {
    if (!isRecord(q)) {
      issues.push(`crypto latest quotes response.quotes[${pair}] must be a JSON object`)
      continue
    }
    const r = new Reader(q, `quotes[${pair}]`)
    quotes[pair] = { ap: r.number('ap'), as: r.number('as'), bp: r.number('bp'), bs: r.number('bs'), t: r.string('t') }
    issues.push(...r.issues)
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: { quotes } }
}

const UNSIGNED_DECIMAL = /^\d+(\.\d+)?$/

export function readAssetDto(raw: unknown): Validated<AssetDto> {
  if (!isRecord(raw)) return notObject('asset')
  const r = new Reader(raw, 'asset')
  /** A step or minimum: a decimal string ≥ 0; zero says nothing (no step), so it reads as absent. */
  const increment = (key: string): string | null => {
    const v = r.optionalDecimal(key)
    if (v === null) return null
    if (!UNSIGNED_DECIMAL.test(v)) {
      r.issues.push(`asset.${key} must not be negative (got ${JSON.stringify(v)})`)
      return null
    }
    return /[1-9]/.test(v) ? v : null
  }
  return done(r, {
    symbol: r.string('symbol'),
    class: r.optionalString('class') ?? 'us_equity',
    status: r.string('status'),
    tradable: r.boolean('tradable'),
    fractionable: r.optionalBoolean('fractionable', false),
    min_order_size: increment('min_order_size'),
    min_trade_increment: increment('min_trade_increment'),
    price_increment: increment('price_increment'),
  })
}

export function readClockDto(raw: unknown): Validated<ClockDto> {
  if (!isRecord(raw)) return notObject('clock')
  const r = new Reader(raw, 'clock')
  return done(r, {
    timestamp: r.string('timestamp'),
    is_open: r.boolean('is_open'),
    next_open: r.string('next_open'),
    next_close: r.string('next_close'),
  })
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/
const CALENDAR_TIME = /^([01]\d|2[0-3]):[0-5]\d$/

export function readCalendarDto(raw: unknown): Validated<readonly CalendarDayDto[]> {
  if (!Array.isArray(raw)) return { ok: false, issues: ['calendar must be a JSON array'] }
  const issues: string[] = []
  const days: CalendarDayDto[] = []
  raw.forEach((day: unknown, i) => {
    const where = `calendar[${i}]`
    if (!isRecord(day)) {
      issues.push(`${where} must be a JSON object`)
      return
    }
    const r = new Reader(day, where)
    const value = { date: r.string('date'), open: r.string('open'), close: r.string('close') }
    if (r.issues.length === 0) {
      if (!CALENDAR_DATE.test(value.date)) r.issues.push(`${where}.date ${value.date} is not YYYY-MM-DD`)
      for (const k of ['open', 'close'] as const)
        if (!CALENDAR_TIME.test(value[k])) r.issues.push(`${where}.${k} ${value[k]} is not HH:MM`)
    }
    issues.push(...r.issues)
    days.push(value)
  })
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: days }
}

export function readPositionDto(raw: unknown): Validated<PositionDto> {
  if (!isRecord(raw)) return notObject('position')
  const r = new Reader(raw, 'position')
  const available = r.optionalDecimal('qty_available')
  const side = r.optionalString('side')
  return done(r, {
    symbol: r.string('symbol'),
    qty: r.decimal('qty'),
    qty_available: available ?? undefined,
    avg_entry_price: r.decimal('avg_entry_price'),
    side: side ?? undefined,
  })
}

export function readAccountDto(raw: unknown): Validated<AccountDto> {
  if (!isRecord(raw)) return notObject('account')
  const r = new Reader(raw, 'account')
  return done(r, {
    status: r.string('status'),
    buying_power: r.decimal('buying_power'),
    trading_blocked: r.optionalBoolean('trading_blocked', false),
    account_blocked: r.optionalBoolean('account_blocked', false),
  })
}

export function readTradeUpdateDto(raw: unknown): Validated<TradeUpdateDto> {
  if (!isRecord(raw)) return notObject('trade update')
  const r = new Reader(raw, 'trade update')
  const event = r.string('event')
  const order = readOrderDto(raw['order'], 'trade update.order')
  if (!order.ok) return { ok: false, issues: [...r.issues, ...order.issues] }
  return done(r, { event, order: order.value })
}
