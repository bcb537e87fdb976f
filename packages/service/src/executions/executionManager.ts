import { randomUUID } from 'node:crypto'
import {
  Dec, type BrokerPort, type Clock, type Engine, type ExecutionJournal, type JournalEntry, type OrderIntent,
  type OrderIntentInput,
} from '@acx/engine'
import type { Logger } from 'pino'
import type { ServiceMetrics } from '../observability/metrics.js'
import type {
  ChildOrderRecord, ExecutionFilter, ExecutionRecord, ExecutionStore, FillRecord, ServiceExecutionStatus,
} from '../persistence/executionStore.js'
import { FINAL_STATUSES } from '../persistence/executionStore.js'
import { reconcileExecution } from './reconcile.js'

export type RecoveryPolicy = 'resume' | 'flatten' | 'fail'

export interface ExecutionTotals {
  /** Over every run of the execution (a resumed one has several), from the stored fills. */
  readonly filledQuantity: string
  readonly avgFillPrice: string | null
  readonly fillPercentage: number
  readonly childOrders: number
}

export interface ExecutionDetail {
  readonly record: ExecutionRecord
  readonly childOrders: readonly ChildOrderRecord[]
  readonly fills: readonly FillRecord[]
  readonly totals: ExecutionTotals
}

export type CancelOutcome = 'cancelled' | 'cancelling' | 'not_found' | 'already_final'

export interface ExecutionManager {
  /** False once draining: new intents are refused (503). */
  readonly accepting: boolean
  readonly running: number
  readonly queued: number
  /** The journal to give the engine: the store, plus metrics and the bookkeeping of stopped runs. */
  readonly journal: ExecutionJournal
  /** Stores the intent (idempotent by correlation id) and, when new, queues it. */
  submit(intent: OrderIntent): Promise<{ readonly record: ExecutionRecord; readonly created: boolean }>
  detail(id: string): Promise<ExecutionDetail | null>
  list(filter: ExecutionFilter): Promise<readonly ExecutionRecord[]>
  /** Stops an execution: its open child order is cancelled and confirmed and nothing more is sent. */
  cancel(id: string): Promise<CancelOutcome>
  /** After a restart: reconciles executions left `running` with the broker, then resumes, flattens or fails them per policy; re-queues `queued` ones. */
  recover(): Promise<void>
  /** Stops intake and brings running executions to a safe point (open child cancelled and confirmed), leaving them `running` in the store for the next start. */
  drain(timeoutMs: number): Promise<void>
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>
}

export interface ExecutionManagerOptions {
  /** Created with this manager's `journal` (see `createServiceEngine`). */
  readonly engine: () => Engine
  readonly store: ExecutionStore
  readonly broker: BrokerPort
  readonly clock: Clock
  readonly logger: Logger
  readonly metrics?: ServiceMetrics
  readonly maxConcurrent: number
  readonly recovery: RecoveryPolicy
  readonly newId?: () => string
}

export function totalsOf(record: ExecutionRecord, childOrders: readonly ChildOrderRecord[], fills: readonly FillRecord[]): ExecutionTotals {
  const qty = fills.reduce((s, f) => s.add(f.qty), new Dec(0))
  const value = fills.reduce((s, f) => s.add(new Dec(f.qty).mul(f.price)), new Dec(0))
  return {
    filledQuantity: qty.toString(),
    avgFillPrice: qty.isZero() ? null : value.div(qty).toDecimalPlaces(6).toString(),
    fillPercentage: qty.div(record.quantity).mul(100).toDecimalPlaces(4).toNumber(),
    childOrders: childOrders.length,
  }
}

/** The correlation id a resumed run sends its child orders under, so their client order ids are new. */
export const resumeCorrelationId = (correlationId: string, resume: number): string => `${correlationId}.r${resume}`

