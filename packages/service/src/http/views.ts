import { Dec, type ExecutionPlan, type IntentAssessment, type MarketClock, type OrderIntent } from '@acx/engine'
import type { Decimal } from 'decimal.js'
import type { ExecutionDetail } from '../executions/executionManager.js'
import type { ExecutionProgress } from '../executions/executionProgress.js'
import type {
  ChildOrderRecord,
  ExecutionRecord,
  FillRecord,
  StoredJournalEntry,
} from '../persistence/executionStore.js'

/**
 * What the API shows, in one vocabulary: every time ISO-8601 UTC with milliseconds, every price and
 * quantity a decimal string (prices at the instrument's precision: 4 decimals at $1 and above, 6 below),
 * every cost in bps with positive = a cost to the trader.
 */

/** An epoch-ms time as ISO-8601 UTC with milliseconds; null stays null. */
const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString()

/**
 * A price at the precision an equity is quoted and reported at: 4 decimals at $1 and above (a sub-penny
 * average of several fills), 6 below; trailing zeros dropped.
 */
function priceText(price: Decimal | string | number | null | undefined): string | null {
  if (price === null || price === undefined) return null
  const d = new Dec(price)
  return d.toDecimalPlaces(d.abs().gte(1) ? 4 : 6).toString()
}

/** Bps rounded to 0.01 (what a trader reads); null stays null. */
const bps = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 100) / 100

/**
 * The order against its market: size as % of ADV, participation, the σ/ADV used and their sources, the
 * impact model, which cost term dominates and what the participation cap did. Plans journaled before
 * these were recorded read as nulls.
 */
function sizingView(p: Partial<ExecutionPlan>) {
  const stats = p.marketStats
  const cap = p.participationCap
  return {
    impactModel: p.impactModel ?? null,
    marketStats: stats
      ? {
          adv: new Dec(stats.adv).toString(),
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
          sliceCapQuantity: new Dec(cap.sliceCapQty).toString(),
          extendedFromSeconds: cap.extendedFromSeconds,
          slicesOverCap: cap.slicesOverCap,
        }
      : null,
  }
}

function planView(plan: ExecutionPlan, startMs: number | null) {
  return {
    strategy: plan.strategy,
    horizonSeconds: plan.horizonSeconds,
    shortenedFromSeconds: plan.shortenedFromSeconds,
    kappa: plan.kappa,
    expectedCostBps: bps(plan.expectedCostBps),
    expectedStdBps: bps(plan.expectedStdBps),
    halfSpreadBps: bps(plan.halfSpreadBps),
    ...sizingView(plan),
    slices: plan.slices.map((s) => ({
      index: s.index,
      startSeconds: s.startSeconds,
      plannedStart: startMs === null ? null : iso(startMs + s.startSeconds * 1000),
      fraction: s.fraction,
      quantity: new Dec(s.qty).toString(),
    })),
  }
}

interface ArrivalQuoteJson {
  readonly bid: unknown
  readonly ask: unknown
  readonly mid: unknown
  readonly timestampMs: number
}

const quoteView = (q: ArrivalQuoteJson) => ({
  bid: priceText(q.bid as string),
  ask: priceText(q.ask as string),
  mid: priceText(q.mid as string),
  at: iso(q.timestampMs),
})

const marketView = (m: MarketClock | null) =>
  m === null ? null : { isOpen: m.isOpen, nextOpen: iso(m.nextOpenMs), nextClose: iso(m.nextCloseMs) }

const fillView = (f: FillRecord) => ({
  fillId: f.fillId,
  quantity: f.qty,
  price: priceText(f.price),
  at: iso(f.tsEvent),
})

