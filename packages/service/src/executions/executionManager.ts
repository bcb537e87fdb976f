import { randomUUID } from 'node:crypto'
import {
  Dec,
  type AssessmentRefusal,
  type BrokerOrderId,
  type ChildOrder,
  type ClientOrderId,
  type Engine,
  type ExecuteOptions,
  type ExecutionJournal,
  type FillId,
  type IntentAssessment,
  type JournalEntry,
  type MarketClock,
  type OrderIntent,
  type OrderIntentInput,
  type Clock,
} from '@acx/engine'
import type { Decimal } from 'decimal.js'
import type { Logger } from 'pino'
import { ServiceError } from '../errors.js'
import type { ServiceMetrics } from '../observability/metrics.js'
import type {
  ChildOrderRecord,
  ExecutionFilter,
  ExecutionRecord,
  ExecutionStore,
  FillRecord,
  HaltRecord,
  StoredJournalEntry,
} from '../persistence/executionStore.js'
import { FINAL_STATUSES } from '../persistence/executionStore.js'

import { PROGRESS_ENTRY_TYPES, progressOf, type ExecutionProgress } from './executionProgress.js'
import { differingFields } from './sameIntent.js'
import { createStoreHealth } from './storeHealth.js'

export type RecoveryPolicy = 'resume' | 'flatten' | 'fail'

export interface ExecutionDetail {
  readonly record: ExecutionRecord
  readonly childOrders: readonly ChildOrderRecord[]
  readonly fills: readonly FillRecord[]
  readonly progress: ExecutionProgress
}

/** An execution in a listing: its record and where it stands. */
export interface ExecutionListing {
  readonly record: ExecutionRecord
  readonly progress: ExecutionProgress
}

export type CancelOutcome = 'cancelled' | 'cancelling' | 'not_found' | 'already_final'

/** Why the service should not get new orders now; empty when ready. */
export type NotReadyReason = 'draining' | 'store_unavailable' | 'halted' | 'queue_full'

export interface Readiness {
  readonly ready: boolean
  readonly reasons: readonly NotReadyReason[]
  readonly running: number
  readonly queued: number
  /** The last store failure while the store is down. */
  readonly storeError: string | null
  readonly halt: HaltRecord | null
}

/** What happens to an intent past RISK_MAX_OPEN_NOTIONAL: it waits for room, or is refused (422). */
export type OpenNotionalPolicy = 'queue' | 'reject'