export function createExecutionManager(options: ExecutionManagerOptions): ExecutionManager {
  const { store, broker, clock, logger, metrics } = options
  const newId = options.newId ?? (() => `ex_${randomUUID()}`)
  const waiting: string[] = []
  const controllers = new Map<string, AbortController>()
  /** Runs stopped for shutdown: their end is not a finish, the next start resumes them. */
  const suspended = new Set<string>()
  /** Runs that continue an earlier one: their final status is decided over every run. */
  const continuing = new Set<string>()
  let accepting = true
  let idleWaiters: Array<() => void> = []

  const journal: ExecutionJournal = {
    async append(entry: JournalEntry) {
      if (entry.type === 'child_order_created') metrics?.childOrders.inc({ type: entry.order.type })
      if (entry.type !== 'execution_finished') return store.append(entry)
      if (suspended.has(entry.executionId)) return // stays `running` for the next start
      let status: ServiceExecutionStatus = entry.status
      if (continuing.has(entry.executionId)) status = await overallStatus(entry.executionId, entry.status)
      metrics?.executionFinished(entry.result, status)
      return store.append({ ...entry, status: status === 'queued' ? 'failed' : status })
    },
  }

  async function overallStatus(id: string, last: ServiceExecutionStatus): Promise<ServiceExecutionStatus> {
    const record = await store.getExecution(id)
    if (!record) return last
    const filled = (await store.fills(id)).reduce((s, f) => s.add(f.qty), new Dec(0))
    if (filled.eq(record.quantity)) return 'filled'
    if (last === 'cancelled') return 'cancelled'
    return filled.gt(0) ? 'partially_filled' : last
  }

  const notifyIdle = () => {
    if (waiting.length || controllers.size) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const w of waiters) w()
  }

  function pump(): void {
    while (accepting && controllers.size < options.maxConcurrent && waiting.length) {
      const id = waiting.shift()!
      const controller = new AbortController()
      controllers.set(id, controller)
      void runOne(id, controller.signal).finally(() => {
        controllers.delete(id)
        pump()
        notifyIdle()
      })
    }
    notifyIdle()
  }

  async function runOne(id: string, signal: AbortSignal): Promise<void> {
    const record = await store.getExecution(id)
    if (!record || FINAL_STATUSES.has(record.status)) return
    if (record.cancelRequested) {
      await store.setStatus(id, 'cancelled', clock.now())
      return
    }
    // the stored intent is JSON: the quantity is a decimal string, which execute() accepts
    const intent = record.intent as unknown as OrderIntentInput
    try {
      await options.engine().execute(intent, { executionId: id, signal })
    } catch (err) {
      logger.error({ err, executionId: id }, 'Execution failed')
      if (!suspended.has(id)) await store.setStatus(id, 'failed', clock.now())
    }
  }

  /** Runs the rest of an interrupted execution: `resume` replans, `flatten` sends one market order. */
  async function continueRun(record: ExecutionRecord, remaining: InstanceType<typeof Dec>, mode: 'resume' | 'flatten'): Promise<void> {
    const n = await store.markResumed(record.id, clock.now())
    const intent = record.intent as unknown as OrderIntentInput
    const next: OrderIntentInput = {
      ...intent,
      quantity: remaining.toString(),
      correlationId: resumeCorrelationId(record.correlationId, n),
      ...(mode === 'flatten' ? { strategy: 'market', urgency: 'HIGH' } : record.strategy ? { strategy: record.strategy } : {}),
    }
    continuing.add(record.id)
    const controller = new AbortController()
    controllers.set(record.id, controller)
    try {
      await options.engine().execute(next, { executionId: record.id, signal: controller.signal })
    } catch (err) {
      logger.error({ err, executionId: record.id }, 'Resumed execution failed')
      if (!suspended.has(record.id)) await store.setStatus(record.id, 'failed', clock.now())
    } finally {
      controllers.delete(record.id)
      continuing.delete(record.id)
      pump()
    }
  }

  return {
    journal,
    get accepting() {
      return accepting
    },
    get running() {
      return controllers.size
    },
    get queued() {
      return waiting.length
    },

    async submit(intent) {
      const result = await store.createExecution({ id: newId(), intent, nowMs: clock.now() })
      if (result.created) {
        waiting.push(result.record.id)
        pump()
      }
      return result
    },

    async detail(id) {
      const record = await store.getExecution(id)
      if (!record) return null
      const [childOrders, fills] = await Promise.all([store.childOrders(id), store.fills(id)])
      return { record, childOrders, fills, totals: totalsOf(record, childOrders, fills) }
    },

    list: (filter) => store.listExecutions(filter),

    async cancel(id) {
      const record = await store.getExecution(id)
      if (!record) return 'not_found'
      if (FINAL_STATUSES.has(record.status)) return 'already_final'
      await store.requestCancel(id, clock.now())
      const queuedAt = waiting.indexOf(id)
      if (queuedAt >= 0) {
        waiting.splice(queuedAt, 1)
        await store.setStatus(id, 'cancelled', clock.now())
        notifyIdle()
        return 'cancelled'
      }
      controllers.get(id)?.abort('cancel')
      return 'cancelling'
    },

    async recover() {
      for (const record of await store.unfinished()) {
        if (record.status === 'queued') {
          waiting.push(record.id)
          continue
        }
        const log = logger.child({ executionId: record.id, correlation_id: record.correlationId })
        try {
          const filled = await reconcileExecution(record.id, record.symbol, { store, journal, broker, clock, logger: log })
          const remaining = new Dec(record.quantity).sub(filled)
          log.info({ filled: filled.toString(), remaining: remaining.toString(), policy: options.recovery }, 'Recovered execution')
          if (remaining.lte(0)) {
            await store.setStatus(record.id, 'filled', clock.now())
          } else if (record.cancelRequested) {
            await store.setStatus(record.id, filled.gt(0) ? 'partially_filled' : 'cancelled', clock.now())
          } else if (options.recovery === 'fail') {
            await store.setStatus(record.id, filled.gt(0) ? 'partially_filled' : 'failed', clock.now())
          } else {
            void continueRun(record, remaining, options.recovery)
          }
        } catch (err) {
          log.error({ err }, 'Recovery failed; the execution stays running for the next start')
        }
      }
      pump()
    },

    async drain(timeoutMs) {
      accepting = false
      for (const [id, controller] of controllers) {
        suspended.add(id)
        controller.abort('shutdown')
      }
      const done = new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        notifyIdle()
      })
      // queued executions stay `queued` in the store; the next start picks them up
      waiting.length = 0
      notifyIdle()
      await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs).unref())])
    },

    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        notifyIdle()
      })
    },
  }
}
