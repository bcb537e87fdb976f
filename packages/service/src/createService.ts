import type { BrokerPort, Clock, Engine } from '@acx/engine'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { ServiceConfig } from './config.js'
import type { ExecutionManager } from './executions/executionManager.js'
import { buildApp } from './http/app.js'
import { createMetrics, type ServiceMetrics } from './observability/metrics.js'
import type { ExecutionStore } from './persistence/executionStore.js'
import { createSqsConsumer } from './intake/sqsConsumer.js'
import { isServiceError, PERMANENT_REFUSALS, ServiceError } from './errors.js'
import { createQuoteTape, recordQuotes, type QuoteTape } from './dashboard/quoteTape.js'
import { createRuntime, storeSetting, type RuntimeDeps } from './runtime.js'

export interface Service {
  readonly config: ServiceConfig
  readonly app: FastifyInstance
  readonly engine: Engine
  readonly manager: ExecutionManager
  readonly store: ExecutionStore
  readonly broker: BrokerPort
  readonly clock: Clock
  readonly metrics: ServiceMetrics
  /** Listens, then recovers unfinished executions. Returns the address. */
  start(): Promise<string>
  /** Stops intake, brings running executions to a safe point, closes the server and the store. */
  stop(): Promise<void>
}

export type ServiceDeps = Omit<RuntimeDeps, 'metrics'>

/** Wires configuration, broker, clock, store, engine, execution manager, HTTP app and queue intake. */
export async function createService(config: ServiceConfig, logger: Logger, deps: ServiceDeps = {}): Promise<Service> {
  const metrics = createMetrics()
  // the bid/ask each child order was priced from, for the dashboard's timeline
  let tape: QuoteTape | undefined
  const runtime = await createRuntime(config, logger, {
    ...deps,
    metrics,
    wrapBroker: (broker, clock) => {
      tape = createQuoteTape({ startedAtMs: clock.now() })
      return recordQuotes(broker, tape)
    },
  })
  const quotes = tape!
  const { engine, manager, store, broker, clock } = runtime
  const app = buildApp({
    manager,
    metrics,
    logger,
    bodyLimitBytes: config.ACX_BODY_LIMIT_BYTES,
    maxEventStreams: config.ACX_MAX_EVENT_STREAMS,
    ...(config.ACX_API_TOKEN ? { apiToken: config.ACX_API_TOKEN } : {}),
    dashboard: {
      queries: store,
      quotes,
      ...(config.ACX_DASHBOARD === 'on'
        ? { assets: async () => (await import('@acx/dashboard')).dashboardAssets }
        : {}),
    },
  })
  const consumer =
    config.ACX_INTAKE === 'sqs'
      ? createSqsConsumer({
          queueUrl: config.ACX_SQS_QUEUE_URL!,
          ...(config.ACX_SQS_DLQ_URL ? { deadLetterQueueUrl: config.ACX_SQS_DLQ_URL } : {}),
          ...(config.ACX_SQS_ENDPOINT ? { endpoint: config.ACX_SQS_ENDPOINT } : {}),
          ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
          submit: async (intent) => {
            try {
              const { record, created } = await manager.submit(intent)
              metrics.intents.inc({ outcome: created ? 'accepted' : 'duplicate' })
              logger.info({ executionId: record.id, correlation_id: record.correlationId, created }, 'Intent from SQS')
              return { created }
            } catch (err) {
              // a refusal that no retry can change goes to the dead-letter queue with its reason
              if (isServiceError(err) && PERMANENT_REFUSALS.has(err.code)) {
                metrics.intents.inc({ outcome: err.code === 'SERVICE_IDEMPOTENCY_CONFLICT' ? 'conflict' : 'refused' })
                return { refused: `${err.code}: ${err.message}` }
              }
              throw err
            }
          },
          // past the intake bound (or while halted, or the store is down) nothing more is taken off the queue
          canAccept: () => manager.readiness().ready,
          logger: logger.child({ component: 'sqs' }),
        })
      : undefined
  let takeOverTimer: ReturnType<typeof setInterval> | undefined
  let pruneTimer: ReturnType<typeof setInterval> | undefined
  /** Retention: finished executions older than ACX_RETENTION_DAYS go (0 keeps everything). */
  const prune = async (): Promise<void> => {
    if (config.ACX_RETENTION_DAYS === 0) return
    const before = Date.now() - config.ACX_RETENTION_DAYS * 86_400_000
    const n = await manager.prune(before)
    if (n > 0)
      logger.info({ pruned: n, before: new Date(before).toISOString() }, 'Pruned finished executions past retention')
  }
  return {
    config,
    app,
    engine,
    manager,
    store,
    broker,
    clock,
    metrics,
    async start() {
      // a store that cannot take a write now would answer 500 on every POST: refuse to start instead
      try {
        await store.probe(Date.now())
      } catch (err) {
        throw new ServiceError(
          'SERVICE_STORE_UNAVAILABLE',
          `${storeSetting(config)}: cannot write: ${(err as Error).message}`,
          { cause: err },
        )
      }
      const address = await app.listen({ host: config.ACX_HOST, port: config.ACX_PORT })
      await manager.recover()
      // executions whose worker died are taken over once their lease expires
      takeOverTimer = setInterval(() => {
        manager.takeOver().catch((err: unknown) => logger.error({ err }, 'Take-over scan failed'))
      }, config.ACX_TAKEOVER_INTERVAL_SECONDS * 1000)
      takeOverTimer.unref()
      pruneTimer = setInterval(() => {
        prune().catch((err: unknown) => logger.error({ err }, 'Retention prune failed'))
      }, 3_600_000)
      pruneTimer.unref()
      prune().catch((err: unknown) => logger.error({ err }, 'Retention prune failed'))
      consumer?.start()
      return address
    },
    async stop() {
      clearInterval(takeOverTimer)
      clearInterval(pruneTimer)
      await consumer?.stop()
      await manager.drain(config.ACX_SHUTDOWN_TIMEOUT_SECONDS * 1000)
      await app.close()
      await runtime.close()
    },
  }
}
