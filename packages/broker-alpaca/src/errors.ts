import { BrokerError, type BrokerErrorCode } from '@acx/engine'

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
}

/**
 * ccxt-style `exact` table: Alpaca's documented error `code` (the body's `code` field) → broker code.
 * Checked first.
 */
export const EXACT_CODES: Readonly<Record<string, Mapping>> = {
  '40110000': { code: 'BROKER_AUTH' }, // request is not authorized
  '40310000': { code: 'BROKER_INSUFFICIENT_FUNDS' }, // insufficient buying power / qty available
  '40410000': { code: 'BROKER_NOT_FOUND' }, // order / position / asset not found
  '42210000': { code: 'BROKER_REJECTED' }, // unprocessable: validation, not cancelable, ...
  '40010001': { code: 'BROKER_REJECTED' }, // malformed request / validation
  '42910000': { code: 'BROKER_RATE_LIMITED' }, // too many requests
}

/**
 * ccxt-style `broad` table: a fragment of Alpaca's message (lower case) → broker code. Checked when the
 * `code` is missing or unknown, before the status table.
 */
export const BROAD_MESSAGES: readonly (readonly [fragment: string, mapping: Mapping])[] = [
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
export const STATUS_CODES: Readonly<Record<number, Mapping>> = {
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
export const TRANSPORT_CODES: Readonly<Record<'network' | 'timeout' | 'bad_response', Mapping>> = {
  network: { code: 'BROKER_UNAVAILABLE' },
  timeout: { code: 'BROKER_TIMEOUT' },
  bad_response: { code: 'BROKER_BAD_RESPONSE' },
}

/** Looks a failure up in the tables: exact code, then message fragment, then status (5xx and 4xx ranges last). */
export function mapFailure(failure: AlpacaFailure): Mapping {
  if (failure.kind !== 'http') return TRANSPORT_CODES[failure.kind]
  const exact = failure.code === undefined ? undefined : EXACT_CODES[String(failure.code)]
  if (exact) return exact
  const lower = failure.message.toLowerCase()
  for (const [fragment, mapping] of BROAD_MESSAGES) if (lower.includes(fragment)) return mapping
  const byStatus = STATUS_CODES[failure.status]
  if (byStatus) return byStatus
  if (failure.status >= 500) return { code: 'BROKER_UNAVAILABLE' }
  if (failure.status >= 400) return { code: 'BROKER_REJECTED' }
  return { code: 'BROKER_BAD_RESPONSE' }
}

/** Replaces every occurrence of each secret in `text` (keys must never reach a message or a log). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('[REDACTED]')
  return out
}

/** Turns a failure into the engine's `BrokerError`, with the message redacted and a plain, redacted cause. */
export function toBrokerError(failure: AlpacaFailure, context: string, secrets: readonly string[]): BrokerError {
  const mapping = mapFailure(failure)
  const detail =
    failure.kind === 'http'
      ? `HTTP ${failure.status}${failure.code === undefined ? '' : ` code ${failure.code}`}: ${failure.message}`
      : `${failure.kind}: ${failure.message}`
  const message = redact(`${context}: ${detail}`, secrets)
  // The cause is a plain record of the failure (never the SDK's error, which holds the Response).
  const cause = new Error(redact(detail, secrets))
  return new BrokerError(mapping.code, message, {
    ...(mapping.retryable === undefined ? {} : { retryable: mapping.retryable }),
    ...(failure.kind === 'http'
      ? {
          brokerStatus: failure.status,
          ...(failure.code === undefined ? {} : { brokerCode: failure.code }),
          ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
        }
      : {}),
    cause,
  })
}

/** Alpaca's 422 for a second order with the same `client_order_id`: the order exists. */
export function isDuplicateClientOrderId(failure: AlpacaFailure): boolean {
  if (failure.kind !== 'http' || (failure.status !== 422 && failure.status !== 400 && failure.status !== 409)) return false
  const lower = failure.message.toLowerCase()
  return lower.includes('client_order_id') && (lower.includes('unique') || lower.includes('duplicate') || lower.includes('already'))
}

/**
 * A submit whose outcome is unknown: the order may or may not exist. Timeouts, network failures, 5xx
 * (and 408/429, which Alpaca should only send before processing, but we do not bet money on it), and a
 * 2xx we could not read.
 */
export function isAmbiguousSubmitFailure(failure: AlpacaFailure): boolean {
  if (failure.kind !== 'http') return true
  return failure.status >= 500 || failure.status === 408 || failure.status === 429
}
