import {
  Dec,
  priceText,
  quantityText,
  type ExecutionFailure,
  type ExecutionPlan,
  type ExecutionStatus,
  type IntentAssessment,
  type MarketClock,
  type OrderIntent,
  type OrderStatus,
  type RiskCheckCode,
  type SliceAttempt,
  type StrategyName,
} from '@acx/engine'
import type { Decimal } from 'decimal.js'
import { errorBody, SERVICE_ERRORS, type ServiceError } from '../errors.js'
import type { ExecutionDetail as Detail, Readiness as ReadinessState } from '../executions/executionManager.js'
import type { ExecutionProgress } from '../executions/executionProgress.js'
import type {
  ChildOrderRecord,
  ExecutionRecord,
  FillRecord,
  StoredJournalEntry,
} from '../persistence/executionStore.js'
import {
  isHttpErrorCode,
  type ErrorBody,
  type ExecutionDetail,
  type ExecutionEvent,
  type ExecutionSummary,
  type Out,
  type Preview,
  type Readiness,
} from './schemas.js'

/**
 * What the API shows, in one vocabulary: every time ISO-8601 UTC with milliseconds, every price and
 * quantity a decimal string (prices at the instrument's precision: 4 decimals at $1 and above, 6 below),
 * every cost in bps with positive = a cost to the trader. Each view's type is its response schema's
 * output (`Out<typeof Schema>`), so the compiler holds the two together.
 */

type Json = Record<string, unknown>

/** An epoch-ms time as ISO-8601 UTC with milliseconds. */
const iso = (ms: number): string => new Date(ms).toISOString()

/** The same, null (or a non-time) staying null. */
const isoOrNull = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : iso(ms)

const priceOrNull = (price: Decimal | string | number | null | undefined): string | null =>
  price === null || price === undefined ? null : priceText(price)

/** The average price of a filled quantity; null while nothing filled. */
const avgOrNull = (filled: Decimal | string, avg: Decimal | string | undefined): string | null =>
  new Dec(filled).isZero() || avg === undefined ? null : priceText(avg)

/** Bps rounded to 0.01 (what a trader reads). */
const bps = (v: number): number => Math.round(v * 100) / 100
const bpsOrNull = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : bps(v)

type PlanView = Out<typeof ExecutionDetail>['plan'] & object
type QuoteView = Out<typeof ExecutionDetail>['arrivalQuote'] & object
type ResultView = Out<typeof ExecutionDetail>['result'] & object
type ChildOrderView = Out<typeof ExecutionDetail>['childOrders'][number]
type JournaledOrderView = Omit<ChildOrderView, 'fills'>

type SizingView = Pick<
  PlanView,
  | 'impactModel'
  | 'marketStats'
  | 'orderPctAdv'
  | 'participationRate'
  | 'maxSliceParticipation'
  | 'dominantCost'
  | 'participationCap'
>

/**
 * The order against its market: size as % of ADV, participation, the σ/ADV used and their sources, the
 * impact model, which cost term dominates and what the participation cap did. Plans journaled before
 * these were recorded read as nulls.
 */
function sizingView(p: Partial<ExecutionPlan>): SizingView {
  const stats = p.marketStats
  const cap = p.participationCap
  return {
    impactModel: p.impactModel ?? null,
    marketStats: stats
      ? {
          adv: quantityText(stats.adv),
          dailyVolatility: stats.dailyVolatility,
          advSource: stats.advSource,
          volatilitySource: stats.volatilitySource,
        }
      : null,
    orderPctAdv: p.orderPctAdv ?? null,
    participationRate: p.participationRate ?? null,
    maxSliceParticipation: p.maxSliceParticipation ?? null,
    dominantCost: p.dominantCost ?? null,
    participationCap: cap
      ? {
          maxParticipation: cap.maxParticipation,
          sliceCapQuantity: quantityText(cap.sliceCapQty),
          extendedFromSeconds: cap.extendedFromSeconds,
          slicesOverCap: cap.slicesOverCap,
        }
      : null,
  }
}

