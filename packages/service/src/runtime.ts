// What executes intents, without any intake: store, broker, clock, engine and execution manager. The HTTP
// service (createService.ts) adds the API, metrics and the SQS consumer on top; the Lambda handler uses
// it alone, so its bundle carries no HTTP server, no Prometheus client and no SQLite driver (those two
// SQLite modules are imported only when a setting names them).
import { Dec, createEngine, createRealClock, type BrokerPort, type Clock, type Engine } from '@acx/engine'
import { alpacaOptionsFromEnv, createAlpacaBroker } from '@acx/broker-alpaca'
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import type { ServiceConfig } from './config.js'
import { ServiceError } from './errors.js'
import { createExecutionManager, type ExecutionManager } from './executions/executionManager.js'
import { instrumentBroker } from './observability/instrumentBroker.js'
import type { ServiceMetrics } from './observability/metrics.js'
import { createDynamoStore } from './persistence/dynamoStore.js'
import type { ExecutionStore } from './persistence/executionStore.js'

/** A broker the runtime can close (the Alpaca adapter holds a trade-update stream open). */
type ClosableBroker = BrokerPort & { close?: () => Promise<void> }

/** The broker ACX_BROKER names: the simulated market, or Alpaca from the APCA_* settings. */
export async function createBroker(config: ServiceConfig, clock: Clock, logger: Logger): Promise<ClosableBroker> {
  if (config.ACX_BROKER === 'sim') return (await import('./simBroker.js')).createSimBroker(config, clock)
  if (!config.APCA_API_KEY_ID || !config.APCA_API_SECRET_KEY)
    throw new ServiceError(
      'SERVICE_CONFIG_INVALID',
      config.ACX_ALPACA_SECRET_ARN
        ? 'ACX_ALPACA_SECRET_ARN: the keys were not read from the secret (resolveAlpacaKeys)'
        : 'APCA_API_KEY_ID and APCA_API_SECRET_KEY are required when ACX_BROKER=alpaca',
    )
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
export const storeSetting = (config: ServiceConfig): string =>
  config.ACX_STORE === 'sqlite'
    ? `ACX_DB_PATH=${config.ACX_DB_PATH}`
    : `ACX_DYNAMODB_TABLE=${config.ACX_DYNAMODB_TABLE ?? ''}`

/**
 * The store ACX_STORE names: SQLite at ACX_DB_PATH (its driver loaded only then), or the DynamoDB table
 * ACX_DYNAMODB_TABLE with items expiring ACX_RETENTION_DAYS after their last write. A store that cannot
 * be used throws a `ServiceError` (`SERVICE_STORE_*`) whose message starts with the setting.
 */
export async function createStore(config: ServiceConfig): Promise<ExecutionStore> {
  if (config.ACX_STORE === 'sqlite') return (await import('./sqliteStoreFor.js')).sqliteStoreFor(config)
  return createDynamoStore({
    tableName: config.ACX_DYNAMODB_TABLE!,
    retentionDays: config.ACX_RETENTION_DAYS,
    ...(config.ACX_DYNAMODB_ENDPOINT ? { endpoint: config.ACX_DYNAMODB_ENDPOINT } : {}),
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
  })
}

export interface RuntimeDeps {
  /** Overrides the broker chosen by ACX_BROKER (tests). */
  readonly broker?: BrokerPort
  readonly clock?: Clock
  readonly store?: ExecutionStore
  /** Prometheus metrics (the HTTP service); none on Lambda, where the log lines are the metrics. */
  readonly metrics?: ServiceMetrics
  /** Wraps the venue's broker before it is instrumented (the dashboard's quote tape). */
  readonly wrapBroker?: (broker: BrokerPort, clock: Clock) => BrokerPort
}

export interface Runtime {
  readonly config: ServiceConfig
  readonly engine: Engine
  readonly manager: ExecutionManager
  readonly store: ExecutionStore
  readonly broker: BrokerPort
  readonly clock: Clock
  /** Closes the broker and the store (after the manager has drained). */
  close(): Promise<void>
}

/** Wires store, broker, clock, engine and execution manager from the configuration. */
export async function createRuntime(config: ServiceConfig, logger: Logger, deps: RuntimeDeps = {}): Promise<Runtime> {
  const { metrics } = deps
  const clock =
    deps.clock ??
    (config.ACX_BROKER === 'sim' ? createRealClock({ scale: config.ACX_SIM_TIME_SCALE }) : createRealClock())
  // the store first: if it cannot be used, that is the message an operator needs
  const store = deps.store ?? (await createStore(config))
  const rawBroker: ClosableBroker = deps.broker ?? (await createBroker(config, clock, logger))
  const wrapped = deps.wrapBroker ? deps.wrapBroker(rawBroker, clock) : rawBroker
  const broker = metrics ? instrumentBroker(wrapped, metrics) : wrapped
  // the engine journals through the manager, and the manager runs executions on the engine
  const engineRef: { current?: Engine } = {}
  const manager = createExecutionManager({
    engine: () => engineRef.current!,
    store,
    clock,
    logger,
    ...(metrics ? { metrics } : {}),
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
  return {
    config,
    engine,
    manager,
    store,
    broker,
    clock,
    async close() {
      await rawBroker.close?.()
      await store.close()
    },
  }
}
