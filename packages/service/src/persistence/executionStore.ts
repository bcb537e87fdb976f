import {
  ORDER_STATUSES,
  type ExecutionJournal,
  type JournalEntry,
  type OrderIntent,
  type OrderStatus,
} from '@acx/engine'
import { ServiceError } from '../errors.js'

/** An execution's status as the service reports it. */
export const EXECUTION_STATUSES = [
  'scheduled',
  'queued',
  'running',
  'filled',
  'partially_filled',
  'failed',
  'cancelled',
] as const
export type ServiceExecutionStatus = (typeof EXECUTION_STATUSES)[number]
export const FINAL_STATUSES: ReadonlySet<ServiceExecutionStatus> = new Set([
  'filled',
  'partially_filled',
  'failed',
  'cancelled',
])

/** JSON-safe forms: Decimals are decimal strings. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

export interface ExecutionRecord {
  readonly id: string
  readonly correlationId: string
  readonly symbol: string
  readonly side: 'BUY' | 'SELL'
  /** Decimal string. */
  readonly quantity: string
  readonly urgency: 'LOW' | 'MEDIUM' | 'HIGH'
  /** The routed strategy, once known. */
  readonly strategy: string | null
  readonly status: ServiceExecutionStatus
  /** The validated intent as JSON. */
  readonly intent: Json
  /** The engine's ExecutionResult as JSON, once finished (per run: a resumed execution has the last). */
  readonly result: Json | null
  /**
   * The mid the order's notional was checked at on admission (decimal string), which the open-notional
   * limit prices its remainder at; null when the venue had no quote then (or for older records).
   */
  readonly referencePrice: string | null
  /** For `scheduled`: not before this time (epoch ms, wall clock): the market's next open. */
  readonly notBefore: number | null
  /** How many times the execution was resumed after a restart. */
  readonly resumes: number
  /** A stop was requested (`POST /v1/orders/:id/cancel`). */
  readonly cancelRequested: boolean
  /** The worker holding the execution, while its lease (`leaseExpiresAt`, wall-clock epoch ms) lasts. */
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: number | null
  readonly createdAt: number
  readonly updatedAt: number
}

export interface ChildOrderRecord {
  readonly clientOrderId: string
  readonly executionId: string
  readonly brokerOrderId: string | null
  readonly sliceIndex: number
  readonly attempt: number
  readonly type: 'market' | 'limit'
  readonly side: 'BUY' | 'SELL'
  readonly qty: string
  readonly limitPrice: string | null
  readonly status: OrderStatus
  readonly filledQty: string
  readonly avgPx: string
  readonly createdAt: number
  readonly updatedAt: number
}

export interface FillRecord {
  readonly fillId: string
  readonly executionId: string
  readonly clientOrderId: string
  readonly brokerOrderId: string
  readonly qty: string
  readonly price: string
  readonly tsEvent: number
  readonly tsInit: number
}

export interface ExecutionFilter {
  readonly symbol?: string
  readonly status?: ServiceExecutionStatus
  /** Only executions created at or after this time (epoch ms). */
  readonly sinceMs?: number
  /** Newest first; default 50. */
  readonly limit?: number
  /** Only executions listed after this one (newest first): the last of the previous page. */
  readonly after?: { readonly createdAt: number; readonly id: string }
}

/** One journal entry as stored: its id (increasing within an execution; across executions on SQLite), and the entry as JSON. */
export interface StoredJournalEntry {
  readonly id: string
  readonly executionId: string
  readonly type: string
  readonly atMs: number
  readonly entry: Json
}

export interface RunStart {
  /** Epoch ms on the execution clock. */
  readonly startedAt: number
  /** Decimal string; null when the first run had no usable quote. */
  readonly arrivalMid: string | null
}

export interface CreateExecution {
  readonly id: string
  readonly intent: OrderIntent
  readonly nowMs: number
  /** See `ExecutionRecord.referencePrice`. */
  readonly referencePrice?: string | null
  /** Store it `scheduled` (the market is closed) rather than `queued`, to start at `notBefore`. */
  readonly notBefore?: number
}

/** The kill switch, as stored: it survives a restart and every worker sharing the store obeys it. */
export interface HaltRecord {
  readonly reason: string
  /** Wall-clock epoch ms. */
  readonly sinceMs: number
}

/**
 * What running executions write: the engine's journal (every child order before it is sent, every fill,
 * every state change) and the execution's own record.
 */
