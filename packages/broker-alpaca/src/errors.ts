import { BrokerError, type BrokerErrorCode, type BrokerErrorReason } from '@acx/engine'

/**
 * Errors of the adapter itself (bad options). Broker failures are the engine's `BrokerError`, mapped from
 * Alpaca's answers by the tables below.
 */
export const ALPACA_ERRORS = {
  ALPACA_INVALID_CONFIG: 'Invalid Alpaca adapter configuration',
} as const
export type AlpacaErrorCode = keyof typeof ALPACA_ERRORS

/** One problem with an option: which option, and what is wrong (never its value when it is a key). */
export interface AlpacaConfigIssue {
  readonly path: string
  readonly message: string
}

export class AlpacaError extends Error {
  override readonly name = 'AlpacaError'
  constructor(
    readonly code: AlpacaErrorCode,
    message?: string,
    readonly issues: readonly AlpacaConfigIssue[] = [],
    opts?: { cause?: unknown },
  ) {
    super(message ?? ALPACA_ERRORS[code], opts)
  }
}

export const isAlpacaError = (e: unknown): e is AlpacaError => e instanceof Error && e.name === 'AlpacaError'

/**
 * What went wrong with one HTTP call, independent of the SDK's error classes (`client.ts` builds it).
 * - `http`: the server answered with a non-2xx status.
 * - `network`: no answer (connection refused or reset, socket closed before a response).
 * - `timeout`: no answer within `timeoutMs`.
 * - `bad_response`: a 2xx whose body is not what Alpaca documents.
 */
export type AlpacaFailure =
  | {
      readonly kind: 'http'
      readonly status: number
      readonly code: string | number | undefined
      readonly message: string
      readonly retryAfterMs: number | undefined
      readonly requestId: string | undefined
    }
  | { readonly kind: 'network' | 'timeout' | 'bad_response'; readonly message: string }

interface Mapping {
  readonly code: BrokerErrorCode
  /** Overrides the code's default `retryable`. */
  readonly retryable?: boolean
  /** What the refusal means for the caller, put in front of Alpaca's own text. */
  readonly hint?: string
}

const PDT: Mapping = {
  code: 'BROKER_PATTERN_DAY_TRADER',
  hint: "Alpaca's pattern day trader protection refused the order (the account may not open another day trade; see https://docs.alpaca.markets/docs/user-protection)",
}
const WASH_TRADE: Mapping = {
  code: 'BROKER_WASH_TRADE',
  hint: 'Alpaca refused the order as a potential wash trade: an open order of this account on the other side of the symbol could trade with it; cancel that order first (https://docs.alpaca.markets/docs/user-protection)',
}
const MARKET_DATA_FORBIDDEN: Mapping = {
  code: 'BROKER_MARKET_DATA_FORBIDDEN',
  hint: 'the market-data subscription does not cover this request (recent SIP data needs a paid plan; use feed "iex" or upgrade the plan)',
}

/**
 * Message fragments (lower case) that name the cause more precisely than Alpaca's `code`. Checked first:
 * Alpaca sends a wash-trade refusal as 403 with 40310000, the code of insufficient buying power, and the
 * data API's plan refusal as a bare 403 (which alone means bad keys).
 * - "trade denied due to pattern day trading protection" (403 40310100):
 *   https://alpaca.markets/learn/how-to-fix-common-trading-api-errors-at-alpaca
 * - "potential wash trade detected. use complex orders" (403 40310000): https://docs.alpaca.markets/docs/user-protection
 * - "subscription does not permit querying recent SIP data" (403 on the data API):
 *   https://alpaca.markets/learn/how-to-fix-common-trading-api-errors-at-alpaca
 */
const PRECISE_MESSAGES: readonly (readonly [fragment: string, mapping: Mapping])[] = [
  ['pattern day trad', PDT],
  ['wash trade', WASH_TRADE],
  ['subscription does not permit', MARKET_DATA_FORBIDDEN],
]

/**
 * ccxt-style `exact` table: Alpaca's documented error `code` (the body's `code` field) → broker code.
 * Checked after `PRECISE_MESSAGES`.
 */
