/**
 * Service error codes and the HTTP status each maps to (one table, as fastify's lib/errors.js). Codes
 * without a status are not answers to a request (a store that cannot be opened, a bad argument); should
 * one reach the HTTP layer it is a 500.
 */
export const SERVICE_ERRORS = {
  SERVICE_INVALID_REQUEST: { status: 400, message: 'The request is invalid' },
  SERVICE_UNAUTHORIZED: { status: 401, message: 'Missing or wrong bearer token' },
  SERVICE_NOT_FOUND: { status: 404, message: 'No such execution' },
  SERVICE_ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  SERVICE_REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive' },
  SERVICE_CONFLICT: { status: 409, message: 'The execution is already finished' },
  SERVICE_IDEMPOTENCY_CONFLICT: { status: 409, message: 'This correlationId was already used for a different order' },
  SERVICE_PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  SERVICE_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send application/json' },
  SERVICE_UNPROCESSABLE: { status: 422, message: 'The request cannot be planned' },
  SERVICE_RISK_LIMIT: { status: 422, message: 'The order breaks a risk limit' },
  SERVICE_ORDER_REFUSED: { status: 422, message: 'The venue would refuse this order' },
  SERVICE_QUEUE_FULL: { status: 429, message: 'Too many executions waiting; retry later' },
  SERVICE_HEADERS_TOO_LARGE: { status: 431, message: 'Request headers too large' },
  SERVICE_HALTED: { status: 503, message: 'Trading is halted: not accepting new orders' },
  SERVICE_STORE_UNAVAILABLE: { status: 503, message: 'The store cannot be written: not accepting new orders' },
  SERVICE_VENUE_UNAVAILABLE: { status: 503, message: 'The venue cannot be reached to check the order' },
  SERVICE_STREAM_LIMIT: { status: 503, message: 'Too many event streams open; retry later' },
  // the store's own failures: no HTTP status (a request never sees them but as SERVICE_STORE_UNAVAILABLE)
  SERVICE_STORE_EMPTY_FILE: { message: 'The database file exists but is empty (0 bytes): not an acx database' },
  SERVICE_STORE_CORRUPT: { message: 'The database file is corrupt or not a SQLite database' },
  SERVICE_STORE_TOO_NEW: { message: 'The database was written by a newer acx (unknown schema version)' },
  SERVICE_STORE_READ_ONLY: { message: 'The database cannot be written' },
  SERVICE_STORE_LOCKED: { message: 'The file is in use by another process' },
  SERVICE_STORE_LEASE_LOST: { message: 'Another worker holds the execution now' },
  SERVICE_DRAINING: { status: 503, message: 'Shutting down: not accepting new orders' },
  SERVICE_NO_TIME: { status: 503, message: 'Not enough time left in this invocation for the execution horizon' },
  SERVICE_INVALID_ARGUMENT: { message: 'A component was given an invalid argument' },
  SERVICE_CONFIG_INVALID: { message: 'The service configuration is invalid' },
  SERVICE_INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status?: number; message: string }>

export type ServiceErrorCode = keyof typeof SERVICE_ERRORS

export interface ServiceErrorIssue {
  readonly path: string
  readonly message: string
}

export interface ServiceErrorOptions {
  readonly issues?: readonly ServiceErrorIssue[]
  readonly cause?: unknown
  /** For 429 and 503: when to try again (the `Retry-After` header), seconds. */
  readonly retryAfterSeconds?: number
  /** For `SERVICE_RISK_LIMIT`: the setting that holds the limit (e.g. `RISK_MAX_ORDER_NOTIONAL`). */
  readonly limit?: string
  /**
   * For `SERVICE_ORDER_REFUSED`: the engine's code, the same an execution fails with (`asset_not_found`,
   * `asset_not_tradable`, `fractional_not_allowed`, `below_min_order_size`, `insufficient_position`,
   * `market_closed`).
   */
  readonly reason?: string
}

export class ServiceError extends Error {
  override readonly name = 'ServiceError'
  readonly statusCode: number
  readonly issues: readonly ServiceErrorIssue[]
  readonly retryAfterSeconds: number | undefined
  readonly limit: string | undefined
  readonly reason: string | undefined
  constructor(
    readonly code: ServiceErrorCode,
    message?: string,
    opts: ServiceErrorOptions = {},
  ) {
    super(message ?? SERVICE_ERRORS[code].message, opts.cause === undefined ? undefined : { cause: opts.cause })
    const entry = SERVICE_ERRORS[code] as { readonly status?: number }
    this.statusCode = entry.status ?? 500
    this.issues = opts.issues ?? []
    this.retryAfterSeconds = opts.retryAfterSeconds
    this.limit = opts.limit
    this.reason = opts.reason
  }
}

export const isServiceError = (e: unknown): e is ServiceError => e instanceof Error && e.name === 'ServiceError'

/** The JSON body of every error response. */
export const errorBody = (e: ServiceError) => ({
  error: e.code,
  message: e.message,
  ...(e.limit === undefined ? {} : { limit: e.limit }),
  ...(e.reason === undefined ? {} : { reason: e.reason }),
  ...(e.issues.length ? { issues: e.issues } : {}),
})

/** Refusals of an intent that retrying the same message cannot change (queue intake dead-letters them). */
export const PERMANENT_REFUSALS: ReadonlySet<ServiceErrorCode> = new Set([
  'SERVICE_IDEMPOTENCY_CONFLICT',
  'SERVICE_RISK_LIMIT',
  'SERVICE_INVALID_REQUEST',
  'SERVICE_UNPROCESSABLE',
  'SERVICE_ORDER_REFUSED',
])
