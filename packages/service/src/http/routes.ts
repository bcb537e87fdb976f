import type { z } from 'zod'
import type { ServiceErrorCode } from '../errors.js'
import {
  CorrelationIdParams,
  EventsHead,
  EventStreamHeaders,
  ExecutionDetail,
  ExecutionEvent,
  ExecutionIdParams,
  ExecutionPage,
  HaltAnswer,
  HaltBody,
  Health,
  ListQuery,
  OpenApiDocument,
  OrderAccepted,
  OrderIntentBody,
  Preview,
  PreviewBody,
  QuoteTape,
  Readiness,
  Report,
  ReportQuery,
  ResumeAnswer,
} from './schemas.js'

/** What a route answers with a status: a JSON body, a Server-Sent Event stream, or text. */
export type RouteAnswer =
  | { readonly description: string; readonly json: z.ZodType }
  | { readonly description: string; readonly events: z.ZodType }
  | { readonly description: string; readonly text: string }

/**
 * One route of the HTTP API: where it is, what it takes (each part a schema the server parses with),
 * what it answers when it succeeds, and the error codes it can answer beyond those every route can
 * (`ALWAYS_POSSIBLE`) — the HTTP status of each follows from `SERVICE_ERRORS`.
 */
export interface ApiRoute {
  readonly method: 'GET' | 'POST'
  /** In fastify's syntax (`/v1/orders/:id`). */
  readonly url: string
  readonly operationId: string
  readonly summary: string
  readonly description?: string
  readonly tag: 'orders' | 'events' | 'admin' | 'operations'
  /** Callable without the token (when `ACX_API_TOKEN` is set). */
  readonly public?: true
  readonly params?: z.ZodObject
  readonly query?: z.ZodObject
  readonly headers?: z.ZodObject
  readonly body?: z.ZodType
  /** Answers other than errors, by status. */
  readonly answers: Readonly<Record<number, RouteAnswer>>
  /** Error codes this route answers besides the ones any route can (below). */
  readonly errors: readonly ServiceErrorCode[]
}

/** Error codes any route can answer: a request that took too long to arrive, headers too large, a bug. */
const ALWAYS_POSSIBLE: readonly ServiceErrorCode[] = [
  'SERVICE_REQUEST_TIMEOUT',
  'SERVICE_HEADERS_TOO_LARGE',
  'SERVICE_INTERNAL',
]

/** What every route that needs the token can answer besides: no token, and a server shutting down. */
const PROTECTED_ERRORS: readonly ServiceErrorCode[] = ['SERVICE_UNAUTHORIZED', 'SERVICE_DRAINING']

/** What every POST can answer besides: a body that is not JSON, too large, or malformed. */
const BODY_ERRORS: readonly ServiceErrorCode[] = [
  'SERVICE_INVALID_REQUEST',
  'SERVICE_PAYLOAD_TOO_LARGE',
  'SERVICE_UNSUPPORTED_MEDIA_TYPE',
]

const execution = (description: string): RouteAnswer => ({ description, json: ExecutionDetail })
const eventStream: RouteAnswer = {
  description:
    'A Server-Sent Event stream: `retry: 2000` first, then one event per journal entry (`id` = the entry id, `event` = its type, `data` = the entry as JSON, an `ExecutionEvent`), and a `: keep-alive` comment every 15 s',
  events: ExecutionEvent,
}

/**
 * The HTTP API, every route. `buildApp` registers exactly these (and the dashboard's page, `PAGE_ROUTES`,
 * which is no part of the API); `buildOpenApiDocument` describes exactly these.
 */