export interface ExecutionManager {
  /** False once draining: new intents are refused (503). */
  readonly accepting: boolean
  readonly running: number
  readonly queued: number
  /** The journal to give the engine: the store, plus metrics and the bookkeeping of stopped runs. */
  readonly journal: ExecutionJournal
  /** Calls `listener` with the execution id after each journal entry this process writes; returns the unsubscribe. */
  onEntry(listener: (executionId: string) => void): () => void
  /**
   * Admits an intent: idempotent by correlation id (an identical replay returns the stored execution,
   * `created: false`; a different order under a used id throws `SERVICE_IDEMPOTENCY_CONFLICT`), then the
   * intake bounds — halt (`SERVICE_HALTED`), store down (`SERVICE_STORE_UNAVAILABLE`), queue full
   * (`SERVICE_QUEUE_FULL`), then the engine's assessment at the venue: its risk limits and
   * RISK_MAX_OPEN_NOTIONAL (`SERVICE_RISK_LIMIT`), what the venue would refuse (`SERVICE_ORDER_REFUSED`
   * with the engine's code as `reason`; `SERVICE_VENUE_UNAVAILABLE` when it cannot be asked) and the
   * market clock — then stores it as `queued` and queues it, or, while its market is closed, as
   * `scheduled` for the next open (ACX_OUTSIDE_HOURS=queue; `reject` refuses it, reason
   * `market_closed`). A refused intent stores nothing.
   */
  submit(intent: OrderIntent): Promise<{ readonly record: ExecutionRecord; readonly created: boolean }>
  readiness(): Readiness
  /** The kill switch: stored (so it survives a restart and reaches every worker), intake refused, running executions stopped at a safe point and finished as `cancelled` (`halted`). */
  halt(reason: string): Promise<HaltRecord>
  /** Lifts the kill switch; queued executions start again. */
  resume(): Promise<void>
  /** Deletes finished executions created before `beforeMs`; returns how many. */
  prune(beforeMs: number): Promise<number>
  /** Sum over running executions of their unfilled quantity at their reference price. */
  openNotional(): Decimal
  /** One execution's stored record; null when unknown. */
  record(id: string): Promise<ExecutionRecord | null>
  /** One execution with its child orders, fills and progress; null when unknown. */
  detail(id: string): Promise<ExecutionDetail | null>
  /** The execution admitted under a correlation id; null when none was. */
  byCorrelationId(correlationId: string): Promise<ExecutionDetail | null>
  /** Executions newest first, each with its progress. */
  list(filter: ExecutionFilter): Promise<readonly ExecutionListing[]>
  /**
   * What the engine finds out about an intent at the venue, sending nothing (`POST /v1/preview`); a
   * refusal throws the same error intake would (`SERVICE_RISK_LIMIT`, `SERVICE_ORDER_REFUSED`, …).
   */
  assess(intent: OrderIntent): Promise<Extract<IntentAssessment, { ok: true }>>
  /** The execution clock's time, epoch ms. */
  now(): number
  /** The whole journal after an entry id, at most `limit` entries; null when the store keeps no global order. */
  journalAfter(afterId: string | undefined, limit: number): Promise<readonly StoredJournalEntry[] | null>
  /** The execution's journal entries, oldest first, after an entry id (what an event stream resumes from). */
  entries(id: string, afterId?: string): Promise<readonly StoredJournalEntry[]>
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
  /** Executions waiting to start, at most (ACX_MAX_QUEUED_EXECUTIONS); past it intake answers 429. Default 10,000. */
  readonly maxQueued?: number
  /** RISK_MAX_OPEN_NOTIONAL; none when undefined. */
  readonly maxOpenNotional?: Decimal
  /** RISK_OPEN_NOTIONAL_POLICY; default `queue`. */
  readonly openNotionalPolicy?: OpenNotionalPolicy
  /** While the store is down, how often a write probe runs, ms. Default 2,000. */
  readonly storeProbeIntervalMs?: number
  /**
   * ACX_OUTSIDE_HOURS: an intent that arrives while its market is closed (or inside the close margin) is
   * stored `scheduled` and starts at the next open (`queue`, the default), or refused 422 `market_closed`.
   */
  readonly outsideHours?: OutsideHoursPolicy
}

/** What happens to an intent while its market is closed; see `ExecutionManagerOptions.outsideHours`. */
export type OutsideHoursPolicy = 'queue' | 'reject'

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
    status: r.status,
    filledQty,
    avgPx: filledQty.isZero() ? new Dec(0) : value.div(filledQty),
    fillIds: own.map((f) => f.fillId as FillId),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }
}

interface Job {
  readonly id: string
  /** Quantity and reference price, for the open-notional limit (unknown price: counts as zero). */
  readonly quantity?: Decimal
  readonly price?: Decimal | null
  /** For an execution interrupted by a restart: how to continue it. */
  readonly resume?: {
    readonly options: NonNullable<ExecuteOptions['resume']>
    readonly mode: RecoveryPolicy | 'cancel'
  }
}