function planView(plan: ExecutionPlan, startMs: number | null): PlanView {
  return {
    strategy: plan.strategy,
    horizonSeconds: plan.horizonSeconds,
    shortenedFromSeconds: plan.shortenedFromSeconds,
    kappa: plan.kappa,
    expectedCostBps: bpsOrNull(plan.expectedCostBps),
    expectedStdBps: bpsOrNull(plan.expectedStdBps),
    halfSpreadBps: bps(plan.halfSpreadBps),
    ...sizingView(plan),
    slices: plan.slices.map((s) => ({
      index: s.index,
      startSeconds: s.startSeconds,
      plannedStart: startMs === null ? null : iso(startMs + s.startSeconds * 1000),
      fraction: s.fraction,
      quantity: quantityText(s.qty),
    })),
  }
}

/** A quote as stored (JSON: decimals as strings) or as the engine holds it. */
interface QuoteLike {
  readonly bid: Decimal | string
  readonly ask: Decimal | string
  readonly mid: Decimal | string
  readonly timestampMs: number
}

const quoteView = (q: QuoteLike): QuoteView => ({
  bid: priceText(q.bid),
  ask: priceText(q.ask),
  mid: priceText(q.mid),
  at: iso(q.timestampMs),
})

const marketView = (m: MarketClock | null): Out<typeof Preview>['market'] =>
  m === null ? null : { isOpen: m.isOpen, nextOpen: isoOrNull(m.nextOpenMs), nextClose: isoOrNull(m.nextCloseMs) }

function childView(c: ChildOrderRecord, fills: readonly FillRecord[]): ChildOrderView {
  return {
    clientOrderId: c.clientOrderId,
    brokerOrderId: c.brokerOrderId,
    sliceIndex: c.sliceIndex,
    attempt: c.attempt,
    type: c.type,
    side: c.side,
    quantity: quantityText(c.qty),
    limitPrice: priceOrNull(c.limitPrice),
    status: c.status,
    filledQuantity: quantityText(c.filledQty),
    avgFillPrice: avgOrNull(c.filledQty, c.avgPx),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    fills: fills
      .filter((f) => f.clientOrderId === c.clientOrderId)
      .map((f) => ({ fillId: f.fillId, quantity: quantityText(f.qty), price: priceText(f.price), at: iso(f.tsEvent) })),
  }
}

/** The engine's `ExecutionResult` as stored: JSON, decimals as strings, times as epoch ms. */
type StoredResult = {
  readonly success: boolean
  readonly executionStrategy: StrategyName
  /** Absent in results stored before routes were recorded. */
  readonly routeReason?: string
  readonly routeDetail?: string
  readonly slicesUsed: number
  readonly requestedQuantity: string
  readonly totalFilled: string
  readonly avgFillPrice: string
  readonly fillPercentage: number
  readonly arrivalMid: string | null
  readonly implementationShortfallBps: number | null
  readonly expectedCostBps: number | null
  readonly expectedStdBps: number | null
  readonly executionTimeSeconds: number
  readonly marketFallbackUsed: boolean
  readonly horizonSeconds?: number | null
  readonly horizonShortenedFromSeconds?: number | null
  readonly startedAt: number
  readonly finishedAt: number
  readonly error?: ExecutionFailure
  readonly attempts?: ReadonlyArray<
    Pick<SliceAttempt, 'sliceIndex' | 'attempt' | 'clientOrderId' | 'kind' | 'aggression' | 'status'> & {
      readonly qty: string
      readonly limitPrice?: string
      readonly filledQty: string
      readonly avgFillPrice: string
      readonly lateFillQty: string
      readonly submittedAt: number
      readonly completedAt: number
    }
  >
}

