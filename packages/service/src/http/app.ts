import { createHash, timingSafeEqual } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RouteHandlerMethod,
} from 'fastify'
import type { Logger as PinoLogger } from 'pino'
import type { z } from 'zod'
import { isEngineError } from '@acx/engine'
import { isServiceError, ServiceError, type ServiceErrorCode, type ServiceErrorIssue } from '../errors.js'
import { parseIntent } from '../intake/parseIntent.js'
import type { ServiceMetrics } from '../observability/metrics.js'
import { FINAL_STATUSES, type StoredJournalEntry } from '../persistence/executionStore.js'
import type { ExecutionManager } from '../executions/executionManager.js'
import { parseStrictJson } from './strictJson.js'
import { streamEvents, type EventSource } from './eventStream.js'
import { buildOpenApiDocument } from './openapi.js'
import { PUBLIC_ROUTES, ROUTES, type ApiRoute, type PageRoute } from './routes.js'
import {
  CorrelationIdParams,
  encodeCursor,
  EventStreamHeaders,
  ExecutionIdParams,
  HaltBody,
  ListQuery,
  type HaltAnswer,
  type OrderAccepted,
  type Out,
} from './schemas.js'
import { errorView, executionSummary, executionView, previewView, readinessView } from './views.js'
import { registerDashboard, type DashboardOptions } from '../dashboard/dashboardRoutes.js'

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
  readonly dashboard: DashboardOptions
}

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Compares digests, so the time taken says nothing about the token or its length. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '')
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(token)) && match !== null
}

const invalid = (issues: readonly ServiceErrorIssue[]) =>
  new ServiceError('SERVICE_INVALID_REQUEST', 'Invalid request', { issues })