export function createExecutionManager(options: ExecutionManagerOptions): ExecutionManager {
  const { store, clock, logger, metrics } = options
  const newId = options.newId ?? (() => `ex_${randomUUID()}`)
  const wallNow = options.wallNow ?? Date.now
  const maxQueued = options.maxQueued ?? 10_000
  const policy = options.openNotionalPolicy ?? 'queue'
  const outsideHours = options.outsideHours ?? 'queue'
  const waiting: Job[] = []
  const controllers = new Map<string, AbortController>()
  /** Runs stopped for shutdown, a lost lease or a store failure: their end is not a finish; they are resumed later. */
  const suspended = new Set<string>()
  /** Runs whose lease must not be released when they stop (a submit outcome still unknown): taken over once it expires. */
  const keepLease = new Set<string>()
  /** Resumed runs under ACX_RECOVERY=fail: reconciled, then finished as they stand. */
  const failing = new Set<string>()
  /** Unfilled quantity and reference price of each running execution (the open-notional limit). */
  const open = new Map<string, { quantity: Decimal; filled: Decimal; price: Decimal | null }>()
  let accepting = true
  let halt: HaltRecord | null = null
  let idleWaiters: Array<() => void> = []
  /** The next wake-up for executions this worker scheduled (the rest start on a take-over scan). */
  let wake: { readonly atMs: number; readonly stop: AbortController } | null = null

  /** Takes over scheduled executions at `atMs` (engine clock): the earliest pending wake-up wins. */
  const wakeAt = (atMs: number): void => {
    if (!accepting || (wake !== null && wake.atMs <= atMs)) return
    wake?.stop.abort()
    const mine = { atMs, stop: new AbortController() }
    wake = mine
    void clock.sleep(Math.max(0, atMs - clock.now()), mine.stop.signal).then(() => {
      if (mine.stop.signal.aborted) return
      if (wake === mine) wake = null
      takeOver().catch((err: unknown) => logger.error({ err }, 'Starting scheduled executions failed'))
    })
  }

  const health = createStoreHealth({
    store,
    logger,
    wallNow,
    probeIntervalMs: options.storeProbeIntervalMs ?? 2_000,
    onDown: () => {
      metrics?.storeUp.set(0)
      // nothing new can be journaled: every running execution stops at a safe point, to be resumed
      for (const [id, controller] of controllers) {
        suspended.add(id)
        controller.abort('pause')
      }
    },
    onUp: () => {
      metrics?.storeUp.set(1)
      takeOver().catch((err: unknown) => logger.error({ err }, 'Take-over after the store recovered failed'))
    },
  })

  /** A store call on a request's path: its failure is a 503, and a failed write marks the store down. */
  async function stored<T>(what: 'read' | 'write', fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (what === 'write') health.failed(err)
      throw new ServiceError('SERVICE_STORE_UNAVAILABLE', undefined, { cause: err, retryAfterSeconds: 5 })
    }
  }

  const applyHalt = (record: HaltRecord | null): void => {
    const was = halt
    halt = record
    metrics?.halted.set(record ? 1 : 0)
    if (record) {
      options.engine().risk.halt(record.reason)
      if (!was) {
        logger.warn(
          { reason: record.reason, running: controllers.size },
          'Trading halted: intake refused, running executions stopping',
        )
        for (const controller of controllers.values()) controller.abort('halt')
      }
    } else {
      options.engine().risk.resume()
      if (was) logger.warn({}, 'Trading resumed')
      pump()
    }
  }

  /** Told the id of each execution whose journal grew here (event streams wake on it). */
  const listeners = new Set<(executionId: string) => void>()
  const emit = (executionId: string): void => {
    for (const l of listeners) l(executionId)
  }

  const journal: ExecutionJournal = {
    async append(entry: JournalEntry) {
      await appendEntry(entry)
      emit(entry.executionId)
    },
  }

  /** Writes an entry: write-ahead and fencing for child orders, the bookkeeping of stopped runs for finishes. */
  async function appendEntry(entry: JournalEntry): Promise<void> {
    if (entry.type === 'child_order_created') {
      // Write-ahead: an order is sent only once it is stored, so nothing is sent while the store is down.
      if (!health.up || health.pendingEntries > 0)
        throw new ServiceError(
          'SERVICE_STORE_UNAVAILABLE',
          `store unavailable: ${health.reason ?? 'catching up'}; not sending`,
        )
      // Fencing: an order is sent only while this worker holds the execution. The engine journals a
      // child before sending it, so a worker whose lease was taken over stops here, before the send.
      let held: boolean
      try {
        held = await store.renewLease(entry.executionId, options.workerId, wallNow(), options.leaseMs)
      } catch (err) {
        health.failed(err)
        throw err
      }
      if (!held) {
        suspended.add(entry.executionId)
        throw new ServiceError(
          'SERVICE_STORE_LEASE_LOST',
          `lease on ${entry.executionId} lost: another worker holds it`,
        )
      }
      try {
        await store.append(entry)
      } catch (err) {
        health.failed(err)
        throw err
      }
      metrics?.childOrders.inc({ type: entry.order.type })
      return
    }
    if (entry.type === 'fill') {
      const o = open.get(entry.executionId)
      if (o) o.filled = o.filled.add(entry.fill.qty)
    }
    if (entry.type === 'risk_check_failed') metrics?.riskRefusals.inc({ check: entry.code, stage: 'order' })
    if (entry.type !== 'execution_finished') return health.write(entry)
    if (entry.result.error?.code === 'outcome_unknown') {
      // an order may exist that nobody watches: not a finish; whoever takes the lease over reconciles it
      suspended.add(entry.executionId)
      keepLease.add(entry.executionId)
    }
    if (suspended.has(entry.executionId)) return // stays `running` for the next start
    if (await closedBeforeSending(entry)) return
    let status = entry.status
    if (failing.has(entry.executionId)) status = entry.result.totalFilled.gt(0) ? 'partially_filled' : 'failed'
    metrics?.executionFinished(entry.result, status)
    return health.write({ ...entry, status })
  }

  /**
   * A run the market's close stopped before it sent anything (it opens at `retryAtMs`): under
   * ACX_OUTSIDE_HOURS=queue the execution is stored `scheduled` and starts afresh at the open; otherwise
   * (or if it had sent orders in an earlier run, or the venue gave no open) it finishes as it stands.
   */
  async function closedBeforeSending(entry: Extract<JournalEntry, { type: 'execution_finished' }>): Promise<boolean> {
    const error = entry.result.error
    if (error?.code !== 'market_closed' || error.retryAtMs === undefined || outsideHours !== 'queue') return false
    if (failing.has(entry.executionId) || !entry.result.totalFilled.isZero()) return false
    try {
      if ((await store.childOrders(entry.executionId)).length > 0) return false
      await store.reschedule(entry, error.retryAtMs)
    } catch (err) {
      health.failed(err)
      throw err
    }
    metrics?.scheduled.inc()
    logger.info(
      {
        executionId: entry.executionId,
        correlation_id: entry.result.correlationId,
        symbol: entry.result.symbol,
        not_before: new Date(error.retryAtMs).toISOString(),
      },
      'Market closed: execution scheduled for the open',
    )
    wakeAt(error.retryAtMs)
    return true
  }

  const notifyIdle = () => {
    if (waiting.length || controllers.size) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const w of waiters) w()
  }

  const openNotional = (): Decimal => {
    let sum = new Dec(0)
    for (const o of open.values()) if (o.price) sum = sum.add(o.quantity.sub(o.filled).mul(o.price))
    return sum
  }

  /** Whether a new (not resumed) job may start now under RISK_MAX_OPEN_NOTIONAL. */
  const fits = (job: Job): boolean => {
    if (options.maxOpenNotional === undefined || !job.price || !job.quantity || open.size === 0) return true
    return !openNotional().add(job.quantity.mul(job.price)).gt(options.maxOpenNotional)
  }

  function pump(): void {
    while (accepting && health.up && controllers.size < options.maxConcurrent && waiting.length) {
      // resumed runs always go (they were open before; under a halt they only reconcile); new ones wait
      // for the halt to lift and for room under the open-notional limit, first come first served
      const at = waiting.findIndex((j) => j.resume !== undefined)
      const index = at >= 0 ? at : halt === null && fits(waiting[0] as Job) ? 0 : -1
      if (index < 0) break
      const job = waiting.splice(index, 1)[0] as Job
      const controller = new AbortController()
      controllers.set(job.id, controller)
      if (job.quantity) open.set(job.id, { quantity: job.quantity, filled: new Dec(0), price: job.price ?? null })
      run(job, controller)
        .catch((err: unknown) =>
          logger.error({ err, executionId: job.id }, 'Execution run failed; it stays unfinished for a later take-over'),
        )
        .finally(() => {
          controllers.delete(job.id)
          open.delete(job.id)
          failing.delete(job.id)
          keepLease.delete(job.id)
          pump()
          notifyIdle()
        })
    }
    metrics?.queueDepth.set(waiting.length)
    notifyIdle()
  }

  /** Holds the lease while `work` runs: renews it, and stops the run (to a safe point) if it is lost. */
  async function leased(id: string, controller: AbortController, work: () => Promise<void>): Promise<void> {
    let acquired: boolean
    try {
      acquired = await store.acquireLease(id, options.workerId, wallNow(), options.leaseMs)
    } catch (err) {
      health.failed(err)
      return // still queued or running in the store: taken over once the store is back
    }
    if (!acquired) {
      logger.info({ executionId: id }, 'Execution held by another worker; not run here')
      return
    }
    let lost = false
    const tick = async (): Promise<void> => {
      let held: boolean
      try {
        held = await store.renewLease(id, options.workerId, wallNow(), options.leaseMs)
      } catch (err) {
        health.failed(err)
        return
      }
      if (!held) {
        if (lost) return
        lost = true
        logger.error({ executionId: id }, 'Lease lost: stopping at a safe point; the new holder resumes it')
        suspended.add(id)
        controller.abort('pause')
        return
      }
      // a cancel may have been asked of another worker (POST /v1/orders/:id/cancel anywhere)
      if (!controller.signal.aborted && (await store.getExecution(id))?.cancelRequested) controller.abort('cancel')
    }
    const timer = setInterval(
      () => {
        tick().catch((err: unknown) => logger.warn({ err, executionId: id }, 'Lease renewal failed; retrying'))
      },
      Math.max(1, Math.floor(options.leaseMs / 3)),
    )
    timer.unref()
    try {
      await work()
    } finally {
      clearInterval(timer)
      if (!lost && !keepLease.has(id)) {
        if (!health.up) health.releaseLater(id, options.workerId)
        else {
          await store.releaseLease(id, options.workerId).catch((err: unknown) => {
            health.failed(err)
            health.releaseLater(id, options.workerId)
          })
        }
      }
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
    if (halt !== null && !controller.signal.aborted) controller.abort('halt')
    try {
      await options.engine().execute(intent, {
        executionId: job.id,
        signal: controller.signal,
        ...(job.resume ? { resume: job.resume.options } : {}),
      })
    } catch (err) {
      logger.error({ err, executionId: job.id }, 'Execution failed')
      // a failed journal write or reconciliation leaves the execution `running` for the next start
      if (!suspended.has(job.id) && !job.resume && health.up) {
        await store.setStatus(job.id, 'failed', clock.now()).catch((e: unknown) => health.failed(e))
      }
    } finally {
      suspended.delete(job.id)
    }
  }

  /** Jobs for executions nobody holds; see `ExecutionManager.takeOver`. */
  async function takeOver(): Promise<number> {
    if (!health.up && !(await health.check())) return 0
    // a halt or resume asked of another worker reaches this one here
    const storedHalt = await store.getHalt().catch(() => undefined)
    if (storedHalt !== undefined && (storedHalt === null) !== (halt === null)) applyHalt(storedHalt)
    let taken = 0
    for (const record of await store.orphaned(wallNow(), clock.now())) {
      if (controllers.has(record.id) || waiting.some((j) => j.id === record.id)) continue
      // never more waiting in memory than the bound: the rest stays in the store for a later scan
      if (waiting.length >= maxQueued) break
      // lease first, so that of several workers taking over at once one proceeds; the run renews it
      if (!(await store.acquireLease(record.id, options.workerId, wallNow(), options.leaseMs))) continue
      const start = record.status === 'running' ? await store.runStart(record.id) : null
      const sizing = {
        quantity: new Dec(record.quantity),
        price: record.referencePrice === null ? null : new Dec(record.referencePrice),
      }
      if (start === null) {
        // never started (or stopped before its first journal entry): start from scratch
        waiting.push({ id: record.id, ...sizing })
        taken++
        continue
      }
      const [childRecords, fills] = await Promise.all([store.childOrders(record.id), store.fills(record.id)])
      const resumes = await store.markResumed(record.id, clock.now())
      const mode = record.cancelRequested || halt !== null ? 'cancel' : options.recovery
      logger.info(
        {
          executionId: record.id,
          correlation_id: record.correlationId,
          resumes,
          mode,
          child_orders: childRecords.length,
        },
        'Recovering execution',
      )
      waiting.push({
        id: record.id,
        ...sizing,
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

  const queueFull = (): boolean => waiting.filter((j) => !j.resume).length >= maxQueued

  /** The stored execution for a replay of its correlation id, or a 409 naming what differs. */
  const replay = (record: ExecutionRecord, intent: OrderIntent) => {
    const diff = differingFields(record.intent, intent)
    if (diff.length > 0) {
      throw new ServiceError(
        'SERVICE_IDEMPOTENCY_CONFLICT',
        `correlationId ${intent.correlationId} was used for a different order (${diff.map((d) => d.field).join(', ')} differ)`,
        { issues: diff.map((d) => ({ path: d.field, message: `stored ${d.stored}, sent ${d.sent}` })) },
      )
    }
    return { record, created: false }
  }

  const refuseRisk = (limit: string, message: string): never => {
    metrics?.riskRefusals.inc({ check: limit, stage: 'intake' })
    throw new ServiceError('SERVICE_RISK_LIMIT', message, { limit })
  }

  /** An assessment's refusal as the answer to a request. */
  const refuse = (refusal: AssessmentRefusal): never => {
    if (refusal.kind === 'risk') {
      if (refusal.code === 'RISK_HALTED') throw new ServiceError('SERVICE_HALTED', refusal.message)
      return refuseRisk(refusal.code, refusal.message)
    }
    if (refusal.code === 'broker_error')
      throw new ServiceError('SERVICE_VENUE_UNAVAILABLE', refusal.message, { retryAfterSeconds: 5 })
    throw new ServiceError('SERVICE_ORDER_REFUSED', refusal.message, { reason: refusal.code })
  }

  /**
   * When an intent may start if its market is closed now — or closes within the close margin, which an
   * execution would refuse to start in: the next open (null when the venue gave none); undefined when open.
   */
  const closedUntil = (market: MarketClock | null): number | null | undefined => {
    if (market === null || market.alwaysOpen) return undefined
    const marginMs = options.engine().config.execution.closeMarginSeconds * 1000
    const closing = market.nextCloseMs !== null && market.nextCloseMs - clock.now() <= marginMs
    return market.isOpen && !closing ? undefined : market.nextOpenMs
  }

  async function assess(intent: OrderIntent): Promise<Extract<IntentAssessment, { ok: true }>> {
    const assessment = await options.engine().assess(intent)
    return assessment.ok ? assessment : refuse(assessment.refusal)
  }

  async function detailOf(record: ExecutionRecord | null): Promise<ExecutionDetail | null> {
    if (!record) return null
    const id = record.id
    const [childOrders, fills, entries] = await stored('read', () =>
      Promise.all([store.childOrders(id), store.fills(id), store.journal(id, { types: PROGRESS_ENTRY_TYPES })]),
    )
    return { record, childOrders, fills, progress: progressOf(record, fills, entries) }
  }

  return {
    journal,
    onEntry(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
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
      if (!accepting) throw new ServiceError('SERVICE_DRAINING')
      if (!health.up)
        throw new ServiceError(
          'SERVICE_STORE_UNAVAILABLE',
          `The store cannot be written (${health.reason ?? 'unknown'}): not accepting new orders`,
          { retryAfterSeconds: 5 },
        )
      // a replay is answered whatever the bounds say now: it asks for nothing new
      const existing = await stored('read', () => store.getExecutionByCorrelationId(intent.correlationId))
      if (existing) return replay(existing, intent)
      if (halt) throw new ServiceError('SERVICE_HALTED', `Trading is halted (${halt.reason}): not accepting new orders`)
      if (queueFull())
        throw new ServiceError(
          'SERVICE_QUEUE_FULL',
          `${maxQueued} executions are waiting (ACX_MAX_QUEUED_EXECUTIONS)`,
          { retryAfterSeconds: 5 },
        )
      const assessment = await assess(intent)
      const price = assessment.referencePrice
      const notBefore = closedUntil(assessment.market)
      if (notBefore !== undefined && outsideHours === 'reject') {
        throw new ServiceError(
          'SERVICE_ORDER_REFUSED',
          `${intent.symbol}: the market is closed${notBefore === null ? '' : ` until ${new Date(notBefore).toISOString()}`} (ACX_OUTSIDE_HOURS=reject)`,
          { reason: 'market_closed' },
        )
      }
      if (options.maxOpenNotional !== undefined && price !== null) {
        const notional = intent.quantity.mul(price)
        if (notional.gt(options.maxOpenNotional)) {
          refuseRisk(
            'RISK_MAX_OPEN_NOTIONAL',
            `order notional ${notional.toFixed(2)} exceeds RISK_MAX_OPEN_NOTIONAL ${options.maxOpenNotional.toFixed()} on its own`,
          )
        }
        const after = openNotional().add(notional)
        if (policy === 'reject' && after.gt(options.maxOpenNotional)) {
          refuseRisk(
            'RISK_MAX_OPEN_NOTIONAL',
            `open notional would be ${after.toFixed(2)}, over RISK_MAX_OPEN_NOTIONAL ${options.maxOpenNotional.toFixed()}`,
          )
        }
      }
      // closed with no known open: queued as usual, and the run itself stops with market_closed
      const scheduleAt = notBefore ?? undefined
      const result = await stored('write', () =>
        store.createExecution({
          id: newId(),
          intent,
          nowMs: clock.now(),
          referencePrice: price?.toString() ?? null,
          ...(scheduleAt === undefined ? {} : { notBefore: scheduleAt }),
        }),
      )
      if (!result.created) return replay(result.record, intent) // a concurrent submit of the same id won
      if (scheduleAt !== undefined) {
        metrics?.scheduled.inc()
        wakeAt(scheduleAt)
        return result
      }
      waiting.push({ id: result.record.id, quantity: intent.quantity, price })
      pump()
      return result
    },

    readiness() {
      const reasons: NotReadyReason[] = []
      if (!accepting) reasons.push('draining')
      if (!health.up) reasons.push('store_unavailable')
      if (halt) reasons.push('halted')
      if (queueFull()) reasons.push('queue_full')
      return {
        ready: reasons.length === 0,
        reasons,
        running: controllers.size,
        queued: waiting.length,
        storeError: health.reason,
        halt,
      }
    },

    async halt(reason) {
      const record = { reason, sinceMs: wallNow() }
      // in force here at once, stored so that it survives a restart and reaches every worker
      applyHalt(record)
      await stored('write', () => store.setHalt(record))
      return record
    },

    async resume() {
      await stored('write', () => store.setHalt(null))
      applyHalt(null)
    },

    async prune(beforeMs) {
      let total = 0
      for (;;) {
        const n = await store.prune(beforeMs, 500)
        total += n
        if (n < 500) return total
      }
    },

    openNotional,

    record: (id) => stored('read', () => store.getExecution(id)),

    detail: async (id) => detailOf(await stored('read', () => store.getExecution(id))),

    byCorrelationId: async (correlationId) =>
      detailOf(await stored('read', () => store.getExecutionByCorrelationId(correlationId))),

    async list(filter) {
      const records = await stored('read', () => store.listExecutions(filter))
      return stored('read', () =>
        Promise.all(
          records.map(async (record) => {
            const [fills, entries] = await Promise.all([
              store.fills(record.id),
              store.journal(record.id, { types: PROGRESS_ENTRY_TYPES }),
            ])
            return { record, progress: progressOf(record, fills, entries) }
          }),
        ),
      )
    },

    assess,
    now: () => clock.now(),
    journalAfter: (afterId, limit) => stored('read', () => store.journalAfter(afterId, limit)),
    entries: (id, afterId) => stored('read', () => store.journal(id, afterId === undefined ? {} : { afterId })),

    async cancel(id) {
      const record = await stored('read', () => store.getExecution(id))
      if (!record) return 'not_found'
      if (FINAL_STATUSES.has(record.status)) return 'already_final'
      // stop it here at once; the stored request reaches other workers (and survives a restart)
      controllers.get(id)?.abort('cancel')
      await stored('write', () => store.requestCancel(id, clock.now()))
      if (record.status === 'scheduled' && !controllers.has(id) && !waiting.some((j) => j.id === id)) {
        // nobody runs it until the open: cancelled here, unless a worker is taking it over right now
        // (then that worker sees the request before it sends anything)
        if (await stored('write', () => store.acquireLease(id, options.workerId, wallNow(), options.leaseMs))) {
          await stored('write', () => store.setStatus(id, 'cancelled', clock.now()))
          await store.releaseLease(id, options.workerId).catch((e: unknown) => health.failed(e))
          return 'cancelled'
        }
        return 'cancelling'
      }
      const queuedAt = waiting.findIndex((j) => j.id === id && !j.resume)
      if (queuedAt >= 0) {
        waiting.splice(queuedAt, 1)
        await stored('write', () => store.setStatus(id, 'cancelled', clock.now()))
        notifyIdle()
        return 'cancelled'
      }
      return 'cancelling'
    },

    async recover() {
      await takeOver()
    },

    takeOver,

    async drain(timeoutMs) {
      accepting = false
      wake?.stop.abort()
      wake = null
      // queued executions stay `queued` in the store; the next start picks them up
      waiting.length = 0
      for (const [id, controller] of controllers) {
        suspended.add(id)
        controller.abort('pause')
      }
      const done = new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        notifyIdle()
      })
      await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs).unref())])
      await health.close()
    },

    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        notifyIdle()
      })
    },
  }
}
