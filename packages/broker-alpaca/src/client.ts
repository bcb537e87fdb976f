/**
 * The only file that imports `@alpacahq/alpaca-trade-api` (v4). It builds the SDK's generated API
 * classes on explicit `Configuration`s (every field given, so no SDK default or environment fallback
 * applies), turns every SDK error into an `AlpacaFailure`, and hands back raw wire JSON for `models.ts` to
 * validate. Every method makes one request: the SDK's retry and rate limiter are switched off, the
 * adapter paces requests (its token bucket) and the engine decides what to retry.
 */
import { marketData, streaming, trading, ApiError, FetchError } from '@alpacahq/alpaca-trade-api'
import type { AlpacaConfig } from './config.js'
import type { AlpacaFailure } from './errors.js'
import type { OrderRequestDto } from './models.js'

/** Thrown by every `AlpacaRest` method. */
export class AlpacaTransportError extends Error {
  override readonly name = 'AlpacaTransportError'
  constructor(readonly failure: AlpacaFailure) {
    super(failure.message)
  }
}

/** Raw REST calls; each resolves to the response's JSON (unvalidated) or throws `AlpacaTransportError`. */
export interface AlpacaRest {
  postOrder(body: OrderRequestDto): Promise<unknown>
  getOrder(id: string): Promise<unknown>
  getOrderByClientOrderId(clientOrderId: string): Promise<unknown>
  /** Resolves on 204. */
  cancelOrder(id: string): Promise<void>
  getPosition(symbol: string): Promise<unknown>
  getAccount(): Promise<unknown>
  getAsset(symbol: string): Promise<unknown>
  /** `GET /v2/stocks/{symbol}/quotes/latest?feed=…`: an equity's latest quote. */
  getLatestQuote(symbol: string): Promise<unknown>
  /**
   * `GET /v1beta3/crypto/us/latest/quotes?symbols={pair}`: a crypto pair's latest quote from Alpaca's own
   * crypto venue, `{ quotes: { [pair]: { ap, as, bp, bs, t } } }` (the stocks route has no crypto pairs).
   */
  getLatestCryptoQuote(pair: string): Promise<unknown>
  /** `GET /v2/stocks/{symbol}/bars?timeframe=1Day&start=…&end=…` (split- and dividend-adjusted). */
  getDailyBars(symbol: string, start: Date, end: Date): Promise<unknown>
  /** `GET /v2/clock`: the US equity market's clock. */
  getClock(): Promise<unknown>
  /** `GET /v2/calendar?start=…&end=…` (the SDK writes both as RFC 3339 times). */
  getCalendar(start: Date, end: Date): Promise<unknown>
}

function toFailure(e: unknown): AlpacaFailure {
  if (e instanceof AlpacaTransportError) return e.failure
  if (e instanceof ApiError) {
    return {
      kind: 'http',
      status: e.status,
      code: e.code,
      message: e.message || `HTTP ${e.status}`,
      retryAfterMs: e.retryAfterMs,
      requestId: e.requestId,
    }
  }
  if (e instanceof FetchError) {
    const name = (e.cause as { name?: unknown } | undefined)?.name
    if (name === 'TimeoutError' || name === 'AbortError')
      return { kind: 'timeout', message: 'no response within the timeout' }
    const causeMessage = (e.cause as { cause?: { code?: unknown } } | undefined)?.cause?.code
    return {
      kind: 'network',
      message: typeof causeMessage === 'string' ? `request failed (${causeMessage})` : 'request failed',
    }
  }
  if (e instanceof SyntaxError) return { kind: 'bad_response', message: 'response body is not JSON' }
  const name = (e as { name?: unknown } | undefined)?.name
  if (name === 'TimeoutError' || name === 'AbortError')
    return { kind: 'timeout', message: 'no response within the timeout' }
  return { kind: 'bad_response', message: e instanceof Error ? e.message : String(e) }
}

const call = async <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn()
  } catch (e) {
    throw new AlpacaTransportError(toFailure(e))
  }
}

const json = async (res: { raw: Response }): Promise<unknown> => res.raw.json() as Promise<unknown>

/**
 * The historical feed for daily bars: the real-time feeds without history of their own (`delayed_sip`,
 * `overnight`) read SIP bars, which are free for days past.
 */
const historicalFeed = (feed: AlpacaConfig['feed']): 'iex' | 'sip' | 'boats' | 'otc' =>
  feed === 'delayed_sip' || feed === 'overnight' ? 'sip' : feed

/** Every `ConfigurationParameters` field, explicitly: nothing is left for the SDK to default. */
function sdkParams(config: AlpacaConfig, basePath: string): trading.ConfigurationParameters {
  return {
    basePath,
    fetchApi: undefined, // the platform fetch
    middleware: [],
    queryParamsStringify: undefined, // the SDK's querystring
    username: undefined,
    password: undefined,
    apiKey: undefined,
    keyId: config.keyId,
    secret: config.secretKey,
    paper: config.paper,
    accessToken: undefined,
    headers: {},
    credentials: undefined,
    timeoutMs: config.timeoutMs,
    retry: undefined, // no SDK retries (maxRetries 0): one attempt per call, the engine retries
    rateLimit: undefined, // the adapter's token bucket
    userAgent: config.userAgent,
    sandbox: false,
    redirect: 'error', // never forward the key headers to a redirect target
  }
}

