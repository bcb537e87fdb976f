import { randomUUID } from 'node:crypto'
import {
  Dec, type BrokerOrderId, type ChildOrder, type ClientOrderId, type Engine, type ExecuteOptions,
  type ExecutionJournal, type FillId, type JournalEntry, type OrderIntent, type OrderIntentInput, type OrderStatus,
  type Clock,
} from '@acx/engine'
import type { Logger } from 'pino'
import type { ServiceMetrics } from '../observability/metrics.js'
import type {
  ChildOrderRecord, ExecutionFilter, ExecutionRecord, ExecutionStore, FillRecord,
} from '../persistence/executionStore.js'
import { FINAL_STATUSES } from '../persistence/executionStore.js'

export type RecoveryPolicy = 'resume' | 'flatten' | 'fail'

export interface ExecutionTotals {
  /** From the stored fills, over every run of the execution. */
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
  /**
   * After a restart: executions left `running` are handed to the engine's resume (reconciled with the
   * broker by client order id, then continued, flattened or finished per policy); `queued` ones are
   * queued again.
   */
  recover(): Promise<void>
  /** Stops intake and brings running executions to a safe point (open child cancelled and confirmed), leaving them `running` in the store for the next start. */
  drain(timeoutMs: number): Promise<void>
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>
  /**
   * Takes over executions nobody holds (their worker stopped or died and its lease expired): each is
   * leased, then resumed (or queued) exactly as a restart would. `recover()` does this once at start;
   * call it periodically when several workers share a store.
   */
  takeOver(): Promise<number>
}

export interface ExecutionManagerOptions {
  /** The engine, created with this manager's `journal`. */
  readonly engine: () => Engine
  readonly store: ExecutionStore
  readonly clock: Clock
  readonly logger: Logger
  readonly metrics?: ServiceMetrics
  readonly maxConcurrent: number
  readonly recovery: RecoveryPolicy
  readonly newId?: () => string
  /** This worker's name in leases; unique per process. */
  readonly workerId: string
  /** How long a lease lasts without renewal, ms; renewed every third of it while the execution runs. */
  readonly leaseMs: number
  /** Wall-clock time for leases (not the execution clock, which may be scaled). Default `Date.now`. */
  readonly wallNow?: () => number
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

/**
 * A stored child order as the engine tracks it. Filled quantity, average price and fill ids come from
 * the fills table, which a crash between a fill and the child's update cannot leave behind.
 */
function toChildOrder(r: ChildOrderRecord, symbol: string, fills: readonly FillRecord[]): ChildOrder {
  const own = fills.filter((f) => f.clientOrderId === r.clientOrderId)
  const filledQty = own.reduce((s, f) => s.add(f.qty), new Dec(0))
  const value = own.reduce((s, f) => s.add(new Dec(f.qty).mul(f.price)), new Dec(0))
  return {
    clientOrderId: r.clientOrderId as ClientOrderId,
    ...(r.brokerOrderId ? { brokerOrderId: r.brokerOrderId as BrokerOrderId } : {}),
    symbol,
    side: r.side,
    type: r.type,
    qty: new Dec(r.qty),
    ...(r.limitPrice ? { limitPrice: new Dec(r.limitPrice) } : {}),
    sliceIndex: r.sliceIndex,
    attempt: r.attempt,
    status: r.status as OrderStatus,
    filledQty,
    avgPx: filledQty.isZero() ? new Dec(0) : value.div(filledQty),
    fillIds: own.map((f) => f.fillId as FillId),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }
}

interface Job {
  readonly id: string
  /** For an execution interrupted by a restart: how to continue it. */
  readonly resume?: { readonly options: NonNullable<ExecuteOptions['resume']>; readonly mode: RecoveryPolicy | 'cancel' }
}

export function createExecutionManager(options: ExecutionManagerOptions): ExecutionManager {
  const { store, clock, logger, metrics } = options
  const newId = options.newId ?? (() => `ex_${randomUUID()}`)
  const wallNow = options.wallNow ?? Date.now
  const waiting: Job[] = []
  const controllers = new Map<string, AbortController>()
  /** Runs stopped for shutdown: their end is not a finish; the next start resumes them. */
  const suspended = new Set<string>()
  /** Resumed runs under ACX_RECOVERY=fail: reconciled, then finished as they stand. */
  const failing = new Set<string>()
  let accepting = true
  let idleWaiters: Array<() => void> = []

  const journal: ExecutionJournal = {
    async append(entry: JournalEntry) {
      if (entry.type === 'child_order_created') {
        // Fencing: an order is sent only while this worker holds the execution. The engine journals a
        // child before sending it, so a worker whose lease was taken over stops here, before the send.
        if (!(await store.renewLease(entry.executionId, options.workerId, wallNow(), options.leaseMs))) {
          suspended.add(entry.executionId)
          throw new Error(`lease on ${entry.executionId} lost: another worker holds it`)
        }
        metrics?.childOrders.inc({ type: entry.order.type })
      }
      if (entry.type !== 'execution_finished') return store.append(entry)
      if (suspended.has(entry.executionId)) return // stays `running` for the next start
      let status = entry.status
      if (failing.has(entry.executionId)) status = entry.result.totalFilled.gt(0) ? 'partially_filled' : 'failed'
      metrics?.executionFinished(entry.result, status)
      return store.append({ ...entry, status })
    },
  }

  const notifyIdle = () => {
    if (waiting.length || controllers.size) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const w of waiters) w()
  }

