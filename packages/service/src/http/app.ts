import { createHash, timingSafeEqual } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger as PinoLogger } from 'pino'
import { z } from 'zod'
import { isEngineError, type Engine } from '@acx/engine'
import { errorBody, isServiceError, ServiceError } from '../errors.js'
import { parseIntent } from '../intake/parseIntent.js'
import type { ServiceMetrics } from '../observability/metrics.js'
import { EXECUTION_STATUSES } from '../persistence/executionStore.js'
import type { ExecutionManager } from '../executions/executionManager.js'
import { executionView, previewView } from './views.js'

export interface AppOptions {
  readonly manager: ExecutionManager
  readonly engine: Engine
  readonly metrics: ServiceMetrics
  readonly logger: PinoLogger
  /** When set, `/v1/*` requires `Authorization: Bearer <token>`. */
  readonly apiToken?: string
  readonly bodyLimitBytes: number
}

const ListQuery = z.strictObject({
  symbol: z.string().trim().toUpperCase().optional(),
  status: z.enum(EXECUTION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
})

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Compares digests, so the time taken says nothing about the token or its length. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '')
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(token)) && match !== null
}

const invalid = (issues: ReadonlyArray<{ path: string; message: string }>) =>
  new ServiceError('SERVICE_INVALID_REQUEST', 'Invalid request', { issues })

export function buildApp(options: AppOptions): FastifyInstance {
  const { manager, engine, metrics } = options
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    return503OnClosing: true,
  })

  app.setErrorHandler((err, req, reply) => {
    if (isServiceError(err)) return reply.status(err.statusCode).send(errorBody(err))
    const e = err as { statusCode?: number; code?: string; message: string }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send(errorBody(new ServiceError('SERVICE_PAYLOAD_TOO_LARGE')))
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send(errorBody(new ServiceError('SERVICE_UNSUPPORTED_MEDIA_TYPE')))
    }
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(400).send(errorBody(invalid([{ path: '(body)', message: e.message }])))
    }
    if (isEngineError(err) && (err.code === 'ENGINE_KERNEL_FAILED' || err.code === 'ENGINE_INVALID_INTENT')) {
      return reply.status(422).send(errorBody(new ServiceError('SERVICE_UNPROCESSABLE', err.message)))
    }
    req.log.error({ err }, 'request failed')
    return reply.status(500).send(errorBody(new ServiceError('SERVICE_INTERNAL')))
  })

  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/v1/') || options.apiToken === undefined) return
    if (!tokenMatches(req.headers.authorization, options.apiToken)) throw new ServiceError('SERVICE_UNAUTHORIZED')
  })

  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_req, reply) => {
    const ready = manager.accepting
    return reply.status(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'draining', running: manager.running, queued: manager.queued,
    })
  })

  app.get('/metrics', async (_req, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })

  app.post('/v1/orders', async (req, reply) => {
    if (!manager.accepting) {
      metrics.intents.inc({ outcome: 'refused' })
      throw new ServiceError('SERVICE_DRAINING')
    }
    const parsed = parseIntent(req.body)
    if (!parsed.ok) {
      metrics.intents.inc({ outcome: 'invalid' })
      throw invalid(parsed.issues)
    }
    const { record, created } = await manager.submit(parsed.intent)
    metrics.intents.inc({ outcome: created ? 'accepted' : 'duplicate' })
    return reply.status(created ? 202 : 200).send({
      executionId: record.id, correlationId: record.correlationId, status: record.status, created,
    })
  })

  app.get('/v1/orders', async (req) => {
    const query = ListQuery.safeParse(req.query)
    if (!query.success) throw invalid(query.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })))
    const records = await manager.list(query.data)
    return { executions: records.map((r) => executionView(r)) }
  })

  app.get<{ Params: { id: string } }>('/v1/orders/:id', async (req) => {
    const detail = await manager.detail(req.params.id)
    if (!detail) throw new ServiceError('SERVICE_NOT_FOUND')
    return executionView(detail.record, detail)
  })

  app.post<{ Params: { id: string } }>('/v1/orders/:id/cancel', async (req, reply) => {
    const outcome = await manager.cancel(req.params.id)
    if (outcome === 'not_found') throw new ServiceError('SERVICE_NOT_FOUND')
    if (outcome === 'already_final') throw new ServiceError('SERVICE_CONFLICT')
    const detail = await manager.detail(req.params.id)
    return reply.status(202).send(executionView(detail!.record, detail!))
  })

  app.post('/v1/preview', async (req) => {
    const parsed = parseIntent(req.body)
    if (!parsed.ok) throw invalid(parsed.issues)
    return previewView(parsed.intent, engine.preview(parsed.intent))
  })

  return app
}
