import type { Clock, Logger } from '@acx/engine'
import { AlpacaError, type AlpacaConfigIssue } from './errors.js'

export const ALPACA_PAPER_TRADING_URL = 'https://paper-api.alpaca.markets'
export const ALPACA_LIVE_TRADING_URL = 'https://api.alpaca.markets'
export const ALPACA_DATA_URL = 'https://data.alpaca.markets'
export const ALPACA_PAPER_STREAM_URL = 'wss://paper-api.alpaca.markets/stream'
export const ALPACA_LIVE_STREAM_URL = 'wss://api.alpaca.markets/stream'

const PAPER_HOST = 'paper-api.alpaca.markets'
const LIVE_HOST = 'api.alpaca.markets'

/** Alpaca's stock data feeds (`iex` is free; `sip` needs a subscription). */
const ALPACA_FEEDS = ['iex', 'sip', 'delayed_sip', 'boats', 'overnight', 'otc'] as const
export type AlpacaFeed = (typeof ALPACA_FEEDS)[number]

/**
 * Options of `createAlpacaBroker`. The library never reads environment variables: the service maps
 * `APCA_API_KEY_ID`, `APCA_API_SECRET_KEY`, `APCA_API_BASE_URL`, `APCA_DATA_BASE_URL` onto these.
 */
export interface AlpacaBrokerOptions {
  readonly keyId: string
  readonly secretKey: string
  /** Paper trading (the default). `false` trades real money. */
  readonly paper?: boolean
  /** Default: the paper or live host, by `paper`. A trailing `/v2` is dropped. Must agree with `paper`. */
  readonly tradingBaseUrl?: string
  /** Default `https://data.alpaca.markets`. */
  readonly dataBaseUrl?: string
  /** Trade-update WebSocket. Default: derived from `tradingBaseUrl` (`wss://…/stream`). */
  readonly streamUrl?: string
  /** Feed of the latest-quote endpoint. Default `iex`. */
  readonly feed?: AlpacaFeed
  /** Per-request timeout. Default 10,000 ms. */
  readonly timeoutMs?: number
  /**
   * Client-side token bucket: never more requests than this in any minute. Default 200 (Alpaca's limit).
   * A 429 pauses the bucket until Alpaca's reset (pacing: the failed call is not repeated).
   */
  readonly maxRequestsPerMinute?: number
  /** Requests that may go out back to back before the bucket's rate applies. Default 10 (≤ the per-minute cap). */
  readonly burst?: number
  /** Listen to the trade-update stream (wakes pollers, caches final order states). Default true. */
  readonly tradeUpdates?: boolean
  /** First stream reconnect delay, doubled per attempt with jitter. Default 500 ms. */
  readonly streamReconnectInitialMs?: number
  /** Cap of one stream reconnect delay. Default 30,000 ms. */
  readonly streamReconnectMaxMs?: number
  /** Poll interval of `waitForOrder` when no trade update arrives. Default 1,000 ms. */
  readonly pollIntervalMs?: number
  /** Check asset, buying power and position before every submit. Default true. */
  readonly preflight?: boolean
  /** Let a SELL exceed the long position (a short sale). Default false. */
  readonly allowShortSelling?: boolean
  /** How long an asset's tradable/fractionable flags are cached. Default 60,000 ms. */
  readonly assetCacheTtlMs?: number
  /**
   * Daily bars `getDailyStats` computes a symbol's ADV and daily σ from (the most recent ones; a whole
   * number 3–250). Default 20. The figures are cached for the trading day (New York date).
   */
  readonly statsLookbackDays?: number
  /**
   * The longest a market-clock answer is reused. It is reused until the next open or close it names, and
   * at most this long (so an unscheduled change is seen within this time). Default 60,000 ms; 0: never.
   */
  readonly marketClockMaxAgeMs?: number
  /** pino-compatible; default no-op. */
  readonly logger?: Logger
  /** For the token bucket (and a 429's pause), `waitForOrder`'s polls, the asset and market-clock caches. Default the real clock. */
  readonly clock?: Clock
  /** `User-Agent` sent to Alpaca. Default `acx-broker-alpaca`. */
  readonly userAgent?: string
}