  function pump(): void {
    while (accepting && controllers.size < options.maxConcurrent && waiting.length) {
      const job = waiting.shift()!
      const controller = new AbortController()
      controllers.set(job.id, controller)
      void run(job, controller).finally(() => {
        controllers.delete(job.id)
        failing.delete(job.id)
        pump()
        notifyIdle()
      })
    }
    notifyIdle()
  }

  /** Holds the lease while `work` runs: renews it, and stops the run (to a safe point) if it is lost. */
  async function leased(id: string, controller: AbortController, work: () => Promise<void>): Promise<void> {
    if (!(await store.acquireLease(id, options.workerId, wallNow(), options.leaseMs))) {
      logger.info({ executionId: id }, 'Execution held by another worker; not run here')
      return
    }
    let lost = false
    const tick = async (): Promise<void> => {
      const held = await store.renewLease(id, options.workerId, wallNow(), options.leaseMs)
      if (!held) {
        if (lost) return
        lost = true
        logger.error({ executionId: id }, 'Lease lost: stopping at a safe point; the new holder resumes it')
        suspended.add(id)
        controller.abort('lease_lost')
        return
      }
      // a cancel may have been asked of another worker (POST /v1/orders/:id/cancel anywhere)
      if (!controller.signal.aborted && (await store.getExecution(id))?.cancelRequested) controller.abort('cancel')
    }
    const timer = setInterval(() => {
      tick().catch((err: unknown) => logger.warn({ err, executionId: id }, 'Lease renewal failed; retrying'))
    }, Math.max(1, Math.floor(options.leaseMs / 3)))
    timer.unref()
    try {
      await work()
    } finally {
      clearInterval(timer)
      if (!lost) await store.releaseLease(id, options.workerId)
    }
  }

  async function run(job: Job, controller: AbortController): Promise<void> {
    await leased(job.id, controller, () => runLeased(job, controller))
  }

  async function runLeased(job: Job, controller: AbortController): Promise<void> {
    const record = await store.getExecution(job.id)
    if (!record || FINAL_STATUSES.has(record.status)) return
    if (record.cancelRequested && !job.resume) {
      await store.setStatus(job.id, 'cancelled', clock.now())
      return
    }
    // the stored intent is JSON (quantity a decimal string), which execute() accepts
    let intent = record.intent as unknown as OrderIntentInput
    if (job.resume) {
      const { mode } = job.resume
      if (mode === 'flatten') intent = { ...intent, strategy: 'market', urgency: 'HIGH' }
      if (mode === 'fail') failing.add(job.id)
      // reconcile only: the engine still checks every child with the broker, then sends nothing more
      if (mode === 'fail' || mode === 'cancel') controller.abort(mode)
    }
    try {
      await options.engine().execute(intent, {
        executionId: job.id, signal: controller.signal, ...(job.resume ? { resume: job.resume.options } : {}),
      })
    } catch (err) {
      logger.error({ err, executionId: job.id }, 'Execution failed')
      // a failed journal write or reconciliation leaves the execution `running` for the next start
      if (!suspended.has(job.id) && !job.resume) await store.setStatus(job.id, 'failed', clock.now())
    }
  }

  /** Jobs for executions nobody holds; see `ExecutionManager.takeOver`. */
  async function takeOver(): Promise<number> {
    let taken = 0
    for (const record of await store.orphaned(wallNow())) {
      if (controllers.has(record.id) || waiting.some((j) => j.id === record.id)) continue
      // lease first, so that of several workers taking over at once one proceeds; the run renews it
      if (!(await store.acquireLease(record.id, options.workerId, wallNow(), options.leaseMs))) continue
      const start = record.status === 'running' ? await store.runStart(record.id) : null
      if (start === null) {
        // never started (or stopped before its first journal entry): start from scratch
        waiting.push({ id: record.id })
        taken++
        continue
      }
      const [childRecords, fills] = await Promise.all([store.childOrders(record.id), store.fills(record.id)])
      const resumes = await store.markResumed(record.id, clock.now())
      const mode = record.cancelRequested ? 'cancel' : options.recovery
      logger.info(
        { executionId: record.id, correlation_id: record.correlationId, resumes, mode, child_orders: childRecords.length },
        'Recovering execution',
      )
      waiting.push({
        id: record.id,
        resume: {
          mode,
          options: {
            startedAt: start.startedAt,
            children: childRecords.map((r) => toChildOrder(r, record.symbol, fills)),
            arrivalMid: start.arrivalMid === null ? null : new Dec(start.arrivalMid),
          },
        },
      })
      taken++
    }
    pump()
    return taken
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
        waiting.push({ id: result.record.id })
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
      const queuedAt = waiting.findIndex((j) => j.id === id && !j.resume)
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
      await takeOver()
    },

    takeOver,

    async drain(timeoutMs) {
      accepting = false
      // queued executions stay `queued` in the store; the next start picks them up
      waiting.length = 0
      for (const [id, controller] of controllers) {
        suspended.add(id)
        controller.abort('shutdown')
      }
      const done = new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        notifyIdle()
      })
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
