import { createHash, timingSafeEqual } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import type { Logger as PinoLogger } from 'pino'
import { z } from 'zod'
import { isEngineError } from '@acx/engine'
import { errorBody, isServiceError, ServiceError, type ServiceErrorCode } from '../errors.js'
import { parseIntent } from '../intake/parseIntent.js'
import type { ServiceMetrics } from '../observability/metrics.js'
import { EXECUTION_STATUSES, FINAL_STATUSES, type StoredJournalEntry } from '../persistence/executionStore.js'
import type { ExecutionManager } from '../executions/executionManager.js'
import { parseStrictJson } from './strictJson.js'
import { streamEvents, type EventSource } from './eventStream.js'
import { executionSummary, executionView, previewView } from './views.js'
import { DASHBOARD_PUBLIC_ROUTES, registerDashboard, type DashboardOptions } from '../dashboard/dashboardRoutes.js'

export interface AppOptions {
  readonly manager: ExecutionManager
  readonly metrics: ServiceMetrics
  readonly logger: PinoLogger
  /** When set, every route but the public ones (`PUBLIC_ROUTES`) requires `Authorization: Bearer <token>`. */
  readonly apiToken?: string
  readonly bodyLimitBytes: number
  /** Server-Sent Event streams open at once, at most (ACX_MAX_EVENT_STREAMS); past it 503. Default 100. */
  readonly maxEventStreams?: number
  /** How often an event stream reads the store without a wake-up, ms (entries of other workers). Default 1,000. */
  readonly eventPollMs?: number
  /** The dashboard's page (ACX_DASHBOARD) and the API routes it reads besides these. */
  readonly dashboard?: DashboardOptions
}

/**
 * The routes anyone may call: liveness, readiness and metrics. Every other route — and any path no
 * route matches — needs the token. Decided on the route the router matched, never on the raw URL
 * (the router decodes `%76` to `v`; a prefix check on the raw URL does not).
 */
const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'HEAD /healthz',
  'HEAD /readyz',
  'HEAD /metrics',
  ...DASHBOARD_PUBLIC_ROUTES,
])

/** A list cursor: the creation time and id of the last execution of the previous page, opaque to clients. */
const encodeCursor = (createdAt: number, id: string): string =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url')

const Cursor = z
  .string()
  .max(400)
  .transform((s, ctx) => {
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown[]
      if (Number.isSafeInteger(createdAt) && typeof id === 'string' && id.length > 0 && id.length <= 200)
        return { createdAt: createdAt as number, id }
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out (use nextCursor as it came)' })
    return z.NEVER
  })

const ListQuery = z.strictObject({
  symbol: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9./]{1,32}$/, 'letters, digits, "." and "/" only')
    .transform((s) => s.replace(/[a-z]+/g, (r) => r.toUpperCase()))
    .optional(),
  status: z.enum(EXECUTION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: Cursor.optional(),
})

/** A journal entry id as given out in event ids: digits (SQLite) or a DynamoDB sort key. */
const EVENT_ID = /^[A-Za-z0-9#._-]{1,200}$/

const HaltBody = z.strictObject({ reason: z.string().trim().min(1).max(500) })

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Compares digests, so the time taken says nothing about the token or its length. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '')
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(token)) && match !== null
}

const invalid = (issues: ReadonlyArray<{ path: string; message: string }>) =>
  new ServiceError('SERVICE_INVALID_REQUEST', 'Invalid request', { issues })

/** Framework error codes → our codes (everything a caller can see has the `{ error, message }` shape). */
const FRAMEWORK_ERRORS: Readonly<Record<string, ServiceErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SERVICE_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SERVICE_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SERVICE_INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SERVICE_INVALID_REQUEST',
  FST_ERR_BAD_URL: 'SERVICE_INVALID_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'SERVICE_INVALID_REQUEST',
}

/**
 * A raw HTTP answer on a socket fastify never turned into a request (bad request line, huge headers).
 * A HEAD request gets the headers only, as HTTP requires.
 */