export function createAlpacaRest(config: AlpacaConfig): AlpacaRest {
  const tradingConfig = new trading.Configuration(sdkParams(config, config.tradingBaseUrl))
  const dataConfig = new marketData.Configuration(sdkParams(config, config.dataBaseUrl))
  const orders = new trading.OrdersApi(tradingConfig)
  const positions = new trading.PositionsApi(tradingConfig)
  const accounts = new trading.AccountsApi(tradingConfig)
  const assets = new trading.AssetsApi(tradingConfig)
  const clock = new trading.ClockApi(tradingConfig)
  const calendar = new trading.CalendarApi(tradingConfig)
  const stocks = new marketData.StockApi(dataConfig)
  const crypto = new marketData.CryptoApi(dataConfig)
  const keyHeaders = { 'APCA-API-KEY-ID': config.keyId, 'APCA-API-SECRET-KEY': config.secretKey }

  return {
    postOrder: (body) =>
      call(async () =>
        json(
          await orders.postOrderRaw({
            postOrderRequest: {
              symbol: body.symbol,
              qty: body.qty,
              side: body.side,
              type: body.type,
              timeInForce: body.time_in_force,
              ...(body.limit_price === undefined ? {} : { limitPrice: body.limit_price }),
              clientOrderId: body.client_order_id,
            },
          }),
        ),
      ),
    getOrder: (id) => call(async () => json(await orders.getOrderByOrderIDRaw({ orderId: id }))),
    getOrderByClientOrderId: (clientOrderId) =>
      call(async () => json(await orders.getOrderByClientOrderIdRaw({ clientOrderId }))),
    cancelOrder: (id) =>
      call(async () => {
        const res = await orders.deleteOrderByOrderIDRaw({ orderId: id })
        await res.value()
      }),
    getPosition: (symbol) => call(async () => json(await positions.getOpenPositionRaw({ symbolOrAssetId: symbol }))),
    getAccount: () => call(async () => json(await accounts.getAccountRaw())),
    getAsset: (symbol) =>
      call(async () => json(await assets.getV2AssetsSymbolOrAssetIdRaw({ symbolOrAssetId: symbol }))),
    getLatestQuote: (symbol) =>
      call(async () => json(await stocks.stockLatestQuoteSingleRaw({ symbol, feed: config.feed }))),
    // loc `us`: "Alpaca US", the venue Alpaca executes crypto orders on (https://docs.alpaca.markets/reference/cryptolatestquotes-1).
    // The spec marks the route public (`security: []`), so the SDK sends no keys on it; they are added here:
    // "please authenticate to increase your data rate limit"
    // (https://alpaca.markets/docs/api-references/market-data-api/crypto-pricing-data/).
    getLatestCryptoQuote: (pair) =>
      call(async () =>
        json(
          await crypto.cryptoLatestQuotesRaw({ loc: 'us', symbols: pair }, async ({ init }) => ({
            headers: { ...init.headers, ...keyHeaders },
          })),
        ),
      ),
    getDailyBars: (symbol, start, end) =>
      call(async () =>
        json(
          await stocks.stockBarSingleRaw({
            symbol,
            timeframe: '1Day',
            start,
            end,
            adjustment: 'all',
            feed: historicalFeed(config.feed),
          }),
        ),
      ),
    // The SDK's "legacy" methods are the /v2 routes (its clock()/calendar() are /v3, another shape).
    getClock: () => call(async () => json(await clock.legacyClockRaw())),
    getCalendar: (start, end) => call(async () => json(await calendar.legacyCalendarRaw({ start, end }))),
  }
}

// ---- trade-update stream ----------------------------------------------------------------------------

export type StreamState = 'connecting' | 'connected' | 'authenticated' | 'disconnected' | 'waiting to reconnect'

export interface TradeUpdateStreamHandlers {
  /** The raw `data` of a `trade_updates` frame (snake_case, `order` included). */
  onUpdate(data: Record<string, unknown>): void
  onState(state: StreamState): void
  /** A message without secrets (the SDK's own text, redacted by the caller before logging). */
  onError(message: string): void
  onReconnecting(attempt: number): void
  /** The server refused the credentials: no reconnect follows. */
  onAuthFailed(): void
}

export interface TradeUpdateStreamHandle {
  connect(): void
  close(): void
  state(): StreamState
}

export function createTradeUpdateStream(
  config: AlpacaConfig,
  handlers: TradeUpdateStreamHandlers,
): TradeUpdateStreamHandle {
  const stream = new streaming.TradingStream({
    credentials: { keyId: config.keyId, secret: config.secretKey },
    url: config.streamUrl,
    paper: config.paper,
    reconnect: true,
    maxReconnectAttempts: streaming.UNLIMITED_RECONNECT_ATTEMPTS,
    backoff: true,
    initialReconnectMs: config.streamReconnectInitialMs,
    maxReconnectMs: config.streamReconnectMaxMs,
    reconnectJitter: 0.2,
    pingIntervalMs: 10_000,
    pongWaitMs: 5_000,
    verbose: false,
  })
  stream.onTradeUpdate((update) => {
    // The SDK keeps the wire keys next to its camelCase copies; `order` keeps its snake_case keys too.
    handlers.onUpdate(update as unknown as Record<string, unknown>)
  })
  stream.onStateChange((s) => handlers.onState(s as StreamState))
  stream.onError((message) => {
    // The SDK's text for a refused `authenticate` (first connect or any reconnect); it stops reconnecting.
    if (String(message) === 'auth failed') handlers.onAuthFailed()
    else handlers.onError(String(message))
  })
  stream.onReconnecting((attempt) => handlers.onReconnecting(attempt))
  // Marks the subscription; the SDK sends `listen` after every (re)authentication.
  stream.subscribeTradeUpdates()
  void stream.whenAuthenticated().then((result) => {
    if (result.status === streaming.STREAM_AUTH_STATUS.SERVER_REJECTED) handlers.onAuthFailed()
  })
  return {
    connect: () => stream.connect(),
    close: () => stream.disconnect(),
    state: () => stream.getState() as StreamState,
  }
}