function childView(c: ChildOrderRecord, fills: readonly FillRecord[]) {
  return {
    clientOrderId: c.clientOrderId,
    brokerOrderId: c.brokerOrderId,
    sliceIndex: c.sliceIndex,
    attempt: c.attempt,
    type: c.type,
    side: c.side,
    quantity: c.qty,
    limitPrice: priceText(c.limitPrice),
    status: c.status,
    filledQuantity: c.filledQty,
    avgFillPrice: new Dec(c.filledQty).isZero() ? null : priceText(c.avgPx),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    fills: fills.filter((f) => f.clientOrderId === c.clientOrderId).map(fillView),
  }
}

/** The engine's result as stored (JSON: decimals as strings, times as epoch ms), in the API's vocabulary. */
function resultView(result: unknown) {
  if (result === null || typeof result !== 'object') return null
  const r = result as Record<string, unknown> & { attempts?: Array<Record<string, unknown>> }
  const error = r.error as { code: string; message: string; brokerCode?: string; riskCode?: string; retryAtMs?: number }
  return {
    success: r.success as boolean,
    strategy: r.executionStrategy as string,
    slicesUsed: r.slicesUsed as number,
    requestedQuantity: r.requestedQuantity as string,
    filledQuantity: r.totalFilled as string,
    fillPercentage: r.fillPercentage as number,
    avgFillPrice: new Dec(r.totalFilled as string).isZero() ? null : priceText(r.avgFillPrice as string),
    arrivalMid: priceText(r.arrivalMid as string | null),
    shortfallBps: bps(r.implementationShortfallBps as number | null),
    expectedCostBps: bps(r.expectedCostBps as number | null),
    expectedStdBps: bps(r.expectedStdBps as number | null),
    executionTimeSeconds: r.executionTimeSeconds as number,
    marketFallbackUsed: r.marketFallbackUsed as boolean,
    horizonSeconds: (r.horizonSeconds as number | null | undefined) ?? null,
    horizonShortenedFromSeconds: (r.horizonShortenedFromSeconds as number | null | undefined) ?? null,
    startedAt: iso(r.startedAt as number),
    finishedAt: iso(r.finishedAt as number),
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
      sliceIndex: a.sliceIndex as number,
      attempt: a.attempt as number,
      clientOrderId: a.clientOrderId as string,
      kind: a.kind as string,
      quantity: a.qty as string,
      limitPrice: priceText(a.limitPrice as string | undefined),
      aggression: (a.aggression as number | undefined) ?? null,
      filledQuantity: a.filledQty as string,
      avgFillPrice: new Dec(a.filledQty as string).isZero() ? null : priceText(a.avgFillPrice as string),
      status: a.status as string,
      lateFillQuantity: a.lateFillQty as string,
      submittedAt: iso(a.submittedAt as number),
      completedAt: iso(a.completedAt as number),
    })),
  }
}

/** The summary of an execution every listing shows. */
export function executionSummary(record: ExecutionRecord, progress: ExecutionProgress) {
  return {
    executionId: record.id,
    correlationId: record.correlationId,
    symbol: record.symbol,
    side: record.side,
    quantity: record.quantity,
    urgency: record.urgency,
    strategy: record.strategy,
    status: record.status,
    cancelRequested: record.cancelRequested,
    resumes: record.resumes,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    /** `scheduled`: when it starts (the market's next open). */
    scheduledFor: record.status === 'scheduled' ? iso(record.notBefore) : null,
    filledQuantity: progress.filledQuantity.toString(),
    fillPercentage: progress.filledQuantity.div(record.quantity).mul(100).toDecimalPlaces(4).toNumber(),
    avgFillPrice: priceText(progress.avgFillPrice),
    arrivalMid: priceText(progress.arrival?.mid ?? null),
    shortfallBps: bps(progress.shortfallBps),
    expectedCostBps: bps(progress.plan?.expectedCostBps ?? null),
    startedAt: iso(progress.startedAt),
    expectedFinishAt: iso(progress.expectedFinishAt),
    finishedAt: iso(progress.finishedAt),
  }
}