/** The engine's result as stored, in the API's vocabulary. */
function resultView(stored: unknown): ResultView {
  const r = stored as StoredResult
  const error = r.error
  return {
    success: r.success,
    strategy: r.executionStrategy,
    routeReason: r.routeReason ?? null,
    routeDetail: r.routeDetail ?? null,
    slicesUsed: r.slicesUsed,
    requestedQuantity: quantityText(r.requestedQuantity),
    filledQuantity: quantityText(r.totalFilled),
    fillPercentage: r.fillPercentage,
    avgFillPrice: avgOrNull(r.totalFilled, r.avgFillPrice),
    arrivalMid: priceOrNull(r.arrivalMid),
    shortfallBps: bpsOrNull(r.implementationShortfallBps),
    expectedCostBps: bpsOrNull(r.expectedCostBps),
    expectedStdBps: bpsOrNull(r.expectedStdBps),
    executionTimeSeconds: r.executionTimeSeconds,
    marketFallbackUsed: r.marketFallbackUsed,
    horizonSeconds: r.horizonSeconds ?? null,
    horizonShortenedFromSeconds: r.horizonShortenedFromSeconds ?? null,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    error: error
      ? {
          code: error.code,
          message: error.message,
          ...(error.brokerCode ? { brokerCode: error.brokerCode } : {}),
          ...(error.riskCode ? { riskCode: error.riskCode } : {}),
          ...(error.retryAtMs !== undefined ? { retryAt: iso(error.retryAtMs) } : {}),
        }
      : null,
    attempts: (r.attempts ?? []).map((a) => ({
      sliceIndex: a.sliceIndex,
      attempt: a.attempt,
      clientOrderId: a.clientOrderId,
      kind: a.kind,
      quantity: quantityText(a.qty),
      limitPrice: priceOrNull(a.limitPrice),
      aggression: a.aggression ?? null,
      filledQuantity: quantityText(a.filledQty),
      avgFillPrice: avgOrNull(a.filledQty, a.avgFillPrice),
      status: a.status,
      lateFillQuantity: quantityText(a.lateFillQty),
      submittedAt: iso(a.submittedAt),
      completedAt: iso(a.completedAt),
    })),
  }
}

/** The summary of an execution every listing shows. */
export function executionSummary(record: ExecutionRecord, progress: ExecutionProgress): Out<typeof ExecutionSummary> {
  return {
    executionId: record.id,
    correlationId: record.correlationId,
    symbol: record.symbol,
    side: record.side,
    quantity: quantityText(record.quantity),
    urgency: record.urgency,
    strategy: record.strategy as StrategyName | null,
    status: record.status,
    cancelRequested: record.cancelRequested,
    resumes: record.resumes,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    scheduledFor: record.status === 'scheduled' ? isoOrNull(record.notBefore) : null,
    filledQuantity: quantityText(progress.filledQuantity),
    fillPercentage: progress.filledQuantity.div(record.quantity).mul(100).toDecimalPlaces(4).toNumber(),
    avgFillPrice: priceOrNull(progress.avgFillPrice),
    arrivalMid: priceOrNull(progress.arrival?.mid),
    shortfallBps: bpsOrNull(progress.shortfallBps),
    expectedCostBps: bpsOrNull(progress.plan?.expectedCostBps),
    startedAt: isoOrNull(progress.startedAt),
    expectedFinishAt: isoOrNull(progress.expectedFinishAt),
    finishedAt: isoOrNull(progress.finishedAt),
  }
}

/** An execution with everything known about it: arrival, plan, child orders with their fills, result. */
export function executionView(detail: Detail): Out<typeof ExecutionDetail> {
  const { record, progress } = detail
  return {
    ...executionSummary(record, progress),
    arrivalQuote: progress.arrival ? quoteView(progress.arrival) : null,
    plan: progress.plan ? planView(progress.plan, progress.startedAt) : null,
    childOrders: detail.childOrders.map((c) => childView(c, detail.fills)),
    result: record.result !== null && typeof record.result === 'object' ? resultView(record.result) : null,
  }
}

/** A child order as journaled (the engine's `ChildOrder` as JSON). */
const journaledOrderView = (o: Json): JournaledOrderView => ({
  clientOrderId: o.clientOrderId as string,
  brokerOrderId: (o.brokerOrderId as string | undefined) ?? null,
  sliceIndex: o.sliceIndex as number,
  attempt: o.attempt as number,
  type: o.type as JournaledOrderView['type'],
  side: o.side as JournaledOrderView['side'],
  quantity: quantityText(o.qty as string),
  limitPrice: priceOrNull(o.limitPrice as string | undefined),
  status: o.status as OrderStatus,
  filledQuantity: quantityText(o.filledQty as string),
  avgFillPrice: avgOrNull(o.filledQty as string, o.avgPx as string),
  createdAt: iso(o.createdAt as number),
  updatedAt: iso(o.updatedAt as number),
})