export const ROUTES = {
  health: {
    method: 'GET',
    url: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness',
    description: 'Answers 200 while the process serves.',
    tag: 'operations',
    public: true,
    answers: { 200: { description: 'The process serves', json: Health } },
    errors: [],
  },
  readiness: {
    method: 'GET',
    url: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness: whether the service takes orders now',
    tag: 'operations',
    public: true,
    answers: {
      200: { description: 'Ready: `reasons` is empty', json: Readiness },
      503: {
        description:
          'Not ready: `reasons` says why (`draining`, `store_unavailable` with `storeError`, `halted` with `halt`, `queue_full`)',
        json: Readiness,
      },
    },
    errors: [],
  },
  metrics: {
    method: 'GET',
    url: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    public: true,
    answers: { 200: { description: 'The Prometheus text exposition format', text: 'text/plain' } },
    errors: [],
  },
  openApi: {
    method: 'GET',
    url: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This description of the API (OpenAPI 3.1)',
    tag: 'operations',
    public: true,
    answers: { 200: { description: 'The OpenAPI document', json: OpenApiDocument } },
    errors: [],
  },
  submitOrder: {
    method: 'POST',
    url: '/v1/orders',
    operationId: 'submitOrder',
    summary: 'Submit an order intent',
    description:
      'Checks the intent (every problem listed in one 400), the intake bounds (halt, store, queue), the risk limits and the venue (the asset, a close against the position, the market clock, the quote), then stores it and starts it (or queues it, or schedules it for the open). `correlationId` is the idempotency key: the same order again answers 200 with the existing execution; a different order under it, 409. A refused intent stores nothing.',
    tag: 'orders',
    body: OrderIntentBody,
    answers: {
      202: { description: 'Admitted: a new execution', json: OrderAccepted },
      200: {
        description: 'The same order was already admitted under this correlationId: that execution',
        json: OrderAccepted,
      },
    },
    errors: [
      'SERVICE_IDEMPOTENCY_CONFLICT',
      'SERVICE_RISK_LIMIT',
      'SERVICE_ORDER_REFUSED',
      'SERVICE_UNPROCESSABLE',
      'SERVICE_QUEUE_FULL',
      'SERVICE_HALTED',
      'SERVICE_STORE_UNAVAILABLE',
      'SERVICE_VENUE_UNAVAILABLE',
    ],
  },
  listOrders: {
    method: 'GET',
    url: '/v1/orders',
    operationId: 'listOrders',
    summary: 'List executions, newest first',
    tag: 'orders',
    query: ListQuery,
    answers: { 200: { description: 'A page of executions', json: ExecutionPage } },
    errors: ['SERVICE_INVALID_REQUEST', 'SERVICE_STORE_UNAVAILABLE'],
  },
  getOrder: {
    method: 'GET',
    url: '/v1/orders/:id',
    operationId: 'getOrder',
    summary: 'One execution',
    tag: 'orders',
    params: ExecutionIdParams,
    answers: { 200: execution('The execution') },
    errors: ['SERVICE_INVALID_REQUEST', 'SERVICE_NOT_FOUND', 'SERVICE_STORE_UNAVAILABLE'],
  },
  getOrderByCorrelationId: {
    method: 'GET',
    url: '/v1/orders/by-correlation-id/:correlationId',
    operationId: 'getOrderByCorrelationId',
    summary: 'The execution admitted under a correlation id',
    tag: 'orders',
    params: CorrelationIdParams,
    answers: { 200: execution('The execution') },
    errors: ['SERVICE_INVALID_REQUEST', 'SERVICE_NOT_FOUND', 'SERVICE_STORE_UNAVAILABLE'],
  },
  cancelOrder: {
    method: 'POST',
    url: '/v1/orders/:id/cancel',
    operationId: 'cancelOrder',
    summary: 'Stop an execution',
    description:
      'A queued or scheduled execution never starts; a running one cancels (and confirms) its open child order and sends nothing more — also when another worker runs it (it sees the request at its next lease renewal). No body.',
    tag: 'orders',
    params: ExecutionIdParams,
    answers: { 202: execution('The cancel is requested: the execution as it stands') },
    errors: ['SERVICE_NOT_FOUND', 'SERVICE_CONFLICT', 'SERVICE_STORE_UNAVAILABLE'],
  },
  orderEvents: {
    method: 'GET',
    url: '/v1/orders/:id/events',
    operationId: 'streamOrderEvents',
    summary: "Follow one execution's journal as Server-Sent Events",
    description:
      "From the start (or after `Last-Event-ID`) to the execution's finish; the stream ends after `execution_finished`. Open streams are bounded (ACX_MAX_EVENT_STREAMS): past it, 503 with Retry-After.",
    tag: 'events',
    params: ExecutionIdParams,
    headers: EventStreamHeaders,
    answers: { 200: eventStream },
    errors: ['SERVICE_INVALID_REQUEST', 'SERVICE_NOT_FOUND', 'SERVICE_STREAM_LIMIT', 'SERVICE_STORE_UNAVAILABLE'],
  },
  events: {
    method: 'GET',
    url: '/v1/events',
    operationId: 'streamEvents',
    summary: "Follow every execution's journal as Server-Sent Events",
    description:
      'From the start of the journal (or after `Last-Event-ID`); never ends by itself. Without a global order in the store (DynamoDB), the executions this process journals, from when the stream opened. Open streams are bounded (ACX_MAX_EVENT_STREAMS): past it, 503 with Retry-After.',
    tag: 'events',
    headers: EventStreamHeaders,
    answers: { 200: eventStream },
    errors: ['SERVICE_INVALID_REQUEST', 'SERVICE_STREAM_LIMIT'],
  },
  preview: {
    method: 'POST',
    url: '/v1/preview',
    operationId: 'previewOrder',
    summary: 'What an intent would do and cost, without trading',
    description:
      'The same checks and plan as intake (risk limits, the venue, the market clock, the quote), sending and storing nothing.',
    tag: 'orders',
    body: PreviewBody,
    answers: { 200: { description: 'The plan and its pre-trade estimate', json: Preview } },
    errors: [
      'SERVICE_RISK_LIMIT',
      'SERVICE_ORDER_REFUSED',
      'SERVICE_UNPROCESSABLE',
      'SERVICE_HALTED',
      'SERVICE_VENUE_UNAVAILABLE',
    ],
  },
  halt: {
    method: 'POST',
    url: '/v1/admin/halt',
    operationId: 'haltTrading',
    summary: 'The kill switch: halt trading',
    description:
      'Stored (it survives a restart and reaches every worker sharing the store): intake answers 503 SERVICE_HALTED, every running execution stops at a safe point and finishes `cancelled` (or `partially_filled`) with error `halted`; queued ones wait.',
    tag: 'admin',
    body: HaltBody,
    answers: { 200: { description: 'Halted', json: HaltAnswer } },
    errors: ['SERVICE_STORE_UNAVAILABLE'],
  },
  resume: {
    method: 'POST',
    url: '/v1/admin/resume',
    operationId: 'resumeTrading',
    summary: 'Lift the kill switch',
    description: 'Queued executions start. No body.',
    tag: 'admin',
    answers: { 200: { description: 'Trading again', json: ResumeAnswer } },
    errors: ['SERVICE_STORE_UNAVAILABLE'],
  },
  eventsHead: {
    method: 'GET',
    url: '/v1/events/head',
    operationId: 'getEventsHead',
    summary: 'Where the journal ends now, to follow `GET /v1/events` from there',
    description:
      'The newest journal entry id (about 2·log₂(n) indexed look-ups): load the list, then follow `GET /v1/events` with it as `Last-Event-ID` to miss nothing and replay nothing.',
    tag: 'events',
    answers: { 200: { description: 'The newest journal entry id', json: EventsHead } },
    errors: ['SERVICE_STORE_UNAVAILABLE'],
  },
  orderQuotes: {
    method: 'GET',
    url: '/v1/orders/:id/quotes',
    operationId: 'getOrderQuotes',
    summary: 'The bids and asks an execution was priced from',
    description:
      'The arrival quote, then each quote the engine fetched for the symbol while the execution ran, oldest first. Kept in memory by this process (5,000 quotes a symbol, 1,000 symbols): `complete` is false when it did not see the whole execution.',
    tag: 'orders',
    params: ExecutionIdParams,
    answers: { 200: { description: 'The quotes', json: QuoteTape } },
    errors: ['SERVICE_INVALID_REQUEST', 'SERVICE_NOT_FOUND', 'SERVICE_STORE_UNAVAILABLE'],
  },
  report: {
    method: 'GET',
    url: '/v1/report',
    operationId: 'getReport',
    summary: 'The rollout guide’s success criteria per strategy over a window',
    description:
      'Fill rate > 95 %, average execution time 300–600 s, market fallback < 10 %, each with its figure, sample and PASS/FAIL; Almgren–Chriss against walk-the-book on mean shortfall; each strategy’s shortfall distribution. The figures of `acx report`. A window of more than 20,000 executions is refused (400 on `since`).',
    tag: 'operations',
    query: ReportQuery,
    answers: { 200: { description: 'The report', json: Report } },
    errors: ['SERVICE_INVALID_REQUEST', 'SERVICE_STORE_UNAVAILABLE'],
  },
} as const satisfies Record<string, ApiRoute>