export interface ExecutionJournalStore extends ExecutionJournal {
  /**
   * Stores a new execution as `queued`, idempotently by correlation id: when one exists already it is
   * returned with `created: false` and nothing changes.
   */
  createExecution(input: CreateExecution): Promise<{ readonly record: ExecutionRecord; readonly created: boolean }>
  /**
   * Journals the end of a run that sent nothing because the market was closed, and sets the execution
   * `scheduled`, to start afresh at `notBefore` (its result stays null). The status is written first: a
   * crash between the two leaves it scheduled, never finished.
   */
  reschedule(entry: Extract<JournalEntry, { type: 'execution_finished' }>, notBefore: number): Promise<void>
  /** Sets the status; `scheduled` takes the time it may start (`notBefore`, epoch ms). */
  setStatus(id: string, status: ServiceExecutionStatus, nowMs: number, notBefore?: number): Promise<void>
  requestCancel(id: string, nowMs: number): Promise<void>
  markResumed(id: string, nowMs: number): Promise<number>
}

/** What the HTTP API, recovery and `acx report` read. */
export interface ExecutionQueries {
  getExecution(id: string): Promise<ExecutionRecord | null>
  getExecutionByCorrelationId(correlationId: string): Promise<ExecutionRecord | null>
  listExecutions(filter?: ExecutionFilter): Promise<readonly ExecutionRecord[]>
  childOrders(executionId: string): Promise<readonly ChildOrderRecord[]>
  fills(executionId: string): Promise<readonly FillRecord[]>
  /** Executions not finished (`queued` or `running`), oldest first: what a restart must pick up. */
  unfinished(): Promise<readonly ExecutionRecord[]>
  /** When the execution first started running and the mid of its first arrival quote, from the journal; null if it never started. */
  runStart(id: string): Promise<RunStart | null>
  /**
   * The whole journal in write order after `afterId` (an id this method returned), at most `limit`
   * entries — or null when the store keeps no global order (DynamoDB: the journal is per execution).
   */
  journalAfter(afterId: string | undefined, limit: number): Promise<readonly StoredJournalEntry[] | null>
  /** The execution's journal, oldest first, optionally only entries after `afterId` and of some types. */
  journal(
    executionId: string,
    options?: { readonly afterId?: string; readonly types?: readonly string[] },
  ): Promise<readonly StoredJournalEntry[]>
}

/** Which worker holds which execution (wall-clock leases). */
export interface ExecutionLeases {
  /**
   * Takes the execution for `owner` until `nowMs + ttlMs` (wall-clock epoch ms), if nobody holds it or
   * the holder's lease has expired; renews it if `owner` already holds it. Atomic: of two workers
   * racing, one wins. Returns whether `owner` holds it now.
   */
  acquireLease(id: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean>
  /** Extends `owner`'s lease; false when `owner` no longer holds it (it expired and was taken). */
  renewLease(id: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean>
  /** Gives the lease up (no-op unless `owner` holds it). */
  releaseLease(id: string, owner: string): Promise<void>
  /**
   * Unfinished executions nobody holds at `nowMs`, oldest first: what a worker may take over — `queued`
   * and `running` ones, and `scheduled` ones whose time (`notBefore`) has come by `marketNowMs` (default
   * `nowMs`): `notBefore` is on the engine's clock, which a simulated market may run faster than the wall.
   */
  orphaned(nowMs: number, marketNowMs?: number): Promise<readonly ExecutionRecord[]>
}

/** The store as a whole: the kill switch, retention, health, and closing it. */
export interface StoreControl {
  /** The kill switch: null when trading is allowed. */
  getHalt(): Promise<HaltRecord | null>
  setHalt(halt: HaltRecord | null): Promise<void>
  /**
   * Retention: deletes up to `limit` finished executions created and last changed before `beforeMs` (oldest first), with
   * their child orders, fills and journal, and frees their correlation ids. Unfinished ones are never
   * touched. Returns how many were deleted (call again while it returns `limit`).
   */
  prune(beforeMs: number, limit: number): Promise<number>
  /**
   * A small real write (and its read back): throws when the store cannot take writes (disk full,
   * read-only, unreachable). Readiness and recovery from a store failure are decided by it.
   */
  probe(nowMs: number): Promise<void>
  close(): Promise<void>
}

/**
 * Durable executions: one implementation (SQLite, DynamoDB) of every part. Callers that need less take
 * the part they use (`acx report` reads `ExecutionQueries` only). Async so that remote stores fit the
 * same contract.
 */
export interface ExecutionStore extends ExecutionJournalStore, ExecutionQueries, ExecutionLeases, StoreControl {}

/** A child order's stored status, checked: anything else in the store is damage, not data. */
export function storedOrderStatus(value: unknown, clientOrderId: string): OrderStatus {
  if ((ORDER_STATUSES as readonly unknown[]).includes(value)) return value as OrderStatus
  throw new ServiceError(
    'SERVICE_STORE_CORRUPT',
    `child order ${clientOrderId}: unknown status ${JSON.stringify(value)} in the store`,
  )
}