/**
 * One journal entry as an event (the `data` of a Server-Sent Event, whose `id` is `id` and `event` is
 * `type`): `execution_started`, `arrival_quote`, `execution_planned`, `child_order_created` (sent),
 * `child_order_status` (a cancel asked or confirmed, a fill's status), `fill`, `risk_check_failed`,
 * `execution_finished`. Null for an entry of a type this version does not know (it is not sent).
 */
export function eventView(stored: StoredJournalEntry): Out<typeof ExecutionEvent> | null {
  const base = { id: stored.id, executionId: stored.executionId, at: iso(stored.atMs) }
  const e = stored.entry as Json
  switch (stored.type) {
    case 'execution_started':
      return { ...base, type: stored.type, strategy: e.strategy as StrategyName, resumed: e.resumed as boolean }
    case 'arrival_quote':
      return { ...base, type: stored.type, quote: e.quote ? quoteView(e.quote as QuoteLike) : null }
    case 'execution_planned':
      return {
        ...base,
        type: stored.type,
        plan: planView(e.plan as ExecutionPlan, null),
        expectedFinishAt: iso(e.expectedFinishAt as number),
      }
    case 'child_order_created':
      return { ...base, type: stored.type, order: journaledOrderView(e.order as Json) }
    case 'child_order_status':
      return {
        ...base,
        type: stored.type,
        clientOrderId: e.clientOrderId as string,
        from: e.from as OrderStatus,
        to: e.to as OrderStatus,
        order: journaledOrderView(e.order as Json),
      }
    case 'fill': {
      const f = e.fill as Json
      return {
        ...base,
        type: stored.type,
        fill: {
          fillId: f.fillId as string,
          clientOrderId: f.clientOrderId as string,
          brokerOrderId: f.brokerOrderId as string,
          quantity: quantityText(f.qty as string),
          price: priceText(f.price as string),
          at: iso(f.tsEvent as number),
        },
      }
    }
    case 'risk_check_failed':
      return {
        ...base,
        type: stored.type,
        code: e.code as RiskCheckCode,
        message: e.message as string,
        sliceIndex: (e.sliceIndex as number | undefined) ?? null,
        quantity: quantityText(e.qty as string),
        limitPrice: priceOrNull(e.limitPrice as string | undefined),
      }
    case 'execution_finished':
      return { ...base, type: stored.type, status: e.status as ExecutionStatus, result: resultView(e.result) }
    default:
      return null
  }
}

/** What `POST /v1/preview` answers: the strategy, the venue's clock and quote, the plan and its estimate. */
export function previewView(
  intent: OrderIntent,
  assessment: Extract<IntentAssessment, { ok: true }>,
  nowMs: number,
): Out<typeof Preview> {
  const opensLater = assessment.market !== null && !assessment.market.isOpen ? assessment.market.nextOpenMs : null
  return {
    symbol: intent.symbol,
    side: intent.side,
    quantity: quantityText(intent.quantity),
    urgency: intent.urgency,
    strategy: assessment.strategy,
    routeReason: assessment.routeReason,
    market: marketView(assessment.market),
    quote: assessment.quote ? quoteView(assessment.quote) : null,
    plan: planView(assessment.plan, opensLater ?? nowMs),
  }
}

/** What `/readyz` answers (200 when ready, 503 otherwise). */
export function readinessView(r: ReadinessState): Out<typeof Readiness> {
  return {
    status: r.ready ? 'ready' : 'not_ready',
    reasons: r.reasons,
    running: r.running,
    queued: r.queued,
    ...(r.storeError ? { storeError: r.storeError } : {}),
    ...(r.halt ? { halt: { reason: r.halt.reason, since: iso(r.halt.sinceMs) } } : {}),
  }
}

/**
 * The body of an error answer (`errorBody`), with a code that is not an answer to a request (a store's
 * own failure reaching the HTTP layer: a bug) reported as `SERVICE_INTERNAL`.
 */
export function errorView(e: ServiceError): Out<typeof ErrorBody> {
  const body = errorBody(e)
  return isHttpErrorCode(body.error)
    ? { ...body, error: body.error }
    : { error: 'SERVICE_INTERNAL', message: SERVICE_ERRORS.SERVICE_INTERNAL.message }
}
