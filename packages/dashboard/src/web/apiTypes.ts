/**
 * The shapes of the service's API that the page reads (a subset; the API may have more fields). Times
 * are ISO-8601 UTC strings, prices and quantities decimal strings, costs bps with positive = a cost.
 */

const FINAL_STATUSES = ['filled', 'partially_filled', 'failed', 'cancelled'] as const
export const STATUSES = ['scheduled', 'queued', 'running', ...FINAL_STATUSES] as const
type Status = (typeof STATUSES)[number]
export const STRATEGIES = ['almgren_chriss', 'twap', 'walk_the_book', 'market'] as const

export const isFinal = (s: string): boolean => (FINAL_STATUSES as readonly string[]).includes(s)

export interface ExecutionSummary {
  readonly executionId: string
  readonly correlationId: string
  readonly symbol: string
  readonly side: 'BUY' | 'SELL'
  readonly quantity: string
  readonly urgency: string
  readonly strategy: string | null
  readonly status: Status
  readonly cancelRequested: boolean
  readonly createdAt: string
  readonly updatedAt: string
  readonly scheduledFor: string | null
  readonly filledQuantity: string
  readonly fillPercentage: number
  readonly avgFillPrice: string | null
  readonly arrivalMid: string | null
  readonly shortfallBps: number | null
  readonly expectedCostBps: number | null
  readonly startedAt: string | null
  readonly expectedFinishAt: string | null
  readonly finishedAt: string | null
}

export interface ExecutionList {
  readonly executions: readonly ExecutionSummary[]
  readonly nextCursor: string | null
}

export interface QuoteView {
  readonly bid: string | null
  readonly ask: string | null
  readonly mid: string | null
  readonly at: string | null
}

interface PlanSlice {
  readonly index: number
  readonly startSeconds: number
  readonly plannedStart: string | null
  readonly fraction: number
  readonly quantity: string
}

interface PlanView {
  readonly strategy: string
  readonly horizonSeconds: number
  readonly shortenedFromSeconds: number | null
  readonly kappa: number | null
  readonly expectedCostBps: number | null
  readonly expectedStdBps: number | null
  readonly halfSpreadBps: number | null
  readonly slices: readonly PlanSlice[]
}

interface FillView {
  readonly fillId: string
  readonly quantity: string
  readonly price: string | null
  readonly at: string | null
}

interface ChildOrderView {
  readonly clientOrderId: string
  readonly brokerOrderId: string | null
  readonly sliceIndex: number
  readonly attempt: number
  readonly type: string
  readonly side: string
  readonly quantity: string
  readonly limitPrice: string | null
  readonly status: string
  readonly filledQuantity: string
  readonly avgFillPrice: string | null
  readonly createdAt: string | null
  readonly updatedAt: string | null
  readonly fills: readonly FillView[]
}

interface ResultView {
  readonly success: boolean
  readonly shortfallBps: number | null
  readonly expectedCostBps: number | null
  readonly expectedStdBps: number | null
  readonly executionTimeSeconds: number
  readonly marketFallbackUsed: boolean
  readonly error: { readonly code: string; readonly message: string } | null
}

export interface ExecutionView extends ExecutionSummary {
  readonly arrivalQuote: QuoteView | null
  readonly plan: PlanView | null
  readonly childOrders: readonly ChildOrderView[]
  readonly result: ResultView | null
}

/** The data of an event (`GET /v1/events`, `GET /v1/orders/:id/events`): a journal entry. */
export interface ApiEvent {
  readonly id: string
  readonly executionId: string
  readonly type: string
  readonly at: string | null
  readonly [field: string]: unknown
}

/** `GET /v1/orders/:id/quotes`: the bid/ask the execution priced from, oldest first. */
export interface QuoteTapeView {
  readonly quotes: readonly QuoteView[]
  /** False when this process did not see the whole execution (restarted, another worker). */
  readonly complete: boolean
}

export interface CriterionView {
  readonly name: string
  readonly target: string
  /** The figure, in its unit (see `unit`); null without a sample. */
  readonly value: number | null
  readonly unit: string
  readonly sample?: number
  /** null: no sample to judge. */
  readonly pass: boolean | null
}

export interface StrategyReport {
  readonly strategy: string
  readonly executions: number
  readonly criteria: readonly CriterionView[]
  readonly shortfall: {
    readonly count: number
    readonly meanBps: number | null
    readonly quantilesBps: {
      readonly p5: number
      readonly p25: number
      readonly p50: number
      readonly p75: number
      readonly p95: number
    } | null
    readonly valuesBps: readonly number[]
  }
}

export interface ReportView {
  readonly generatedAt: string
  readonly since: string | null
  readonly symbol: string | null
  readonly executions: number
  readonly strategies: readonly StrategyReport[]
  /** almgren_chriss against walk_the_book: `value` is the difference of their mean shortfalls, bps (negative = AC cost less). */
  readonly comparison: CriterionView & {
    readonly almgrenChrissBps: number | null
    readonly walkTheBookBps: number | null
    readonly almgrenChrissSample: number
    readonly walkTheBookSample: number
  }
}