const EXACT_CODES: Readonly<Record<string, Mapping>> = {
  '40110000': { code: 'BROKER_AUTH' }, // request is not authorized
  '40310000': { code: 'BROKER_INSUFFICIENT_FUNDS' }, // insufficient buying power / qty available
  '40310100': PDT, // trade denied due to pattern day trading protection
  '40410000': { code: 'BROKER_NOT_FOUND' }, // order / position / asset not found
  '42210000': { code: 'BROKER_REJECTED' }, // unprocessable: validation, not cancelable, ...
  // Alpaca's generic validation code; "client_order_id must be unique" among others (see isDuplicateClientOrderId).
  '40010001': { code: 'BROKER_REJECTED' },
  '42910000': { code: 'BROKER_RATE_LIMITED' }, // too many requests
}

/**
 * ccxt-style `broad` table: a fragment of Alpaca's message (lower case) → broker code. Checked when the
 * `code` is missing or unknown, before the status table.
 */
const BROAD_MESSAGES: readonly (readonly [fragment: string, mapping: Mapping])[] = [
  ['insufficient buying power', { code: 'BROKER_INSUFFICIENT_FUNDS' }],
  ['insufficient qty', { code: 'BROKER_INSUFFICIENT_FUNDS' }],
  ['not authorized', { code: 'BROKER_AUTH' }],
  ['forbidden', { code: 'BROKER_AUTH' }],
  ['not found', { code: 'BROKER_NOT_FOUND' }],
  ['does not exist', { code: 'BROKER_NOT_FOUND' }],
  ['rate limit', { code: 'BROKER_RATE_LIMITED' }],
  ['too many requests', { code: 'BROKER_RATE_LIMITED' }],
]

/** HTTP status → broker code, when neither the code nor the message says more. */
const STATUS_CODES: Readonly<Record<number, Mapping>> = {
  400: { code: 'BROKER_REJECTED' },
  401: { code: 'BROKER_AUTH' },
  403: { code: 'BROKER_AUTH' },
  404: { code: 'BROKER_NOT_FOUND' },
  408: { code: 'BROKER_TIMEOUT' },
  409: { code: 'BROKER_REJECTED' },
  422: { code: 'BROKER_REJECTED' },
  429: { code: 'BROKER_RATE_LIMITED' },
  500: { code: 'BROKER_UNAVAILABLE' },
  502: { code: 'BROKER_UNAVAILABLE' },
  503: { code: 'BROKER_UNAVAILABLE' },
  504: { code: 'BROKER_TIMEOUT' },
}

/** Failures without an HTTP answer. */
const TRANSPORT_CODES: Readonly<Record<'network' | 'timeout' | 'bad_response', Mapping>> = {
  network: { code: 'BROKER_UNAVAILABLE' },
  timeout: { code: 'BROKER_TIMEOUT' },
  bad_response: { code: 'BROKER_BAD_RESPONSE' },
}

/**
 * Message fragments (lower case) of Alpaca refusals that say exactly what was wrong with the order: the
 * `reason` of the `BrokerError`, next to its code. Only messages Alpaca documents (the errors fixture of
 * `@acx/test-utils` quotes them with their sources).
 */
const REASON_MESSAGES: readonly (readonly [fragment: string, reason: BrokerErrorReason])[] = [
  ['insufficient buying power', 'insufficient_buying_power'],
  ['insufficient qty', 'insufficient_position'],
  ['sub-penny increment', 'invalid_request'],
  // "invalid crypto time_in_force" (422 42210000, `day` on a crypto pair), "invalid time_in_force" (40010001)
  ['time_in_force', 'invalid_request'],
]

/**
 * Looks a failure up in the tables: precise message, exact code, broad message fragment, then status (5xx
 * and 4xx ranges last).
 */
export function mapFailure(failure: AlpacaFailure): Mapping {
  if (failure.kind !== 'http') return TRANSPORT_CODES[failure.kind]
  const lower = failure.message.toLowerCase()
  for (const [fragment, mapping] of PRECISE_MESSAGES) if (lower.includes(fragment)) return mapping
  const exact = failure.code === undefined ? undefined : EXACT_CODES[String(failure.code)]
  if (exact) return exact
  for (const [fragment, mapping] of BROAD_MESSAGES) if (lower.includes(fragment)) return mapping
  const byStatus = STATUS_CODES[failure.status]
  if (byStatus) return byStatus
  if (failure.status >= 500) return { code: 'BROKER_UNAVAILABLE' }
  if (failure.status >= 400) return { code: 'BROKER_REJECTED' }
  return { code: 'BROKER_BAD_RESPONSE' }
}

