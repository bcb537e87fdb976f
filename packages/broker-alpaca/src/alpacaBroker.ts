import {
  BrokerError,
  BROKER_TERMINAL_STATUSES,
  MAX_CLIENT_ORDER_ID_LENGTH,
  createRealClock,
  isBrokerError,
  isOnTick,
  noopLogger,
  type Asset,
  type BrokerOrder,
  type BrokerOrderId,
  type BrokerPort,
  type ClientOrderId,
  type Clock,
  type Logger,
  type Position,
  type Quote,
  type SubmitOrderRequest,
} from '@acx/engine'
import type { Decimal } from 'decimal.js'
import { AlpacaTransportError, createAlpacaRest, type AlpacaRest } from './client.js'
import { resolveAlpacaConfig, type AlpacaBrokerOptions, type AlpacaConfig } from './config.js'
import {
  isAmbiguousSubmitFailure,
  isDuplicateClientOrderId,
  redact,
  toBrokerError,
  type AlpacaFailure,
} from './errors.js'
import {
  orderRequestToDto,
  parseAccount,
  parseAsset,
  parseLatestQuote,
  parseOrder,
  parsePosition,
  type AccountSnapshot,
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

export type PreflightIssueCode =
  | 'ASSET_NOT_FOUND'
  | 'ASSET_NOT_TRADABLE'
  | 'NOT_FRACTIONABLE'
  | 'ACCOUNT_NOT_TRADING'
  | 'INSUFFICIENT_BUYING_POWER'
  | 'INSUFFICIENT_POSITION'

export interface PreflightIssue {
  readonly code: PreflightIssueCode
  readonly message: string
}

export interface PreflightFacts {
  readonly asset: Asset
  /** For buys. */
  readonly account?: AccountSnapshot
  /** For buys: the price the cost was estimated at (limit price, else the ask); undefined without a quote. */
  readonly estimatedPrice?: Decimal
  /** For sells: the position (null when flat). */
  readonly position?: PositionDetail | null
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
  /** Polls (woken early by trade updates) until the order is filled, canceled, expired or rejected. */
  waitForOrder(id: BrokerOrderId, options?: WaitForOrderOptions): Promise<BrokerOrder>
  /** Requests the cancel and waits until it is confirmed (or the order filled): the final order. */
  cancelAndConfirm(id: BrokerOrderId, options?: WaitForOrderOptions): Promise<BrokerOrder>
  /** The trade-update stream's state. */
  tradeUpdatesStatus(): TradeUpdatesStatus
  readonly config: Omit<AlpacaConfig, 'keyId' | 'secretKey'>
  /** Closes the trade-update stream. The REST methods keep working. */
  close(): Promise<void>
}

const PREFLIGHT_ERROR: Readonly<Record<PreflightIssueCode, BrokerError['code']>> = {
  ASSET_NOT_FOUND: 'BROKER_NOT_FOUND',
  ASSET_NOT_TRADABLE: 'BROKER_REJECTED',
  NOT_FRACTIONABLE: 'BROKER_REJECTED',
  ACCOUNT_NOT_TRADING: 'BROKER_REJECTED',
  INSUFFICIENT_BUYING_POWER: 'BROKER_INSUFFICIENT_FUNDS',
  INSUFFICIENT_POSITION: 'BROKER_INSUFFICIENT_FUNDS',
}

const failureOf = (e: unknown): AlpacaFailure | undefined => (e instanceof AlpacaTransportError ? e.failure : undefined)

/**
 * A `BrokerPort` over Alpaca (paper by default). See the README for configuration, the exactly-once
 * rules and the error table.
 */
export function createAlpacaBroker(options: AlpacaBrokerOptions): AlpacaBroker {
  const config = resolveAlpacaConfig(options)
  const logger: Logger = options.logger ?? noopLogger
  const clock: Clock = options.clock ?? createRealClock()
  const secrets = [config.keyId, config.secretKey]
  const rest: AlpacaRest = createAlpacaRest(config)
  const bucket = createTokenBucket({ maxPerMinute: config.maxRequestsPerMinute, burst: config.burst, clock })
  const tracker = createOrderTracker(config, clock, logger)
  const assets = new Map<string, { readonly asset: Asset; readonly atMs: number }>()

  const backoffMs = (attempt: number): number => {
    const base = Math.min(config.retryBaseMs * 2 ** attempt, config.retryMaxMs)
    return Math.min(base * (0.8 + Math.random() * 0.4), config.retryMaxMs)
  }

  /** On a 429: nobody sends before the reset (plus jitter); returns how long to wait. */
  const honourRateLimit = (failure: AlpacaFailure, attempt: number): number => {
    const retryAfter = failure.kind === 'http' ? failure.retryAfterMs : undefined
    const wait = Math.max(retryAfter ?? 0, backoffMs(attempt)) + Math.random() * config.retryBaseMs
    bucket.pauseUntil(clock.now() + wait)
    return wait
  }

  const brokerError = (e: unknown, context: string): BrokerError => {
    if (isBrokerError(e)) return e
    const failure = failureOf(e)
    if (failure) return toBrokerError(failure, context, secrets)
    return new BrokerError('BROKER_BAD_RESPONSE', redact(`${context}: ${(e as Error)?.message ?? String(e)}`, secrets), { cause: e })
  }

  /**
   * A request that is safe to repeat (a read, or a cancel): rate limited, retried with jittered
   * exponential backoff on retryable failures (a 429 waits for its reset). Throws `BrokerError`.
   */
  const safe = async <T>(context: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      await bucket.take()
      try {
        return await fn()
      } catch (e) {
        const failure = failureOf(e)
        const err = brokerError(e, context)
        if (!failure || !err.retryable || attempt >= config.maxRetries) throw err
        const waitMs = err.code === 'BROKER_RATE_LIMITED' ? honourRateLimit(failure, attempt) : backoffMs(attempt)
        logger.debug({ context, attempt: attempt + 1, code: err.code, waitMs: Math.round(waitMs) }, 'Retrying Alpaca request')
        await clock.sleep(waitMs)
      }
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

  const lookupByClientId = async (clientOrderId: ClientOrderId): Promise<BrokerOrder | null> => {
    const raw = await notFoundToNull(
      safe(`get order by client_order_id ${clientOrderId}`, () => rest.getOrderByClientOrderId(clientOrderId)),
    )
    return raw === null ? null : tracker.remember(parseOrder(raw))
  }

  const getAsset = async (symbol: string): Promise<Asset> => {
    const cached = assets.get(symbol)
    if (cached && clock.now() - cached.atMs < config.assetCacheTtlMs) return cached.asset
    const asset = parseAsset(await safe(`get asset ${symbol}`, () => rest.getAsset(symbol)))
    assets.set(symbol, { asset, atMs: clock.now() })
    return asset
  }

  const getAccount = async (): Promise<AccountSnapshot> => parseAccount(await safe('get account', () => rest.getAccount()))

  const getPositionDetail = async (symbol: string): Promise<PositionDetail | null> => {
    const raw = await notFoundToNull(safe(`get position ${symbol}`, () => rest.getPosition(symbol)))
    return raw === null ? null : parsePosition(raw)
  }

  const getQuote = async (symbol: string): Promise<Quote | null> => {
    const raw = await notFoundToNull(safe(`get latest quote ${symbol}`, () => rest.getLatestQuote(symbol)))
    return raw === null ? null : parseLatestQuote(raw, symbol)
  }

  const preflight = async (req: PreflightRequest): Promise<PreflightResult> => {
    const issues: PreflightIssue[] = []
    let asset: Asset
    try {
      asset = await getAsset(req.symbol)
    } catch (e) {
      if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND') {
        return { ok: false, issues: [{ code: 'ASSET_NOT_FOUND', message: `Alpaca has no asset ${req.symbol}` }] }
      }
      throw e
    }
    if (!asset.tradable) issues.push({ code: 'ASSET_NOT_TRADABLE', message: `${req.symbol} is not tradable on Alpaca` })
    if (!req.qty.isInteger() && !asset.fractionable) {
      issues.push({ code: 'NOT_FRACTIONABLE', message: `${req.symbol} is not fractionable: ${req.qty.toFixed()} is not a whole number of shares` })
    }
    if (req.side === 'BUY') {
      const account = await getAccount()
      if (!account.canTrade) issues.push({ code: 'ACCOUNT_NOT_TRADING', message: `the Alpaca account cannot trade (status ${account.status})` })
      let estimatedPrice = req.type === 'limit' ? req.limitPrice : undefined
      if (estimatedPrice === undefined) {
        // A market-data failure (e.g. no SIP subscription) must not block trading: Alpaca checks again.
        const quote = await getQuote(req.symbol).catch((e: unknown) => {
          logger.warn({ symbol: req.symbol, code: isBrokerError(e) ? e.code : undefined }, 'Preflight: latest quote unavailable')
          return null
        })
        estimatedPrice = quote?.ask.gt(0) ? quote.ask : quote?.bid.gt(0) ? quote.bid : undefined
      }
      if (estimatedPrice !== undefined) {
        const cost = estimatedPrice.mul(req.qty)
        if (cost.gt(account.buyingPower)) {
          issues.push({
            code: 'INSUFFICIENT_BUYING_POWER',
            message: `buying ${req.qty.toFixed()} ${req.symbol} at ~${estimatedPrice.toFixed()} costs ${cost.toFixed(2)}, buying power is ${account.buyingPower.toFixed(2)}`,
          })
        }
      } else {
        logger.warn({ symbol: req.symbol }, 'Preflight: no price to estimate the cost of a market buy; buying power not checked')
      }
      return issues.length > 0
        ? { ok: false, issues }
        : { ok: true, value: { asset, account, ...(estimatedPrice === undefined ? {} : { estimatedPrice }) } }
    }
    const position = await getPositionDetail(req.symbol)
    if (!config.allowShortSelling) {
      const available = position?.qtyAvailable ?? null
      if (available === null || available.lt(req.qty)) {
        issues.push({
          code: 'INSUFFICIENT_POSITION',
          message: `selling ${req.qty.toFixed()} ${req.symbol} but only ${available?.toFixed() ?? '0'} is held and free to sell`,
        })
      }
    }
    return issues.length > 0 ? { ok: false, issues } : { ok: true, value: { asset, position } }
  }

  const checkRequest = (req: SubmitOrderRequest): void => {
    const problems: string[] = []
    if (typeof req.clientOrderId !== 'string' || req.clientOrderId.length === 0 || req.clientOrderId.length > MAX_CLIENT_ORDER_ID_LENGTH) {
      problems.push(`client_order_id must be 1–${MAX_CLIENT_ORDER_ID_LENGTH} characters`)
    }
    if (typeof req.symbol !== 'string' || req.symbol.length === 0) problems.push('symbol is required')
    if (req.side !== 'BUY' && req.side !== 'SELL') problems.push('side must be BUY or SELL')
    if (!req.qty?.isFinite() || !req.qty.gt(0)) problems.push('qty must be > 0')
    if (req.timeInForce !== 'day') problems.push('time_in_force must be day')
    if (req.type === 'limit') {
      if (req.limitPrice === undefined || !req.limitPrice.isFinite() || !isOnTick(req.limitPrice)) {
        problems.push(`limit_price ${req.limitPrice?.toFixed() ?? '(missing)'} is not on the tick ($0.01 at ≥ $1, $0.0001 below)`)
      }
    } else if (req.type === 'market') {
      if (req.limitPrice !== undefined) problems.push('a market order takes no limit_price')
    } else {
      problems.push('type must be market or limit')
    }
    if (problems.length > 0) {
      throw new BrokerError('BROKER_REJECTED', `Order ${req.clientOrderId} not sent: ${problems.join('; ')}`, { brokerCode: 'INVALID_REQUEST' })
    }
  }

  /** The order Alpaca returned must be ours. */
  const checkIsOurs = (order: BrokerOrder, req: SubmitOrderRequest): BrokerOrder => {
    if (order.clientOrderId !== req.clientOrderId || order.symbol !== req.symbol || order.side !== req.side) {
      throw new BrokerError(
        'BROKER_BAD_RESPONSE',
        `Alpaca returned order ${order.id} (${order.clientOrderId} ${order.side} ${order.symbol}) for ${req.clientOrderId} ${req.side} ${req.symbol}`,
      )
    }
    if (!order.qty.eq(req.qty)) {
      // Same client order id, different order: an earlier intent reused the id. Never book it as this one.
      throw new BrokerError(
        'BROKER_REJECTED',
        `client_order_id ${req.clientOrderId} already names an order for ${order.qty.toFixed()} ${order.symbol}, not ${req.qty.toFixed()}`,
        { brokerCode: 'CLIENT_ORDER_ID_REUSED' },
      )
    }
    return order
  }

  /**
   * Exactly once. POST; on an ambiguous failure (timeout, network, 5xx, 429, unreadable 2xx) look the
   * order up by client order id: found → that is the order; not found → send again with the same id.
   * A 422 "client_order_id must be unique" means it exists: fetch it. Any other 4xx: not created, throw.
   */
  const submitExactlyOnce = async (req: SubmitOrderRequest): Promise<BrokerOrder> => {
    const body = orderRequestToDto(req)
    const log = { clientOrderId: req.clientOrderId, symbol: req.symbol }
    let last: BrokerError | undefined
    for (let attempt = 1; attempt <= config.submitMaxAttempts; attempt++) {
      await bucket.take()
      let failure: AlpacaFailure
      try {
        const order = checkIsOurs(tracker.remember(parseOrder(await rest.postOrder(body))), req)
        logger.debug({ ...log, orderId: order.id, attempt }, 'Alpaca order accepted')
        return order
      } catch (e) {
        if (isBrokerError(e) && e.code !== 'BROKER_BAD_RESPONSE') throw e
        failure = failureOf(e) ?? { kind: 'bad_response', message: (e as Error).message }
      }
      const err = toBrokerError(failure, `submit order ${req.clientOrderId}`, secrets)
      if (isDuplicateClientOrderId(failure)) {
        const existing = await lookupByClientId(req.clientOrderId)
        if (existing) {
          logger.info({ ...log, orderId: existing.id }, 'Order already at Alpaca (duplicate client_order_id); using it')
          return checkIsOurs(existing, req)
        }
        throw err
      }
      if (!isAmbiguousSubmitFailure(failure)) throw err
      last = err
      if (failure.kind === 'http' && failure.status === 429) await clock.sleep(honourRateLimit(failure, attempt - 1))
      logger.warn({ ...log, attempt, code: err.code }, 'Order submit outcome unknown; looking it up by client_order_id')
      const existing = await lookupByClientId(req.clientOrderId)
      if (existing) {
        logger.info({ ...log, orderId: existing.id, attempt }, 'Order found by client_order_id after an unknown submit outcome')
        return checkIsOurs(existing, req)
      }
      if (attempt < config.submitMaxAttempts) {
        logger.warn({ ...log, attempt }, 'Order not at Alpaca; sending it again with the same client_order_id')
        await clock.sleep(backoffMs(attempt - 1))
      }
    }
    // Every attempt was ambiguous and each lookup found nothing: the order does not exist, so sending the
    // same request again is safe, whatever the last failure was.
    const lastError = last ?? new BrokerError('BROKER_UNAVAILABLE', `submit order ${req.clientOrderId}: no attempt made`)
    throw new BrokerError(
      lastError.code === 'BROKER_BAD_RESPONSE' ? 'BROKER_UNAVAILABLE' : lastError.code,
      `${lastError.message} (not created after ${config.submitMaxAttempts} attempts, each checked by client_order_id; safe to retry)`,
      {
        retryable: true,
        ...(lastError.brokerStatus === undefined ? {} : { brokerStatus: lastError.brokerStatus }),
        ...(lastError.brokerCode === undefined ? {} : { brokerCode: lastError.brokerCode }),
        ...(lastError.retryAfterMs === undefined ? {} : { retryAfterMs: lastError.retryAfterMs }),
        cause: lastError,
      },
    )
  }

  const getOrder = async (id: BrokerOrderId): Promise<BrokerOrder> => {
    const known = tracker.latest(id)
    // A final state from the stream is final: no need to ask again.
    if (known && BROKER_TERMINAL_STATUSES.has(known.status)) return known
    return tracker.remember(parseOrder(await safe(`get order ${id}`, () => rest.getOrder(id))))
  }

  const cancelOrder = async (id: BrokerOrderId): Promise<void> => {
    try {
      await safe(`cancel order ${id}`, () => rest.cancelOrder(id))
      logger.debug({ orderId: id }, 'Alpaca cancel requested')
    } catch (e) {
      // 422: not cancelable — already filled, canceled or expired. Not an error: the caller reads the order.
      if (isBrokerError(e) && e.brokerStatus === 422) {
        logger.info({ orderId: id, code: e.brokerCode }, 'Alpaca order not cancelable (already final); read it for fills')
        return
      }
      throw e
    }
  }

  const waitForOrder = async (id: BrokerOrderId, opts: WaitForOrderOptions = {}): Promise<BrokerOrder> => {
    const timeoutMs = opts.timeoutMs ?? 60_000
    const pollMs = opts.pollIntervalMs ?? config.pollIntervalMs
    const deadline = clock.now() + timeoutMs
    for (;;) {
      const order = await getOrder(id)
      if (BROKER_TERMINAL_STATUSES.has(order.status)) return order
      const left = deadline - clock.now()
      if (left <= 0 || opts.signal?.aborted) {
        throw new BrokerError('BROKER_TIMEOUT', `order ${id} still ${order.status} after ${timeoutMs} ms`)
      }
      const seen = tracker.latest(id)
      if (seen && BROKER_TERMINAL_STATUSES.has(seen.status)) return seen
      await tracker.waitForUpdate(id, Math.min(pollMs, left), opts.signal)
    }
  }

  const broker: AlpacaBroker = {
    getQuote,

    async submitOrder(req) {
      checkRequest(req)
      if (config.preflight) {
        const pf = await preflight(req)
        if (!pf.ok) {
          // A retried submit of an order that already went out (and filled) would fail the position check.
          const existing = await lookupByClientId(req.clientOrderId)
          if (existing) return checkIsOurs(existing, req)
          const first = pf.issues[0] as PreflightIssue
          throw new BrokerError(PREFLIGHT_ERROR[first.code], `Order ${req.clientOrderId} not sent: ${pf.issues.map((i) => i.message).join('; ')}`, {
            brokerCode: `PREFLIGHT_${first.code}`,
          })
        }
      }
      return submitExactlyOnce(req)
    },

    getOrder,
    getOrderByClientId: lookupByClientId,
    cancelOrder,

    async getPosition(symbol): Promise<Position | null> {
      const p = await getPositionDetail(symbol)
      return p === null ? null : { symbol: p.symbol, qty: p.qty, avgEntryPrice: p.avgEntryPrice }
    },

    getAsset: (symbol) => getAsset(symbol),
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
      tracker.close()
    },
  }
  return broker
}