/** Every route, as a list. */
export const API_ROUTES: readonly ApiRoute[] = Object.values(ROUTES)

/** The error codes a route can answer: its own, and those every route (of its kind) can. */
export function routeErrors(route: ApiRoute): ReadonlySet<ServiceErrorCode> {
  return new Set([
    ...route.errors,
    ...ALWAYS_POSSIBLE,
    ...(route.public ? [] : PROTECTED_ERRORS),
    ...(route.method === 'POST' ? BODY_ERRORS : []),
    ...(route.params || route.query || route.headers ? (['SERVICE_INVALID_REQUEST'] as const) : []),
  ])
}

/**
 * A route of the dashboard's page (ACX_DASHBOARD=on): public, since the page must load before it can ask
 * for the token (it holds no data). Not part of the API, so not in the OpenAPI description.
 */
export interface PageRoute {
  readonly method: 'GET'
  readonly url: string
  readonly public: true
}

/** The dashboard's page and its content-hashed files. */
export const PAGE_ROUTES = {
  dashboardPage: { method: 'GET', url: '/', public: true },
  dashboardFile: { method: 'GET', url: '/ui/:file', public: true },
} as const satisfies Record<string, PageRoute>

/** The `method url` keys anyone may call, HEAD included for GET: decided on the route the router matched. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(
  [...API_ROUTES, ...Object.values(PAGE_ROUTES)]
    .filter((r) => r.public)
    .flatMap((r) => (r.method === 'GET' ? [`GET ${r.url}`, `HEAD ${r.url}`] : [`${r.method} ${r.url}`])),
)