/** The reason of a 4xx refusal whose message says exactly what was wrong (`REASON_MESSAGES`), if any. */
export function reasonOf(failure: AlpacaFailure): BrokerErrorReason | undefined {
  if (failure.kind !== 'http' || failure.status < 400 || failure.status >= 500) return undefined
  const lower = failure.message.toLowerCase()
  for (const [fragment, reason] of REASON_MESSAGES) if (lower.includes(fragment)) return reason
  return undefined
}

/** Replaces every occurrence of each secret in `text` (keys must never reach a message or a log). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('[REDACTED]')
  return out
}

/** What a caller knows better than the tables (a submit that may have created the order, a 429's pause). */
export interface BrokerErrorOverrides {
  readonly code?: BrokerErrorCode
  readonly retryAfterMs?: number
  /** Appended to the message: what the failure means for the caller. */
  readonly note?: string
}

/** Turns a failure into the engine's `BrokerError`, with the message redacted and a plain, redacted cause. */
export function toBrokerError(
  failure: AlpacaFailure,
  context: string,
  secrets: readonly string[],
  overrides: BrokerErrorOverrides = {},
): BrokerError {
  const mapping = mapFailure(failure)
  const code = overrides.code ?? mapping.code
  const detail =
    failure.kind === 'http'
      ? `HTTP ${failure.status}${failure.code === undefined ? '' : ` code ${failure.code}`}: ${failure.message}`
      : `${failure.kind}: ${failure.message}`
  const hinted =
    mapping.hint === undefined || code !== mapping.code
      ? `${context}: ${detail}`
      : `${context}: ${mapping.hint} (${detail})`
  const message = redact(overrides.note === undefined ? hinted : `${hinted}; ${overrides.note}`, secrets)
  // The cause is a plain record of the failure (never the SDK's error, which holds the Response).
  const cause = new Error(redact(detail, secrets))
  const reason = reasonOf(failure)
  const retryAfterMs = overrides.retryAfterMs ?? (failure.kind === 'http' ? failure.retryAfterMs : undefined)
  return new BrokerError(code, message, {
    ...(mapping.retryable === undefined || code !== mapping.code ? {} : { retryable: mapping.retryable }),
    ...(reason === undefined ? {} : { reason }),
    ...(failure.kind === 'http'
      ? { brokerStatus: failure.status, ...(failure.code === undefined ? {} : { brokerCode: failure.code }) }
      : {}),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    cause,
  })
}

/**
 * Alpaca's answer to a second order with the same `client_order_id`: the order exists (it may not be
 * visible to a look-up yet). Only this message counts: its code, 40010001, is Alpaca's generic
 * validation code ("qty must be > 0", "client_order_id must be no more than 128 characters", ...).
 * https://docs.alpaca.markets/docs/orders-at-alpaca, https://docs.alpaca.markets/reference/postorder
 */
export function isDuplicateClientOrderId(failure: AlpacaFailure): boolean {
  if (failure.kind !== 'http' || failure.status < 400 || failure.status >= 500) return false
  return failure.message.toLowerCase().includes('client_order_id must be unique')
}

/** A 429: Alpaca's rate limiter answered before the request was processed (it sits in front of the API). */
export function isRateLimited(failure: AlpacaFailure): boolean {
  return failure.kind === 'http' && failure.status === 429
}

/**
 * A failed submit that may have created the order: no answer (timeout, network), a 5xx or 408, or a 2xx
 * we could not read. Not a 429 (refused before processing) and not another 4xx (refused).
 */
export function mayHaveCreatedOrder(failure: AlpacaFailure): boolean {
  if (failure.kind !== 'http') return true
  return failure.status >= 500 || failure.status === 408
}

/**
 * The code of a submit that may have created the order, from the class of the failure alone (a 5xx whose
 * message the tables would read as a refusal must not claim the order does not exist): no answer in time,
 * 408 and 504 → `BROKER_TIMEOUT`; no answer, other 5xx → `BROKER_UNAVAILABLE` (both retryable, after a
 * look-up by client order id); an unreadable 2xx → `BROKER_BAD_RESPONSE`.
 */
export function possiblyCreatedCode(failure: AlpacaFailure): BrokerErrorCode {
  switch (failure.kind) {
    case 'timeout':
      return 'BROKER_TIMEOUT'
    case 'network':
      return 'BROKER_UNAVAILABLE'
    case 'bad_response':
      return 'BROKER_BAD_RESPONSE'
    case 'http':
      return failure.status === 408 || failure.status === 504 ? 'BROKER_TIMEOUT' : 'BROKER_UNAVAILABLE'
  }
}