/** An execution with everything known about it: arrival, plan, child orders with their fills, result. */
export function executionView(detail: ExecutionDetail) {
  const { record, progress } = detail
  return {
    ...executionSummary(record, progress),
    arrivalQuote: progress.arrival ? quoteView(progress.arrival) : null,
    plan: progress.plan ? planView(progress.plan, progress.startedAt) : null,
    childOrders: detail.childOrders.map((c) => childView(c, detail.fills)),
    result: resultView(record.result),
  }
}

type JsonRecord = Record<string, unknown>

/** A child order as journaled (the engine's `ChildOrder` as JSON). */
const journaledOrderView = (o: JsonRecord) => ({
  clientOrderId: o.clientOrderId as string,
  brokerOrderId: (o.brokerOrderId as string | undefined) ?? null,
  sliceIndex: o.sliceIndex as number,
  attempt: o.attempt as number,
  type: o.type as string,
  side: o.side as string,
  quantity: o.qty as string,
  limitPrice: priceText(o.limitPrice as string | undefined),
  status: o.status as string,
  filledQuantity: o.filledQty as string,
  avgFillPrice: new Dec(o.filledQty as string).isZero() ? null : priceText(o.avgPx as string),
  createdAt: iso(o.createdAt as number),
  updatedAt: iso(o.updatedAt as number),
})

/** What each journal entry type says, in the API's vocabulary. */
function entryFields(type: string, e: JsonRecord): JsonRecord {
  switch (type) {
    case 'execution_started':
      return { strategy: e.strategy, resumed: e.resumed }
    case 'arrival_quote':
      return { quote: e.quote ? quoteView(e.quote as ArrivalQuoteJson) : null }
    case 'execution_planned':
      return { plan: planView(e.plan as ExecutionPlan, null), expectedFinishAt: iso(e.expectedFinishAt as number) }
    case 'child_order_created':
      return { order: journaledOrderView(e.order as JsonRecord) }
    case 'child_order_status':
      return {
        clientOrderId: e.clientOrderId,
        from: e.from,
        to: e.to,
        order: journaledOrderView(e.order as JsonRecord),
      }
    case 'fill': {
      const f = e.fill as JsonRecord
      return {
        fill: {
          fillId: f.fillId,
          clientOrderId: f.clientOrderId,
          brokerOrderId: f.brokerOrderId,
          quantity: f.qty,
          price: priceText(f.price as string),
          at: iso(f.tsEvent as number),
        },
      }
    }
    case 'risk_check_failed':
      return {
        code: e.code,
        message: e.message,
        sliceIndex: e.sliceIndex ?? null,
        quantity: e.qty,
        limitPrice: priceText(e.limitPrice as string | undefined),
      }
    case 'execution_finished':
      return { status: e.status, result: resultView(e.result) }
    default:
      return {}
  }
}

/**
 * One journal entry as an event (the `data` of a Server-Sent Event, whose `id` is `id` and `event` is
 * `type`): `execution_started`, `arrival_quote`, `execution_planned`, `child_order_created` (sent),
 * `child_order_status` (a cancel asked or confirmed, a fill's status), `fill`, `risk_check_failed`,
 * `execution_finished`.
 */
export function eventView(e: StoredJournalEntry) {
  return {
    id: e.id,
    executionId: e.executionId,
    type: e.type,
    at: iso(e.atMs),
    ...entryFields(e.type, e.entry as JsonRecord),
  }
}

/** What `POST /v1/preview` answers: the strategy, the venue's clock and quote, the plan and its estimate. */
export function previewView(intent: OrderIntent, assessment: Extract<IntentAssessment, { ok: true }>, nowMs: number) {
  const opensLater = assessment.market !== null && !assessment.market.isOpen ? assessment.market.nextOpenMs : null
  return {
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity.toString(),
    urgency: intent.urgency,
    strategy: assessment.strategy,
    routeReason: assessment.routeReason,
    market: marketView(assessment.market),
    quote: assessment.quote ? quoteView(assessment.quote) : null,
    plan: planView(assessment.plan, opensLater ?? nowMs),
  }
}