function answerOnSocket(socket: Socket, status: number, error: ServiceError, head: boolean): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = JSON.stringify(errorBody(error))
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`,
  )
}

/** The path without its query string (a token someone put there must never reach a log), capped. */
const logPath = (url: string): string => {
  const path = url.split('?')[0] ?? ''
  return path.length > 200 ? `${path.slice(0, 200)}…` : path
}

const routeKey = (req: Pick<FastifyRequest, 'method' | 'routeOptions'>): string =>
  `${req.method} ${req.routeOptions.url ?? ''}`

export function buildApp(options: AppOptions): FastifyInstance {
  const { manager, metrics } = options
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // request lines are logged below, without query strings
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    return503OnClosing: true,
    clientErrorHandler: (error, socket: Socket) => {
      const err = error as unknown as Error & { code?: string; rawPacket?: unknown }
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        socket.destroy()
        return
      }
      const head = Buffer.isBuffer(err.rawPacket) && err.rawPacket.toString('latin1', 0, 5) === 'HEAD '
      if (err.code === 'HPE_HEADER_OVERFLOW')
        return answerOnSocket(socket, 431, new ServiceError('SERVICE_HEADERS_TOO_LARGE'), head)
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
        return answerOnSocket(socket, 408, new ServiceError('SERVICE_REQUEST_TIMEOUT'), head)
      return answerOnSocket(socket, 400, new ServiceError('SERVICE_INVALID_REQUEST', 'Malformed HTTP request'), head)
    },
    frameworkErrors: (err, _req, reply) => {
      const code = FRAMEWORK_ERRORS[err.code] ?? 'SERVICE_INVALID_REQUEST'
      const error = new ServiceError(code, code === 'SERVICE_INVALID_REQUEST' ? 'Malformed URL' : undefined)
      void (reply as unknown as { status(n: number): { send(b: unknown): unknown } })
        .status(error.statusCode)
        .send(errorBody(error))
    },
  })

  // JSON only, parsed strictly (duplicate keys and inexact numbers refused); nothing else is accepted
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(/^application\/json(\s*;.*)?$/i, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseStrictJson(body as string))
    } catch (e) {
      done(invalid([{ path: '(body)', message: (e as Error).message }]), undefined)
    }
  })

  app.setErrorHandler((err, req, reply) => {
    if (isServiceError(err)) {
      if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds))
      if (err.code === 'SERVICE_STORE_UNAVAILABLE') req.log.error({ err }, 'store unavailable')
      return reply.status(err.statusCode).send(errorBody(err))
    }
    const e = err as { statusCode?: number; code?: string; message: string }
    const mapped = e.code === undefined ? undefined : FRAMEWORK_ERRORS[e.code]
    if (mapped) {
      const error = new ServiceError(mapped)
      return reply.status(error.statusCode).send(errorBody(error))
    }
    if (isEngineError(err) && (err.code === 'ENGINE_KERNEL_FAILED' || err.code === 'ENGINE_INVALID_INTENT')) {
      return reply.status(422).send(errorBody(new ServiceError('SERVICE_UNPROCESSABLE', err.message)))
    }
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(400).send(errorBody(invalid([{ path: '(request)', message: e.message }])))
    }
    req.log.error({ err }, 'request failed')
    return reply.status(500).send(errorBody(new ServiceError('SERVICE_INTERNAL')))
  })

  app.setNotFoundHandler(async () => {
    throw new ServiceError('SERVICE_ROUTE_NOT_FOUND')
  })

  app.addHook('onRequest', async (req) => {
    if (options.apiToken === undefined || PUBLIC_ROUTES.has(routeKey(req))) return
    if (!tokenMatches(req.headers.authorization, options.apiToken)) throw new ServiceError('SERVICE_UNAUTHORIZED')
  })

  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        route: req.routeOptions.url ?? null,
        path: logPath(req.url),
        status: reply.statusCode,
        response_time_ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    )
  })

  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_req, reply) => {
    const r = manager.readiness()
    return reply.status(r.ready ? 200 : 503).send({
      status: r.ready ? 'ready' : 'not_ready',
      reasons: r.reasons,
      running: r.running,
      queued: r.queued,
      ...(r.storeError ? { storeError: r.storeError } : {}),
      ...(r.halt ? { halt: { reason: r.halt.reason, since: new Date(r.halt.sinceMs).toISOString() } } : {}),
    })
  })

  app.get('/metrics', async (_req, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })

  app.post('/v1/orders', async (req, reply) => {
    const parsed = parseIntent(req.body)
    if (!parsed.ok) {
      metrics.intents.inc({ outcome: 'invalid' })
      throw invalid(parsed.issues)
    }
    let admitted
    try {
      admitted = await manager.submit(parsed.intent)
    } catch (err) {
      metrics.intents.inc({
        outcome: isServiceError(err) && err.code === 'SERVICE_IDEMPOTENCY_CONFLICT' ? 'conflict' : 'refused',
      })
      throw err
    }
    const { record, created } = admitted
    metrics.intents.inc({ outcome: created ? 'accepted' : 'duplicate' })
    return reply.status(created ? 202 : 200).send({
      executionId: record.id,
      correlationId: record.correlationId,
      status: record.status,
      created,
    })
  })

  app.get('/v1/orders', async (req) => {
    const query = ListQuery.safeParse(req.query)
    if (!query.success) throw invalid(query.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })))
    const { cursor, ...filter } = query.data
    const listed = await manager.list({ ...filter, ...(cursor ? { after: cursor } : {}) })
    const last = listed.at(-1)?.record
    return {
      executions: listed.map((l) => executionSummary(l.record, l.progress)),
      // a full page may have more behind it; the next page starts after its last execution
      nextCursor: last && listed.length === filter.limit ? encodeCursor(last.createdAt, last.id) : null,
    }
  })

  app.get<{ Params: { id: string } }>('/v1/orders/:id', async (req) => {
    const detail = await manager.detail(req.params.id)
    if (!detail) throw new ServiceError('SERVICE_NOT_FOUND')
    return executionView(detail)
  })

  app.get<{ Params: { correlationId: string } }>('/v1/orders/by-correlation-id/:correlationId', async (req) => {
    const detail = await manager.byCorrelationId(req.params.correlationId)
    if (!detail) throw new ServiceError('SERVICE_NOT_FOUND')
    return executionView(detail)
  })

  app.post<{ Params: { id: string } }>('/v1/orders/:id/cancel', async (req, reply) => {
    const outcome = await manager.cancel(req.params.id)
    if (outcome === 'not_found') throw new ServiceError('SERVICE_NOT_FOUND')
    if (outcome === 'already_final') throw new ServiceError('SERVICE_CONFLICT')
    const detail = await manager.detail(req.params.id)
    return reply.status(202).send(executionView(detail!))
  })

  // Server-Sent Events: bounded in number; each ends when its execution finishes, the client goes or the server closes
  const closing = new AbortController()
  app.addHook('preClose', async () => closing.abort())
  let streams = 0
  const maxStreams = options.maxEventStreams ?? 100
  const lastEventId = (req: FastifyRequest): void => {
    const id = req.headers['last-event-id']
    if (id !== undefined && (typeof id !== 'string' || (id !== '' && !EVENT_ID.test(id))))
      throw invalid([{ path: 'Last-Event-ID', message: 'not an event id this API gave out' }])
  }
  const stream = async (
    req: FastifyRequest,
    reply: FastifyReply,
    source: EventSource,
    matches: (executionId: string) => boolean,
  ): Promise<void> => {
    if (streams >= maxStreams)
      throw new ServiceError('SERVICE_STREAM_LIMIT', `${maxStreams} event streams are open (ACX_MAX_EVENT_STREAMS)`, {
        retryAfterSeconds: 5,
      })
    streams++
    try {
      await streamEvents(req, reply, source, {
        subscribe: (wake) => manager.onEntry((id) => matches(id) && wake()),
        pollMs: options.eventPollMs ?? 1_000,
        heartbeatMs: 15_000,
        closing: closing.signal,
      })
    } finally {
      streams--
    }
  }

  app.get<{ Params: { id: string } }>('/v1/orders/:id/events', async (req, reply) => {
    lastEventId(req)
    const id = req.params.id
    if (!(await manager.record(id))) throw new ServiceError('SERVICE_NOT_FOUND')
    await stream(
      req,
      reply,
      {
        async read(afterId) {
          // the status first: a final one was stored with its finish entry, which the read below then
          // includes; over once that is sent (a scheduled execution is not final: it starts again)
          const record = await manager.record(id)
          const entries = await manager.entries(id, afterId)
          return { entries, done: record !== null && FINAL_STATUSES.has(record.status) }
        },
      },
      (executionId) => executionId === id,
    )
  })

  app.get('/v1/events', async (req, reply) => {
    lastEventId(req)
    // without a global order in the store (DynamoDB): the executions this process journals, as they go
    const woken = new Set<string>()
    const cursors = new Map<string, string>()
    const source: EventSource = {
      async read(afterId) {
        const page = await manager.journalAfter(afterId, 500)
        if (page !== null) return { entries: page, done: false }
        const entries: StoredJournalEntry[] = []
        for (const id of [...woken]) {
          woken.delete(id)
          const fresh = await manager.entries(id, cursors.get(id))
          const last = fresh.at(-1)
          if (last === undefined) continue
          entries.push(...fresh)
          if (last.type === 'execution_finished') cursors.delete(id)
          else if (cursors.size < 10_000 || cursors.has(id)) cursors.set(id, last.id)
        }
        return { entries, done: false }
      },
    }
    await stream(req, reply, source, (id) => {
      if (woken.size < 10_000) woken.add(id)
      return true
    })
  })

  app.post('/v1/preview', async (req) => {
    const parsed = parseIntent(req.body, { correlationIdOptional: true })
    if (!parsed.ok) throw invalid(parsed.issues)
    const assessment = await manager.assess(parsed.intent)
    return previewView(parsed.intent, assessment, manager.now())
  })

  app.post('/v1/admin/halt', async (req) => {
    const body = HaltBody.safeParse(req.body ?? {})
    if (!body.success)
      throw invalid(body.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })))
    const halt = await manager.halt(body.data.reason)
    req.log.warn({ reason: halt.reason }, 'Kill switch: trading halted by request')
    return { status: 'halted', reason: halt.reason, since: new Date(halt.sinceMs).toISOString() }
  })

  app.post('/v1/admin/resume', async (req) => {
    await manager.resume()
    req.log.warn({}, 'Kill switch lifted by request')
    return { status: 'trading' }
  })

  if (options.dashboard) registerDashboard(app, manager, options.dashboard)
  return app
}
