import type { ChildOrder, OrderStatus } from '../domain/childOrder.js'
import type { ExecutionResult } from '../domain/executionResult.js'
import type { Fill } from '../domain/fill.js'
import type { ClientOrderId, ParentOrderId } from '../domain/ids.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import type { UsableQuote } from '../domain/quote.js'
import type { StrategyName } from '../domain/strategyName.js'
import type { RiskCheckCode } from '../risk/riskLimits.js'
import type { ExecutionPlan } from '../execution/planExecution.js'
import type { Decimal } from 'decimal.js'

/** Where an execution is in its life. */
export type ExecutionStatus = 'running' | 'filled' | 'partially_filled' | 'failed' | 'cancelled'

/**
 * Everything the engine persists, in the order it happens. Discriminated on `type`. A child order is
 * journaled (`child_order_created`) *before* it is sent, so after a crash every order the broker might
 * hold is known by its client order id.
 */
export type JournalEntry =
  | {
      readonly type: 'execution_started'
      readonly executionId: ParentOrderId
      readonly atMs: number
      readonly intent: OrderIntent
      readonly strategy: StrategyName
      /** True when this run resumes an execution after a restart (see `ExecuteOptions.resume`). */
      readonly resumed: boolean
    }
  | {
      readonly type: 'arrival_quote'
      readonly executionId: ParentOrderId
      readonly atMs: number
      /** null when there was no usable quote. */
      readonly quote: UsableQuote | null
    }
  | {
      readonly type: 'child_order_created'
      readonly executionId: ParentOrderId
      readonly atMs: number
      readonly order: ChildOrder
      /**
       * The mid and spread of the latest quote when the child was created (the one a slice is priced
       * from): the child's arrival mid, which its fills are measured against (`acx calibrate`). Null
       * without a quote; absent in entries written before it was recorded.
       */
      readonly quote?: { readonly mid: Decimal; readonly spread: Decimal } | null
    }
  | {
      /**
       * The child changed: its status, or its filled quantity (then `from` may equal `to`). `order` is
       * the whole new state, so a store can upsert it.
       */
      readonly type: 'child_order_status'
      readonly executionId: ParentOrderId
      readonly atMs: number
      readonly clientOrderId: ClientOrderId
      readonly from: OrderStatus
      readonly to: OrderStatus
      readonly order: ChildOrder
    }
  | {
      readonly type: 'fill'
      readonly executionId: ParentOrderId
      readonly atMs: number
      readonly fill: Fill
    }
  | {
      /** What the run will do and what it is expected to cost (journaled once the arrival quote is in). */
      readonly type: 'execution_planned'
      readonly executionId: ParentOrderId
      readonly atMs: number
      readonly plan: ExecutionPlan
      /** When the plan ends (epoch ms): the start of the execution plus the plan's horizon. */
      readonly expectedFinishAt: number
    }
  | {
      /** The risk gate refused an order; nothing was sent. `sliceIndex` is absent for the parent. */
      readonly type: 'risk_check_failed'
      readonly executionId: ParentOrderId
      readonly atMs: number
      readonly code: RiskCheckCode
      readonly message: string
      readonly sliceIndex?: number
      readonly qty: Decimal
      readonly limitPrice?: Decimal
    }
  | {
      readonly type: 'execution_finished'
      readonly executionId: ParentOrderId
      readonly atMs: number
      readonly status: ExecutionStatus
      readonly result: ExecutionResult
    }

export type JournalEntryType = JournalEntry['type']

/**
 * Durable record of executions. The engine awaits each `append` before going on (in particular before
 * sending a child order); a throw stops the execution with `ENGINE_JOURNAL_FAILED`. The service
 * implements it over SQLite.
 */
export interface ExecutionJournal {
  append(entry: JournalEntry): void | Promise<void>
}

/** An `ExecutionJournal` in memory, for tests and embedding. */
export interface InMemoryJournal extends ExecutionJournal {
  readonly entries: readonly JournalEntry[]
  forExecution(executionId: string): readonly JournalEntry[]
  clear(): void
}

export function createInMemoryJournal(): InMemoryJournal {
  const entries: JournalEntry[] = []
  return {
    entries,
    append(entry) {
      entries.push(entry)
    },
    forExecution: (executionId) => entries.filter((e) => e.executionId === executionId),
    clear() {
      entries.length = 0
    },
  }
}

/** Discards everything (the default when no journal is given). */
export const noopJournal: ExecutionJournal = { append: () => {} }

/**
 * The last journaled state of every child order of one execution, in creation order: what
 * `ExecuteOptions.resume.children` needs after a restart.
 */
export function childOrdersFromJournal(entries: readonly JournalEntry[], executionId: string): ChildOrder[] {
  const byId = new Map<string, ChildOrder>()
  for (const e of entries) {
    if (e.executionId !== executionId) continue
    if (e.type === 'child_order_created' || e.type === 'child_order_status') byId.set(e.order.clientOrderId, e.order)
  }
  return [...byId.values()]
}
