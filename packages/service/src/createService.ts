import {
  Dec,
  createEngine,
  createRealClock,
  createSimulatedMarket,
  type BrokerPort,
  type Clock,
  type Engine,
} from '@acx/engine'
import { alpacaOptionsFromEnv, createAlpacaBroker } from '@acx/broker-alpaca'
import type { FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { basename, dirname, extname, join } from 'node:path'
import type { Logger } from 'pino'
import type { ServiceConfig } from './config.js'
import { createExecutionManager, type ExecutionManager } from './executions/executionManager.js'
import { buildApp } from './http/app.js'
import { instrumentBroker } from './observability/instrumentBroker.js'
import { createMetrics, type ServiceMetrics } from './observability/metrics.js'
import type { ExecutionStore } from './persistence/executionStore.js'
import { createSqliteStore } from './persistence/sqliteStore.js'

import { createDynamoStore } from './persistence/dynamoStore.js'
import { createSqliteSimVenueStore } from './persistence/sqliteSimVenueStore.js'
import { createSqsConsumer } from './intake/sqsConsumer.js'
import { isServiceError, PERMANENT_REFUSALS, ServiceError } from './errors.js'

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

export interface ServiceDeps {
  /** Overrides the broker chosen by ACX_BROKER (tests). */
  readonly broker?: BrokerPort
  readonly clock?: Clock
  readonly store?: ExecutionStore
}

/**
 * The simulated market `npm start` runs on: symbols from ACX_SIM_SYMBOLS, time sped up by
 * ACX_SIM_TIME_SCALE, its orders, fills and positions kept across restarts in the SQLite file
 * ACX_SIM_STATE_PATH. Unset, that is named after ACX_DB_PATH (`./data/acx.sqlite` →
 * `./data/acx.sim-venue.sqlite`), so each store has its own venue and two services whose stores share
 * a directory never share one. `close` releases the file.
 */
export function createSimBroker(config: ServiceConfig, clock: Clock): BrokerPort & { close(): Promise<void> } {
  const db = config.ACX_DB_PATH
  const path =
    config.ACX_SIM_STATE_PATH ??
    (db === ':memory:' ? db : join(dirname(db), `${basename(db, extname(db))}.sim-venue.sqlite`))
  let store: ReturnType<typeof createSqliteSimVenueStore>
  try {
    store = createSqliteSimVenueStore({ path })
  } catch (err) {
    throw new ServiceError('SERVICE_STORE_UNAVAILABLE', `ACX_SIM_STATE_PATH=${path}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  try {
    const market = createSimulatedMarket({
      clock,
      seed: config.ACX_SIM_SEED,
      symbols: config.ACX_SIM_SYMBOLS,
      store,
      ...(config.ACX_SIM_SESSION ? { session: config.ACX_SIM_SESSION } : {}),
    })
    return Object.assign(market, { close: async () => store.close() })
  } catch (err) {
    store.close()
    throw err
  }
}

/** A broker the service can close on stop (the Alpaca adapter holds a trade-update stream open). */
type ClosableBroker = BrokerPort & { close?: () => Promise<void> }

/** The broker ACX_BROKER names: the simulated market, or Alpaca from the APCA_* settings. */
export function createBroker(config: ServiceConfig, clock: Clock, logger: Logger): ClosableBroker {
  if (config.ACX_BROKER === 'sim') return createSimBroker(config, clock)
  const env = {
    APCA_API_KEY_ID: config.APCA_API_KEY_ID,
    APCA_API_SECRET_KEY: config.APCA_API_SECRET_KEY,
    APCA_API_BASE_URL: config.APCA_API_BASE_URL,
    APCA_DATA_BASE_URL: config.APCA_DATA_BASE_URL,
  }
  return createAlpacaBroker(
    alpacaOptionsFromEnv(env, {
      logger: logger.child({ component: 'alpaca' }),
      clock,
      maxRequestsPerMinute: config.ACX_ALPACA_MAX_REQUESTS_PER_MINUTE,
      statsLookbackDays: config.AC_STATS_LOOKBACK_DAYS,
    }),
  )
}

/** The setting that names the store, for messages: `ACX_DB_PATH=…` or `ACX_DYNAMODB_TABLE=…`. */
const storeSetting = (config: ServiceConfig): string =>
  config.ACX_STORE === 'sqlite'
    ? `ACX_DB_PATH=${config.ACX_DB_PATH}`
    : `ACX_DYNAMODB_TABLE=${config.ACX_DYNAMODB_TABLE ?? ''}`

/**
 * The store ACX_STORE names: SQLite at ACX_DB_PATH, or the DynamoDB table ACX_DYNAMODB_TABLE. A store
 * that cannot be used throws a `ServiceError` (`SERVICE_STORE_*`) whose message starts with the setting.
 */
export function createStore(config: ServiceConfig): ExecutionStore {
  if (config.ACX_STORE === 'sqlite') {
    try {
      return createSqliteStore({ path: config.ACX_DB_PATH })
    } catch (err) {
      if (!isServiceError(err)) throw err
      throw new ServiceError(err.code, `${storeSetting(config)}: ${err.message}`, { cause: err })
    }
  }
  return createDynamoStore({
    tableName: config.ACX_DYNAMODB_TABLE!,
    ...(config.ACX_DYNAMODB_ENDPOINT ? { endpoint: config.ACX_DYNAMODB_ENDPOINT } : {}),
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
  })
}

/** Wires configuration, broker, clock, store, engine, execution manager, HTTP app and queue intake. */
export async function createService(config: ServiceConfig, logger: Logger, deps: ServiceDeps = {}): Promise<Service> {
  const clock =
    deps.clock ??
    (config.ACX_BROKER === 'sim' ? createRealClock({ scale: config.ACX_SIM_TIME_SCALE }) : createRealClock())
  const metrics = createMetrics()
  // the store first: if it cannot be used, that is the message an operator needs
  const store = deps.store ?? createStore(config)
  const rawBroker: ClosableBroker = deps.broker ?? createBroker(config, clock, logger)
  const broker = instrumentBroker(rawBroker, metrics)
  // the engine journals through the manager, and the manager runs executions on the engine
  const engineRef: { current?: Engine } = {}
  const manager = createExecutionManager({
    engine: () => engineRef.current!,
    store,
    clock,
    logger,
    metrics,
    maxConcurrent: config.ACX_MAX_CONCURRENT_EXECUTIONS,
    recovery: config.ACX_RECOVERY,
    workerId: config.ACX_WORKER_ID ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    leaseMs: config.ACX_LEASE_SECONDS * 1000,
    maxQueued: config.ACX_MAX_QUEUED_EXECUTIONS,
    ...(config.RISK_MAX_OPEN_NOTIONAL ? { maxOpenNotional: new Dec(config.RISK_MAX_OPEN_NOTIONAL) } : {}),
    openNotionalPolicy: config.RISK_OPEN_NOTIONAL_POLICY,
    storeProbeIntervalMs: config.ACX_STORE_PROBE_SECONDS * 1000,
    outsideHours: config.ACX_OUTSIDE_HOURS,
  })
  const engine = createEngine({ broker, clock, config: config.engine, logger, journal: manager.journal })
  engineRef.current = engine
  const app = buildApp({
    manager,
    metrics,
    logger,
    bodyLimitBytes: config.ACX_BODY_LIMIT_BYTES,
    maxEventStreams: config.ACX_MAX_EVENT_STREAMS,
    ...(config.ACX_API_TOKEN ? { apiToken: config.ACX_API_TOKEN } : {}),
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
      await rawBroker.close?.()
      await store.close()
    },
  }
}
