import type { Decimal } from 'decimal.js'
import type { AcConfig } from '../config/acConfig.js'
import type { ExecutionFailureCode } from '../domain/executionResult.js'
import type { ParentOrderId } from '../domain/ids.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import type { BrokerPort } from '../ports/broker.js'
import type { Clock } from '../ports/clock.js'
import type { ExecutionJournal, JournalEntry } from '../ports/executionJournal.js'
import type { Logger } from '../ports/logger.js'
import type { RiskGate } from '../risk/riskGate.js'
import type { RiskRefusal } from '../risk/riskLimits.js'
import type { OrderWaiter } from './orderWaiter.js'

/** What every execution shares with the engine that runs it. */
export interface ExecutionDeps {
  readonly broker: BrokerPort
  readonly clock: Clock
  readonly logger: Logger
  readonly journal: ExecutionJournal
  readonly config: AcConfig
  readonly risk: RiskGate
  readonly orderUpdates: OrderWaiter
}

/** What the parts of an execution (venue calls, child orders) need from the execution itself. */
export interface ExecutionContext {
  readonly id: ParentOrderId
  readonly intent: OrderIntent
  readonly deps: ExecutionDeps
  readonly signal: AbortSignal | undefined
  readonly log: Logger
  /**
   * The asset trades around the clock (a crypto asset, as the venue classes it; before the preflight
   * reads it, a pair such as `BTC/USD`): its orders are `gtc`/`ioc`, never `day`.
   */
  readonly aroundTheClock: boolean
  /** Common log fields. */
  fields(): Record<string, unknown>
  /** Appends to the journal; a failure throws `ENGINE_JOURNAL_FAILED`. */
  journal(entry: JournalEntry): Promise<void>
  /** Stops the execution with this failure (throws). */
  stop(code: ExecutionFailureCode, message: string, brokerCode?: string): never
  /** A refusal of the risk gate: journaled, logged, and the execution stopped (throws). */
  refuse(
    refusal: RiskRefusal,
    order: { readonly qty: Decimal; readonly limitPrice?: Decimal; readonly sliceIndex?: number },
  ): Promise<never>
}