/** Every option resolved and checked. */
export interface AlpacaConfig {
  readonly keyId: string
  readonly secretKey: string
  readonly paper: boolean
  readonly tradingBaseUrl: string
  readonly dataBaseUrl: string
  readonly streamUrl: string
  readonly feed: AlpacaFeed
  readonly timeoutMs: number
  readonly maxRequestsPerMinute: number
  readonly burst: number
  readonly tradeUpdates: boolean
  readonly streamReconnectInitialMs: number
  readonly streamReconnectMaxMs: number
  readonly pollIntervalMs: number
  readonly preflight: boolean
  readonly allowShortSelling: boolean
  readonly assetCacheTtlMs: number
  readonly statsLookbackDays: number
  readonly marketClockMaxAgeMs: number
  readonly userAgent: string
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

const isPositiveFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0

/**
 * Options of earlier versions, which retried inside the adapter. The engine owns retries now (one attempt
 * per call), so passing one is refused rather than silently ignored.
 */
const REMOVED_OPTIONS = ['maxRetries', 'retryBaseMs', 'retryMaxMs', 'submitMaxAttempts', 'outcomeLookups'] as const

/**
 * Resolves defaults and checks every option; all problems are reported together in one
 * `AlpacaError('ALPACA_INVALID_CONFIG')` whose `issues` name each option. Key values never appear in it.
 */
export function resolveAlpacaConfig(options: AlpacaBrokerOptions): AlpacaConfig {
  const issues: AlpacaConfigIssue[] = []
  const o = (options ?? {}) as Partial<AlpacaBrokerOptions>

  const key = (path: 'keyId' | 'secretKey'): string => {
    const v = o[path]
    if (typeof v !== 'string' || v.trim().length === 0) {
      issues.push({ path, message: 'is required (a non-empty string)' })
      return ''
    }
    if (v !== v.trim() || /\s/.test(v)) issues.push({ path, message: 'must not contain whitespace' })
    return v
  }
  const keyId = key('keyId')
  const secretKey = key('secretKey')

  let paper = true
  if (o.paper !== undefined) {
    if (typeof o.paper !== 'boolean') issues.push({ path: 'paper', message: 'must be a boolean' })
    else paper = o.paper
  }

  const url = (path: string, value: unknown, protocols: readonly string[], fallback: string): URL | undefined => {
    const raw = value === undefined ? fallback : value
    if (typeof raw !== 'string' || raw.length === 0) {
      issues.push({ path, message: 'must be a non-empty URL string' })
      return undefined
    }
    let u: URL
    try {
      u = new URL(raw)
    } catch {
      issues.push({ path, message: `is not a valid URL: ${JSON.stringify(raw)}` })
      return undefined
    }
    if (!protocols.includes(u.protocol)) {
      issues.push({ path, message: `must use ${protocols.map((p) => p.replace(':', '')).join(' or ')}` })
      return undefined
    }
    if ((u.protocol === 'http:' || u.protocol === 'ws:') && !LOOPBACK.has(u.hostname)) {
      issues.push({ path, message: 'plain http/ws is only allowed on loopback (keys would travel unencrypted)' })
      return undefined
    }
    if (u.username || u.password) issues.push({ path, message: 'must not carry credentials' })
    if (u.search || u.hash) issues.push({ path, message: 'must not have a query or fragment' })
    return u
  }
  const base = (u: URL | undefined): string =>
    u ? `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, '').replace(/\/v2$/, '') : ''

  const tradingUrl = url(
    'tradingBaseUrl',
    o.tradingBaseUrl,
    ['https:', 'http:'],
    paper ? ALPACA_PAPER_TRADING_URL : ALPACA_LIVE_TRADING_URL,
  )
  if (tradingUrl) {
    if (paper && tradingUrl.hostname === LIVE_HOST) {
      issues.push({
        path: 'tradingBaseUrl',
        message: 'points at the LIVE host while paper is true; pass paper: false to trade live',
      })
    }
    if (!paper && tradingUrl.hostname === PAPER_HOST) {
      issues.push({ path: 'tradingBaseUrl', message: 'points at the paper host while paper is false' })
    }
  }
  const dataUrl = url('dataBaseUrl', o.dataBaseUrl, ['https:', 'http:'], ALPACA_DATA_URL)

  const derivedStream = tradingUrl
    ? `${tradingUrl.protocol === 'http:' ? 'ws:' : 'wss:'}//${tradingUrl.host}${base(tradingUrl).slice(`${tradingUrl.protocol}//${tradingUrl.host}`.length)}/stream`
    : paper
      ? ALPACA_PAPER_STREAM_URL
      : ALPACA_LIVE_STREAM_URL
  const streamUrl = url('streamUrl', o.streamUrl, ['wss:', 'ws:'], derivedStream)
  if (streamUrl) {
    if (paper && streamUrl.hostname === LIVE_HOST)
      issues.push({ path: 'streamUrl', message: 'points at the LIVE host while paper is true' })
    if (!paper && streamUrl.hostname === PAPER_HOST)
      issues.push({ path: 'streamUrl', message: 'points at the paper host while paper is false' })
  }

  let feed: AlpacaFeed = 'iex'
  if (o.feed !== undefined) {
    if (!(ALPACA_FEEDS as readonly unknown[]).includes(o.feed))
      issues.push({ path: 'feed', message: `must be one of ${ALPACA_FEEDS.join(', ')}` })
    else feed = o.feed
  }

  const positive = (
    path: keyof AlpacaBrokerOptions,
    fallback: number,
    opts: { integer?: boolean; allowZero?: boolean } = {},
  ): number => {
    const v = o[path]
    if (v === undefined) return fallback
    const ok = opts.allowZero ? typeof v === 'number' && Number.isFinite(v) && v >= 0 : isPositiveFinite(v)
    if (!ok || (opts.integer && !Number.isInteger(v))) {
      issues.push({
        path,
        message: `must be a ${opts.integer ? 'whole ' : ''}number ${opts.allowZero ? '≥ 0' : '> 0'} (got ${String(v)})`,
      })
      return fallback
    }
    return v as number
  }
  const timeoutMs = positive('timeoutMs', 10_000)
  const maxRequestsPerMinute = positive('maxRequestsPerMinute', 200)
  const burst = positive('burst', Math.max(1, Math.min(10, Math.floor(maxRequestsPerMinute / 2))), { integer: true })
  if (o.burst !== undefined && burst >= maxRequestsPerMinute) {
    issues.push({ path: 'burst', message: 'must be smaller than maxRequestsPerMinute' })
  }
  const streamReconnectInitialMs = positive('streamReconnectInitialMs', 500)
  const streamReconnectMaxMs = positive('streamReconnectMaxMs', 30_000)
  if (streamReconnectMaxMs < streamReconnectInitialMs) {
    issues.push({ path: 'streamReconnectMaxMs', message: 'must be ≥ streamReconnectInitialMs' })
  }
  const pollIntervalMs = positive('pollIntervalMs', 1_000)
  const assetCacheTtlMs = positive('assetCacheTtlMs', 60_000, { allowZero: true })
  const marketClockMaxAgeMs = positive('marketClockMaxAgeMs', 60_000, { allowZero: true })
  const statsLookbackDays = positive('statsLookbackDays', 20, { integer: true })
  if (statsLookbackDays < 3 || statsLookbackDays > 250)
    issues.push({ path: 'statsLookbackDays', message: `must be a whole number 3–250 (got ${statsLookbackDays})` })

  const bool = (path: keyof AlpacaBrokerOptions, fallback: boolean): boolean => {
    const v = o[path]
    if (v === undefined) return fallback
    if (typeof v !== 'boolean') {
      issues.push({ path, message: 'must be a boolean' })
      return fallback
    }
    return v
  }
  const tradeUpdates = bool('tradeUpdates', true)
  const preflight = bool('preflight', true)
  const allowShortSelling = bool('allowShortSelling', false)

  let userAgent = 'acx-broker-alpaca'
  if (o.userAgent !== undefined) {
    if (typeof o.userAgent !== 'string') issues.push({ path: 'userAgent', message: 'must be a string' })
    else userAgent = o.userAgent
  }
  if (
    o.logger !== undefined &&
    (typeof o.logger !== 'object' || o.logger === null || typeof o.logger.info !== 'function')
  ) {
    issues.push({ path: 'logger', message: 'must be a pino-compatible logger' })
  }
  if (o.clock !== undefined && (typeof o.clock?.now !== 'function' || typeof o.clock?.sleep !== 'function')) {
    issues.push({ path: 'clock', message: 'must have now() and sleep()' })
  }

  for (const name of REMOVED_OPTIONS) {
    if ((o as Record<string, unknown>)[name] !== undefined) {
      issues.push({
        path: name,
        message:
          'was removed: the adapter makes one attempt per call and the engine retries (README, "One attempt per call")',
      })
    }
  }

  if (issues.length > 0) {
    throw new AlpacaError(
      'ALPACA_INVALID_CONFIG',
      `Invalid Alpaca adapter options: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    )
  }
  return {
    keyId,
    secretKey,
    paper,
    tradingBaseUrl: base(tradingUrl),
    dataBaseUrl: base(dataUrl),
    streamUrl: streamUrl ? `${streamUrl.protocol}//${streamUrl.host}${streamUrl.pathname}`.replace(/\/+$/, '') : '',
    feed,
    timeoutMs,
    maxRequestsPerMinute,
    burst,
    tradeUpdates,
    streamReconnectInitialMs,
    streamReconnectMaxMs,
    pollIntervalMs,
    preflight,
    allowShortSelling,
    assetCacheTtlMs,
    statsLookbackDays,
    marketClockMaxAgeMs,
    userAgent,
  }
}

/**
 * Maps Alpaca's conventional variables onto options, from a record the caller passes (this library never
 * reads `process.env`): `APCA_API_KEY_ID`, `APCA_API_SECRET_KEY`, `APCA_API_BASE_URL` (paper unless it
 * names the live host `api.alpaca.markets`), `APCA_DATA_BASE_URL`. Empty values count as unset.
 * `createAlpacaBroker` validates the result.
 */
export function alpacaOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<AlpacaBrokerOptions> = {},
): AlpacaBrokerOptions {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim()
    return v === undefined || v.length === 0 ? undefined : v
  }
  const tradingBaseUrl = get('APCA_API_BASE_URL')
  let paper = true
  if (tradingBaseUrl !== undefined) {
    try {
      paper = new URL(tradingBaseUrl).hostname !== LIVE_HOST
    } catch {
      paper = true // resolveAlpacaConfig reports the bad URL
    }
  }
  const dataBaseUrl = get('APCA_DATA_BASE_URL')
  return {
    keyId: get('APCA_API_KEY_ID') ?? '',
    secretKey: get('APCA_API_SECRET_KEY') ?? '',
    paper,
    ...(tradingBaseUrl === undefined ? {} : { tradingBaseUrl }),
    ...(dataBaseUrl === undefined ? {} : { dataBaseUrl }),
    ...overrides,
  }
}