/** Parses a part of a request with its schema; a failure is a 400 listing every problem. */
function parsed<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  throw invalid(
    result.error.issues.map((i) => ({
      path: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(',') : where),
      message: i.message,
    })),
  )
}

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
  const body = JSON.stringify(errorView(error))
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
    // while closing, routes answer 503 SERVICE_DRAINING in the API's error shape (below), not fastify's own
    return503OnClosing: false,
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
      const error =
        code === 'SERVICE_INVALID_REQUEST'
          ? new ServiceError(code, 'Malformed URL', { issues: [{ path: '(url)', message: err.message }] })
          : new ServiceError(code)
      void (reply as unknown as { status(n: number): { send(b: unknown): unknown } })
        .status(error.statusCode)
        .send(errorView(error))
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
      // a code that is no answer to a request (a store's own failure) is a bug: answered as SERVICE_INTERNAL
      else if (err.statusCode === 500) req.log.error({ err }, 'request failed')
      return reply.status(err.statusCode).send(errorView(err))
    }
    const e = err as { statusCode?: number; code?: string; message: string }
    const mapped = e.code === undefined ? undefined : FRAMEWORK_ERRORS[e.code]
    if (mapped) {
      const error = new ServiceError(mapped)
      return reply.status(error.statusCode).send(errorView(error))
    }
    if (isEngineError(err) && (err.code === 'ENGINE_KERNEL_FAILED' || err.code === 'ENGINE_INVALID_INTENT')) {
      return reply.status(422).send(errorView(new ServiceError('SERVICE_UNPROCESSABLE', err.message)))
    }
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(400).send(errorView(invalid([{ path: '(request)', message: e.message }])))
    }
    req.log.error({ err }, 'request failed')
    return reply.status(500).send(errorView(new ServiceError('SERVICE_INTERNAL')))
  })

  app.setNotFoundHandler(async () => {
    throw new ServiceError('SERVICE_ROUTE_NOT_FOUND')
  })

  // ends event streams, and refuses what needs the token, once the server closes (the probes still answer)
  const closing = new AbortController()
  app.addHook('preClose', async () => closing.abort())

  app.addHook('onRequest', async (req) => {
    if (PUBLIC_ROUTES.has(routeKey(req))) return
    if (options.apiToken !== undefined && !tokenMatches(req.headers.authorization, options.apiToken))
      throw new ServiceError('SERVICE_UNAUTHORIZED')
    if (closing.signal.aborted) throw new ServiceError('SERVICE_DRAINING')
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

  /**
   * Registers a route of the tables: the API's (`ROUTES`, which the document describes) or the
   * dashboard page's (`PAGE_ROUTES`), nothing else, so every route's access is decided by its table.
   */
  const on = (route: ApiRoute | PageRoute, handler: RouteHandlerMethod): void => {
    app.route({ method: route.method, url: route.url, handler })
  }

  on(ROUTES.health, async () => ({ status: 'ok' }))

  on(ROUTES.readiness, async (_req, reply) => {
    const r = manager.readiness()
    return reply.status(r.ready ? 200 : 503).send(readinessView(r))
  })

  on(ROUTES.metrics, async (_req, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })

  // generated on first use (not at start: it takes tens of ms), then kept
  let openApi: string | undefined
  on(ROUTES.openApi, async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send((openApi ??= JSON.stringify(buildOpenApiDocument()))),
  )

  on(ROUTES.submitOrder, async (req, reply) => {
    const checked = parseIntent(req.body)
    if (!checked.ok) {
      metrics.intents.inc({ outcome: 'invalid' })
      throw invalid(checked.issues)
    }
    let admitted
    try {
      admitted = await manager.submit(checked.intent)
    } catch (err) {
      metrics.intents.inc({
        outcome: isServiceError(err) && err.code === 'SERVICE_IDEMPOTENCY_CONFLICT' ? 'conflict' : 'refused',
      })
      throw err
    }
    const { record, created } = admitted
    metrics.intents.inc({ outcome: created ? 'accepted' : 'duplicate' })
    const answer: Out<typeof OrderAccepted> = {
      executionId: record.id,
      correlationId: record.correlationId,
      status: record.status,
      created,
    }
    return reply.status(created ? 202 : 200).send(answer)
  })

  on(ROUTES.listOrders, async (req) => {
    const { cursor, ...filter } = parsed(ListQuery, req.query, '(query)')
    const listed = await manager.list({ ...filter, ...(cursor ? { after: cursor } : {}) })
    const last = listed.at(-1)?.record
    return {
      executions: listed.map((l) => executionSummary(l.record, l.progress)),
      // a full page may have more behind it; the next page starts after its last execution
      nextCursor: last && listed.length === filter.limit ? encodeCursor(last.createdAt, last.id) : null,
    }
  })

  on(ROUTES.getOrder, async (req) => {
    const { id } = parsed(ExecutionIdParams, req.params, '(path)')
    const detail = await manager.detail(id)
    if (!detail) throw new ServiceError('SERVICE_NOT_FOUND')
    return executionView(detail)
  })

  on(ROUTES.getOrderByCorrelationId, async (req) => {
    const { correlationId } = parsed(CorrelationIdParams, req.params, '(path)')
    const detail = await manager.byCorrelationId(correlationId)
    if (!detail) throw new ServiceError('SERVICE_NOT_FOUND')
    return executionView(detail)
  })

  on(ROUTES.cancelOrder, async (req, reply) => {
    const { id } = parsed(ExecutionIdParams, req.params, '(path)')
    const outcome = await manager.cancel(id)
    if (outcome === 'not_found') throw new ServiceError('SERVICE_NOT_FOUND')
    if (outcome === 'already_final') throw new ServiceError('SERVICE_CONFLICT')
    const detail = await manager.detail(id)
    return reply.status(202).send(executionView(detail!))
  })

  // Server-Sent Events: bounded in number; each ends when its execution finishes, the client goes or the server closes
  let streams = 0
  const maxStreams = options.maxEventStreams ?? 100
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
    // HEAD: what GET would answer, without the stream
    if (req.method === 'HEAD') {
      return void reply.status(200).header('cache-control', 'no-store').type('text/event-stream; charset=utf-8').send()
    }
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

  on(ROUTES.orderEvents, async (req, reply) => {
    const { id } = parsed(ExecutionIdParams, req.params, '(path)')
    parsed(EventStreamHeaders, req.headers, 'Last-Event-ID')
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

  on(ROUTES.events, async (req, reply) => {
    parsed(EventStreamHeaders, req.headers, 'Last-Event-ID')
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

  on(ROUTES.preview, async (req) => {
    const checked = parseIntent(req.body, { correlationIdOptional: true })
    if (!checked.ok) throw invalid(checked.issues)
    const assessment = await manager.assess(checked.intent)
    return previewView(checked.intent, assessment, manager.now())
  })

  on(ROUTES.halt, async (req) => {
    const body = parsed(HaltBody, req.body ?? {}, '(body)')
    const halt = await manager.halt(body.reason)
    req.log.warn({ reason: halt.reason }, 'Kill switch: trading halted by request')
    const answer: Out<typeof HaltAnswer> = {
      status: 'halted',
      reason: halt.reason,
      since: new Date(halt.sinceMs).toISOString(),
    }
    return answer
  })

  on(ROUTES.resume, async (req) => {
    await manager.resume()
    req.log.warn({}, 'Kill switch lifted by request')
    return { status: 'trading' }
  })

  registerDashboard({ on, parsed }, manager, options.dashboard)
  return app
}
