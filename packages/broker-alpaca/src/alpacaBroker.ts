import {
  BrokerError,
  BROKER_TERMINAL_STATUSES,
  Dec,
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
import { openingPrice, openingQty, type BuyingPowerRequest } from './buyingPower.js'
import {
  isAmbiguousSubmitFailure,
  isDuplicateClientOrderId,
  isNotProcessedSubmitFailure,
  redact,
  toBrokerError,
  type AlpacaFailure,
} from './errors.js'
import {
  orderRequestToDto,
  parseAccount,
  parseAsset,
  parseLatestQuote,
  parseOrderView,
  parsePosition,
  type AccountSnapshot,
  type AlpacaOrderView,
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

/** Links of a replace chain followed (original → replaced_by → …) before giving up with BROKER_BAD_RESPONSE. */
const MAX_REPLACE_CHAIN = 10
/** Distinct unfamiliar statuses logged (each once). */
const MAX_NOTED_STATUSES = 100

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
export function combineReplaceChain(chain: readonly AlpacaOrderView[]): BrokerOrder {
  const first = chain[0]
  const head = chain[chain.length - 1]
  if (first === undefined || head === undefined) throw new Error('combineReplaceChain: empty chain')
  if (chain.length === 1 && head.alpacaStatus !== 'replaced') return head.order
  const filledQty = sumDec(chain.map((v) => v.order.filledQty))
  const notional = sumDec(chain.map((v) => (v.order.filledAvgPrice === null ? new Dec(0) : v.order.filledQty.mul(v.order.filledAvgPrice))))
  const qty = sumDec(chain.slice(0, -1).map((v) => v.order.filledQty)).add(head.order.qty)
  // A head that is itself `replaced` is a replacement not visible yet: the chain is still working.
  const status = head.alpacaStatus === 'replaced' ? (filledQty.gt(0) ? 'partially_filled' : 'accepted') : head.order.status
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
  const notedStatuses = new Set<string>()

  /** Logs, once per status, an order status the engine has no name for (it reads as open). */
  const noteStatus = (view: AlpacaOrderView): void => {
    if (view.statusKind === 'native' || notedStatuses.has(view.alpacaStatus) || notedStatuses.size >= MAX_NOTED_STATUSES) return
    notedStatuses.add(view.alpacaStatus)
    const fields = { alpacaStatus: view.alpacaStatus, orderId: view.order.id, clientOrderId: view.order.clientOrderId, treatedAs: view.order.status }
    if (view.statusKind === 'unknown') {
      logger.warn(fields, `Alpaca order status "${view.alpacaStatus}" is not one this adapter knows; the order is treated as open (it can still be cancelled)`)
    } else {
      logger.info(fields, `Alpaca order status "${view.alpacaStatus}" is not final; the order is treated as open`)
    }
  }

  const tracker = createOrderTracker(config, clock, logger, noteStatus)
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

  /** One order read over REST: parsed, its status noted, remembered (the most advanced known state wins). */
  const readView = (raw: unknown): AlpacaOrderView => {
    const view = parseOrderView(raw)
    noteStatus(view)
    return tracker.remember(view)
  }

  const fetchView = async (id: string): Promise<AlpacaOrderView> => readView(await safe(`get order ${id}`, () => rest.getOrder(id)))

  const lookupViewByClientId = async (clientOrderId: ClientOrderId): Promise<AlpacaOrderView | null> => {
    const raw = await notFoundToNull(
      safe(`get order by client_order_id ${clientOrderId}`, () => rest.getOrderByClientOrderId(clientOrderId)),
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
    const chain: AlpacaOrderView[] = [first]
    let head = first
    while (head.alpacaStatus === 'replaced' && head.replacedBy !== null) {
      if (chain.length > MAX_REPLACE_CHAIN) {
        throw new BrokerError('BROKER_BAD_RESPONSE', `order ${first.order.id} was replaced more than ${MAX_REPLACE_CHAIN} times; not followed further`)
      }
      const next = await notFoundToNull(fetchView(head.replacedBy))
      if (next === null) break // not visible yet (asynchronous processing): the chain reads as still working
      chain.push(next)
      head = next
    }
    if (head.alpacaStatus === 'replaced') {
      logger.warn({ orderId: first.order.id, replacedBy: head.replacedBy, headId: head.order.id }, 'Alpaca replacement order not visible yet; the order reads as open')
    }
    return combineReplaceChain(chain)
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
        return { ok: false, issues: [{ code: 'ASSET_NOT_FOUND', message: `Alpaca has no asset ${req.symbol}` }] }
      }
      throw e
    }
    if (!asset.tradable) issues.push({ code: 'ASSET_NOT_TRADABLE', message: `${req.symbol} is not tradable on Alpaca` })
    if (!req.qty.isInteger() && !asset.fractionable) {
      issues.push({ code: 'NOT_FRACTIONABLE', message: `${req.symbol} is not fractionable: ${req.qty.toFixed()} is not a whole number of shares` })
    }
    const [position, buyAccount] = await Promise.all([getPositionDetail(req.symbol), req.side === 'BUY' ? getAccount() : undefined])
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
        code: 'INSUFFICIENT_POSITION',
        message: `selling ${req.qty.toFixed()} ${req.symbol} but only ${available.toFixed()} is held and free to sell`,
      })
      return { ok: false, issues }
    }
    // Buying power: only for what opens or adds to a position (a short sale included).
    const account = buyAccount ?? (opening.gt(0) ? await getAccount() : undefined)
    if (account && !account.canTrade) issues.push({ code: 'ACCOUNT_NOT_TRADING', message: `the Alpaca account cannot trade (status ${account.status})` })
    let estimatedPrice: Decimal | undefined
    if (account && opening.gt(0)) {
      const needsQuote = req.side === 'SELL' || req.type === 'market'
      const valuation = openingPrice(bp, needsQuote ? await quoteForPreflight(req.symbol) : null)
      if (valuation === undefined) {
        logger.warn({ symbol: req.symbol, side: req.side }, 'Preflight: no price to value the order at; buying power not checked (Alpaca checks it)')
      } else {
        estimatedPrice = valuation.price
        const cost = valuation.price.mul(opening)
        if (cost.gt(account.buyingPower)) {
          const what = req.side === 'BUY' ? 'buying' : 'short-selling'
          issues.push({
            code: 'INSUFFICIENT_BUYING_POWER',
            message: `${what} ${opening.toFixed()} ${req.symbol} valued at ${valuation.price.toFixed()} (${valuation.basis}) costs ${cost.toFixed(2)}, buying power is ${account.buyingPower.toFixed(2)}`,
          })
        }
      }
    }
    if (issues.length > 0) return { ok: false, issues }
    return {
      ok: true,
      value: { asset, position, openingQty: opening, ...(account === undefined ? {} : { account }), ...(estimatedPrice === undefined ? {} : { estimatedPrice }) },
    }
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

  /** Our order as the engine should see it: checked against the request (as sent), then its replace chain followed. */
  const accept = async (view: AlpacaOrderView, req: SubmitOrderRequest): Promise<BrokerOrder> => {
    checkIsOurs(view.order, req)
    return resolveReplaceChain(view)
  }

  /**
   * Looks the order up by client order id, at once and then with backoff on the injected clock, up to
   * `outcomeLookups` times: Alpaca processes orders asynchronously, so an order that exists can answer 404
   * for a while. Look-up failures count as "not seen".
   */
  const lookUpUntilSeen = async (clientOrderId: ClientOrderId): Promise<{ readonly view: AlpacaOrderView | null; readonly lastError?: BrokerError }> => {
    let lastError: BrokerError | undefined
    for (let i = 0; i < config.outcomeLookups; i++) {
      if (i > 0) await clock.sleep(backoffMs(i - 1))
      try {
        const view = await lookupViewByClientId(clientOrderId)
        if (view) return { view }
      } catch (e) {
        lastError = brokerError(e, `get order by client_order_id ${clientOrderId}`)
      }
    }
    return lastError === undefined ? { view: null } : { view: null, lastError }
  }

  const unknownOutcome = (req: SubmitOrderRequest, why: string, cause: BrokerError | undefined): BrokerError =>
    new BrokerError(
      'BROKER_UNKNOWN_OUTCOME',
      `Order ${req.clientOrderId} may exist at Alpaca: ${why}. Keep looking it up by client_order_id; never send it under a new id.`,
      {
        ...(cause?.brokerStatus === undefined ? {} : { brokerStatus: cause.brokerStatus }),
        ...(cause?.brokerCode === undefined ? {} : { brokerCode: cause.brokerCode }),
        ...(cause === undefined ? {} : { cause }),
      },
    )

  /**
   * Exactly once. POST; on an ambiguous failure (timeout, network, 5xx, 429, unreadable 2xx) look the
   * order up by client order id: found → that is the order; not found → send again with the same id (a
   * second order with that id is refused by Alpaca). A 422 "client_order_id must be unique" is proof the
   * order exists: keep looking it up. An order that may exist but cannot be seen ends in
   * BROKER_UNKNOWN_OUTCOME, never in a final rejection. Any other 4xx on a first send: not created, throw.
   */
  const submitExactlyOnce = async (req: SubmitOrderRequest): Promise<BrokerOrder> => {
    const body = orderRequestToDto(req)
    const log = { clientOrderId: req.clientOrderId, symbol: req.symbol }
    /** An earlier attempt may have created the order (anything but a refusal before processing). */
    let possiblyCreated = false
    let last: BrokerError | undefined
    const findOrGiveUp = async (why: string, cause: BrokerError | undefined): Promise<BrokerOrder> => {
      const { view, lastError } = await lookUpUntilSeen(req.clientOrderId)
      if (view) {
        logger.info({ ...log, orderId: view.order.id }, 'Order found at Alpaca by client_order_id')
        return accept(view, req)
      }
      logger.error({ ...log, lookups: config.outcomeLookups }, `Order outcome unknown: ${why}`)
      throw unknownOutcome(req, `${why}; ${config.outcomeLookups} look-ups by client_order_id could not show it`, cause ?? lastError)
    }
    for (let attempt = 1; attempt <= config.submitMaxAttempts; attempt++) {
      await bucket.take()
      let failure: AlpacaFailure
      try {
        const view = readView(await rest.postOrder(body))
        const order = await accept(view, req)
        logger.debug({ ...log, orderId: order.id, attempt, status: view.alpacaStatus }, 'Alpaca order accepted')
        return order
      } catch (e) {
        if (isBrokerError(e) && e.code !== 'BROKER_BAD_RESPONSE') throw e
        failure = failureOf(e) ?? { kind: 'bad_response', message: (e as Error).message }
      }
      const err = toBrokerError(failure, `submit order ${req.clientOrderId}`, secrets)
      if (isDuplicateClientOrderId(failure)) {
        logger.info({ ...log, attempt }, 'Alpaca answered duplicate client_order_id (422 client_order_id must be unique): the order exists; looking it up')
        return findOrGiveUp('Alpaca answered 422 "client_order_id must be unique" (the order exists) but cannot show it yet', err)
      }
      if (!isAmbiguousSubmitFailure(failure)) {
        if (!possiblyCreated) throw err
        // An earlier attempt may have created the order: this refusal of the resend proves nothing about it.
        return findOrGiveUp(`an earlier attempt may have created it and the resend was refused (${err.message})`, err)
      }
      last = err
      if (isNotProcessedSubmitFailure(failure)) await clock.sleep(honourRateLimit(failure, attempt - 1))
      else possiblyCreated = true
      logger.warn({ ...log, attempt, code: err.code }, 'Order submit outcome unknown; looking it up by client_order_id')
      let existing: AlpacaOrderView | null
      try {
        existing = await lookupViewByClientId(req.clientOrderId)
      } catch (e) {
        if (!possiblyCreated) throw e // only refusals before processing so far: the order does not exist
        return findOrGiveUp(`the submit failed without a clear answer (${err.message}) and its look-up failed`, brokerError(e, 'look-up'))
      }
      if (existing) {
        logger.info({ ...log, orderId: existing.order.id, attempt }, 'Order found by client_order_id after an unknown submit outcome')
        return accept(existing, req)
      }
      if (attempt < config.submitMaxAttempts) {
        logger.warn({ ...log, attempt }, 'Order not visible at Alpaca; sending it again with the same client_order_id')
        await clock.sleep(backoffMs(attempt - 1))
      }
    }
    const lastError = last ?? new BrokerError('BROKER_UNAVAILABLE', `submit order ${req.clientOrderId}: no attempt made`)
    if (possiblyCreated) {
      // On an asynchronous venue a 404 right after a lost answer proves nothing: the order may still appear.
      return findOrGiveUp(`${config.submitMaxAttempts} sends failed without a clear answer (last: ${lastError.message})`, lastError)
    }
    // Every attempt was refused before processing (429): the order does not exist; the same request is safe to retry.
    throw new BrokerError(lastError.code, `${lastError.message} (refused before processing ${config.submitMaxAttempts} times; not created, safe to retry)`, {
      retryable: true,
      ...(lastError.brokerStatus === undefined ? {} : { brokerStatus: lastError.brokerStatus }),
      ...(lastError.brokerCode === undefined ? {} : { brokerCode: lastError.brokerCode }),
      ...(lastError.retryAfterMs === undefined ? {} : { retryAfterMs: lastError.retryAfterMs }),
      cause: lastError,
    })
  }

  const getOrder = async (id: BrokerOrderId): Promise<BrokerOrder> => {
    const known = tracker.latest(id)
    // A final state from the stream is final: no need to ask again (a replaced order never reads final).
    if (known && BROKER_TERMINAL_STATUSES.has(known.order.status)) return known.order
    return resolveReplaceChain(await fetchView(id))
  }

  /** DELETE one order id: true when the cancel was requested, false on 422 (not cancelable). */
  const requestCancel = async (id: string): Promise<boolean> => {
    try {
      await safe(`cancel order ${id}`, () => rest.cancelOrder(id))
      logger.debug({ orderId: id }, 'Alpaca cancel requested')
      return true
    } catch (e) {
      if (isBrokerError(e) && e.brokerStatus === 422) return false
      throw e
    }
  }

  /**
   * Requests the cancel of the order — of the live head of its chain when it was replaced. A 422 "not
   * cancelable" (already final) returns normally: the caller reads the order and books its fills.
   */
  const cancelOrder = async (id: BrokerOrderId): Promise<void> => {
    let target: string = id
    for (let link = 0; link <= MAX_REPLACE_CHAIN; link++) {
      const known = tracker.latest(target)
      if (known?.alpacaStatus === 'replaced' && known.replacedBy !== null) {
        target = known.replacedBy
        continue
      }
      if (await requestCancel(target)) return
      // Not cancelable: final — or replaced meanwhile, and then the live order is its replacement.
      const view = await notFoundToNull(fetchView(target)).catch(() => null)
      if (view?.alpacaStatus !== 'replaced' || view.replacedBy === null) {
        logger.info({ orderId: id, cancelled: target, alpacaStatus: view?.alpacaStatus }, 'Alpaca order not cancelable (already final); read it for fills')
        return
      }
      logger.info({ orderId: id, replaced: target, replacedBy: view.replacedBy }, 'Alpaca order was replaced; cancelling its replacement')
      target = view.replacedBy
    }
    throw new BrokerError('BROKER_BAD_RESPONSE', `order ${id} was replaced more than ${MAX_REPLACE_CHAIN} times; cancel not sent to the head`)
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
      if (seen && BROKER_TERMINAL_STATUSES.has(seen.order.status)) return seen.order
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
          const existing = await lookupViewByClientId(req.clientOrderId)
          if (existing) return accept(existing, req)
          const first = pf.issues[0] as PreflightIssue
          throw new BrokerError(PREFLIGHT_ERROR[first.code], `Order ${req.clientOrderId} not sent: ${pf.issues.map((i) => i.message).join('; ')}`, {
            brokerCode: `PREFLIGHT_${first.code}`,
          })
        }
      }
      return submitExactlyOnce(req)
    },

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
