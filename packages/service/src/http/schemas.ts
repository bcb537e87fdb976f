import { IMPACT_MODELS, ORDER_STATUSES, RISK_CHECKS, SIDES, STRATEGY_NAMES, URGENCIES } from '@acx/engine'
import { z } from 'zod'
import { SERVICE_ERRORS, type ServiceErrorCode } from '../errors.js'
import { IntentBody, MAX_INTAKE_CORRELATION_ID } from '../intake/parseIntent.js'
import { EXECUTION_STATUSES } from '../persistence/executionStore.js'

/**
 * Every schema of the HTTP API, in one place: what the server validates (bodies, query, path
 * parameters, headers) and what it answers (every response body). The server parses with these,
 * the views are typed by them (`Out<typeof X>`), and `buildOpenApiDocument` turns them into the
 * OpenAPI description served at `/openapi.json`, so the three cannot drift apart.
 *
 * Conventions, everywhere: times are ISO-8601 UTC with milliseconds (`2026-01-02T14:30:00.000Z`);
 * prices and quantities are decimal strings (no exponent; prices at the instrument's precision: 4
 * decimals at $1 and above, 6 below); costs are in basis points with positive = a cost to the trader.
 */

/** Components of the OpenAPI document: each schema registered here with an id becomes `#/components/schemas/<id>`. */
export const requestComponents = z.registry<{ id: string }>()
export const responseComponents = z.registry<{ id: string }>()

/**
 * Descriptions (and examples) of schemas, including ones defined elsewhere (`IntentBody`'s fields):
 * registered on the very instances the server validates with, never on copies.
 */
export const apiDocs = z.registry<{ description?: string; examples?: readonly unknown[] }>()

/** Describes a schema in place (it is the one the server uses); a shared one is described once, where it is defined. */
function doc<S extends z.ZodType>(schema: S, description: string, examples?: readonly unknown[]): S {
  apiDocs.add(schema as z.ZodType, { description, ...(examples ? { examples } : {}) })
  return schema
}

/** Registers a schema as a component with this id. */
function component<S extends z.ZodType>(registry: typeof responseComponents, id: string, schema: S): S {
  registry.add(schema as z.ZodType, { id })
  return schema
}

/** A shared schema with a description of its own at one use (a copy: the shared one keeps its own). */
const field = <S extends z.ZodType>(schema: S, description: string): S => {
  const shared = apiDocs.get(schema)
  return doc(schema.clone() as S, shared?.description ? `${description}. ${shared.description}` : description)
}

/** What a view returns for a response schema: its output type, read-only (the views build it from read-only data). */
export type Out<S extends z.ZodType> = DeepReadonly<z.output<S>>
type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

// ---------------------------------------------------------------------------------------------------
// Vocabulary

const vocabulary = <S extends z.ZodType>(id: string, schema: S, description: string, examples: readonly unknown[]): S =>
  doc(component(responseComponents, id, schema), description, examples)

const IsoTime = vocabulary('Time', z.iso.datetime({ precision: 3 }), 'ISO-8601 UTC time with milliseconds', [
  '2026-01-02T14:30:00.000Z',
])
const Quantity = vocabulary(
  'Quantity',
  z.string().regex(/^\d+(\.\d+)?$/),
  'A quantity: a non-negative decimal number as a string (every digit it has, no sign, no exponent)',
  ['1000'],
)
const Price = vocabulary(
  'Price',
  z.string().regex(/^\d+(\.\d+)?$/),
  'A price in USD as a decimal string: 4 decimals at $1 and above, 6 below, trailing zeros dropped',
  ['190.015'],
)
const Bps = vocabulary(
  'Bps',
  z.number(),
  'Basis points of arrival notional, rounded to 0.01; positive = a cost to the trader',
  [3.37],
)
const Count = z.int().min(0)
const Side = z.enum(SIDES)
const Urgency = z.enum(URGENCIES)
const Strategy = doc(z.enum(STRATEGY_NAMES), 'The execution strategy')
const ExecutionStatus = doc(
  z.enum(EXECUTION_STATUSES),
  '`scheduled` (waits for the market to open), `queued`, `running`, or final: `filled`, `partially_filled`, `failed`, `cancelled`',
)
const ChildOrderStatus = doc(
  z.enum(ORDER_STATUSES),
  'A child order at the venue: `created` (journaled, not yet sent), then as the venue reports it',
)
const RiskCheck = doc(
  z.enum(Object.keys(RISK_CHECKS) as [keyof typeof RISK_CHECKS, ...(keyof typeof RISK_CHECKS)[]]),
  'The risk limit that refused an order',
)

// ---------------------------------------------------------------------------------------------------
// Requests

doc(IntentBody.shape.side, '`BUY` or `SELL` (ASCII letters, any case)', ['BUY'])
doc(
  IntentBody.shape.symbol,
  'Letters A–Z, digits, `.` and `/`, at least one letter, at most 32 (ASCII, any case): `AAPL`, `BRK.B`, `BTC/USD`',
  ['AAPL'],
)
doc(
  IntentBody.shape.quantity,
  'Greater than 0: a plain decimal string (at most 15 digits before the point and 9 after; no sign, no exponent), or a JSON number a double holds exactly',
  ['1000'],
)
doc(IntentBody.shape.urgency, '`LOW`, `MEDIUM` or `HIGH`: chooses the strategy (ROUTE_* settings)', ['MEDIUM'])
doc(
  IntentBody.shape.correlationId,
  `The idempotency key: printable ASCII, 1–${MAX_INTAKE_CORRELATION_ID} characters; resending it with the same order returns the same execution`,
  ['order-2026-01-02-0001'],
)
doc(IntentBody.shape.closeType, '`NONE` (default), `PARTIAL` or `FULL`: a close sells from a position')
doc(IntentBody.shape.strategy, 'Routes to this strategy whatever the urgency: ' + STRATEGY_NAMES.join(', '))

/** `POST /v1/orders`: an order intent (unknown fields are refused). */
export const OrderIntentBody = component(requestComponents, 'OrderIntent', IntentBody)
doc(
  OrderIntentBody,
  'An order to execute. Checked in full: every problem is listed in one 400; unknown fields are refused.',
)

/** `POST /v1/preview`: the same intent, the correlation id optional (nothing is stored). */
export const PreviewBody = component(requestComponents, 'PreviewIntent', IntentBody.partial({ correlationId: true }))
doc(PreviewBody, 'An order intent to preview; `correlationId` may be left out (nothing is stored under it)')

/** `POST /v1/admin/halt`. */
export const HaltBody = component(
  requestComponents,
  'HaltRequest',
  z.strictObject({ reason: doc(z.string().trim().min(1).max(500), 'Why trading is halted (1–500 characters)') }),
)

/** A list cursor: the creation time and id of the last execution of the previous page, opaque to clients. */
export const encodeCursor = (createdAt: number, id: string): string =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url')

const Cursor = z
  .string()
  .max(400)
  .transform((s, ctx) => {
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown[]
      if (Number.isSafeInteger(createdAt) && typeof id === 'string' && id.length > 0 && id.length <= 200)
        return { createdAt: createdAt as number, id }
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out (use nextCursor as it came)' })
    return z.NEVER
  })

/** A symbol to filter by, in any case: upper-cased. */
const SymbolFilter = doc(
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9./]{1,32}$/, 'letters, digits, "." and "/" only')
    .transform((s) => s.replace(/[a-z]+/g, (r) => r.toUpperCase()))
    .optional(),
  'Only this symbol (ASCII, any case)',
)

/** `GET /v1/orders` query. */
export const ListQuery = z.strictObject({
  symbol: SymbolFilter,
  status: doc(z.enum(EXECUTION_STATUSES).optional(), 'Only executions in this status'),
  limit: doc(z.coerce.number().int().min(1).max(1000).default(50), 'Page size, 1–1000'),
  cursor: doc(Cursor.optional(), 'Where the page starts: the `nextCursor` of the previous page, as it came'),
})

/** `GET /v1/report` query. */
export const ReportQuery = z.strictObject({
  since: doc(
    z.string().trim().max(40).optional(),
    'The window: `30m`, `24h`, `7d` (back from now) or an ISO-8601 date or time; none: all time',
  ),
  symbol: SymbolFilter,
})

/** Path parameters. Longer values than these can name nothing. */
export const ExecutionIdParams = z.strictObject({
  id: doc(z.string().min(1).max(100), 'The execution id (`executionId`)', ['ex_6f1c2b1e-8d3a-4f59-9d55-3c0f1b2a4e77']),
})
export const CorrelationIdParams = z.strictObject({
  correlationId: doc(
    z.string().min(1).max(MAX_INTAKE_CORRELATION_ID),
    'The correlation id the execution was submitted under',
  ),
})

/** A journal entry id as given out in event ids: digits (SQLite) or a DynamoDB sort key. */
export const EventStreamHeaders = z.object({
  'last-event-id': doc(
    z.union([z.literal(''), z.string().regex(/^[A-Za-z0-9#._-]{1,200}$/)]).optional(),
    'Resume after this event: the `id` of the last event received (an EventSource sends it when it reconnects)',
  ),
})

// ---------------------------------------------------------------------------------------------------
// Responses

const response = <S extends z.ZodType>(id: string, schema: S, description: string): S =>
  doc(component(responseComponents, id, schema), description)

/** The codes a request can be answered with (the others never leave the process). */
type HttpErrorCode = {
  [K in ServiceErrorCode]: (typeof SERVICE_ERRORS)[K] extends { readonly status: number } ? K : never
}[ServiceErrorCode]
const HTTP_ERROR_CODES = (Object.keys(SERVICE_ERRORS) as ServiceErrorCode[]).filter(
  (c): c is HttpErrorCode => 'status' in SERVICE_ERRORS[c],
) as [HttpErrorCode, ...HttpErrorCode[]]
export const isHttpErrorCode = (code: string): code is HttpErrorCode =>
  (HTTP_ERROR_CODES as readonly string[]).includes(code)

const Issue = response(
  'Issue',
  z.strictObject({
    path: doc(z.string(), 'The field (dotted path), `(body)`, `(request)` or a header name'),
    message: z.string(),
  }),
  'One problem with a request',
)

export const ErrorBody = response(
  'Error',
  z.strictObject({
    error: doc(z.enum(HTTP_ERROR_CODES), 'The error code; the HTTP status follows from it'),
    message: doc(z.string(), 'What went wrong, for a person'),
    limit: doc(
      z.string().optional(),
      '`SERVICE_RISK_LIMIT`: the setting that holds the limit, e.g. `RISK_MAX_ORDER_NOTIONAL`',
    ),
    reason: doc(
      z.string().optional(),
      "`SERVICE_ORDER_REFUSED`: the engine's code, the same an execution fails with (`asset_not_found`, `asset_not_tradable`, `fractional_not_allowed`, `below_min_order_size`, `insufficient_position`, `market_closed`)",
    ),
    issues: doc(
      z.array(Issue).min(1).optional(),
      '`SERVICE_INVALID_REQUEST`: every problem found; `SERVICE_IDEMPOTENCY_CONFLICT`: the fields that differ',
    ),
  }),
  'The body of every error answer, the framework’s own included',
)

export const Health = response('Health', z.strictObject({ status: z.literal('ok') }), 'The process serves')

const HaltState = z.strictObject({ reason: z.string(), since: IsoTime })

export const Readiness = response(
  'Readiness',
  z.strictObject({
    status: z.enum(['ready', 'not_ready']),
    reasons: doc(
      z.array(z.enum(['draining', 'store_unavailable', 'halted', 'queue_full'])),
      'Why new orders are not taken now; empty when ready',
    ),
    running: field(Count, 'Executions running in this process'),
    queued: field(Count, 'Executions waiting to start in this process'),
    storeError: doc(z.string().optional(), 'While the store cannot be written: the last failure'),
    halt: doc(HaltState.optional(), 'While trading is halted: why and since when'),
  }),
  'Whether the service takes orders',
)

export const OrderAccepted = response(
  'OrderAccepted',
  z.strictObject({
    executionId: z.string(),
    correlationId: z.string(),
    status: ExecutionStatus,
    created: doc(z.boolean(), 'True when this request created the execution; false for a replay of the same order'),
  }),
  'The execution an intent was admitted as',
)

const Quote = response(
  'Quote',
  z.strictObject({ bid: Price, ask: Price, mid: Price, at: IsoTime }),
  'A quote from the venue',
)

const PlannedSlice = z.strictObject({
  index: Count,
  startSeconds: doc(z.number(), 'Seconds from the start of the execution'),
  plannedStart: doc(
    IsoTime.nullable(),
    'When the slice is planned to start; null in a plan journaled before its start is known',
  ),
  fraction: doc(z.number(), 'Fraction of the order (0–1)'),
  quantity: field(
    Quantity,
    'Planned quantity if every slice fills (rounded down to the lot; the remainder in the last slice)',
  ),
})

const StatsSource = z.enum(['override', 'venue', 'default'])

const Plan = response(
  'Plan',
  z.strictObject({
    strategy: Strategy,
    horizonSeconds: doc(z.number(), 'How long the strategy takes, seconds'),
    shortenedFromSeconds: doc(
      z.number().nullable(),
      'When the horizon was cut to end before the close: the configured horizon, seconds',
    ),
    kappa: doc(z.number().nullable(), 'Almgren–Chriss κ, per second (AC and TWAP)'),
    expectedCostBps: doc(Bps.nullable(), 'Pre-trade expected cost E, half spread included (AC and TWAP)'),
    expectedStdBps: doc(Bps.nullable(), 'Pre-trade standard deviation √V of the cost (AC and TWAP)'),
    halfSpreadBps: field(Bps, 'The half spread of the quote the estimate includes; 0 without a quote'),
    impactModel: doc(
      z.enum(IMPACT_MODELS).nullable(),
      'The market-impact model of the estimate (`AC_IMPACT_MODEL`); null in a plan journaled before it was recorded',
    ),
    marketStats: doc(
      z
        .strictObject({
          adv: field(Quantity, 'Average daily volume, shares per day'),
          dailyVolatility: doc(z.number().min(0), 'Daily volatility of returns (fraction)'),
          advSource: doc(StatsSource, 'Where the ADV came from'),
          volatilitySource: doc(StatsSource, 'Where the volatility came from'),
        })
        .nullable(),
      'The σ and ADV the plan used',
    ),
    orderPctAdv: doc(z.number().min(0).nullable(), "The order's size as a percentage of the ADV"),
    participationRate: doc(
      z.number().min(0).nullable(),
      'Average participation over the horizon, (Q/T)/V̄ with V̄ = ADV / trading-day seconds (fraction); null for a market order',
    ),
    maxSliceParticipation: doc(
      z.number().min(0).nullable(),
      "The largest planned slice's participation, slice/(τ·V̄) (AC and TWAP)",
    ),
    dominantCost: doc(
      z.enum(['spread', 'impact']).nullable(),
      'Which part of the expected cost is larger: the half spread or the impact (AC and TWAP)',
    ),
    participationCap: doc(
      z
        .strictObject({
          maxParticipation: doc(z.number(), 'The cap, participation per slice (`AC_MAX_PARTICIPATION`)'),
          sliceCapQuantity: field(Quantity, 'The most one slice may trade'),
          extendedFromSeconds: doc(z.number().nullable(), 'When the horizon was extended: the horizon before, seconds'),
          slicesOverCap: doc(Count, 'Slices planned above the cap once the horizon reached its limit'),
        })
        .nullable(),
      'What the participation cap did; null when it did not apply',
    ),
    slices: z.array(PlannedSlice),
  }),
  'What an execution will do and what it is expected to cost',
)

const Fill = response(
  'Fill',
  z.strictObject({ fillId: z.string(), quantity: Quantity, price: Price, at: IsoTime }),
  'A fill of a child order',
)

const childOrderFields = {
  clientOrderId: doc(
    z.string(),
    'The id the service gave the order at the venue (`{correlationId}-s{slice}-a{attempt}`)',
  ),
  brokerOrderId: doc(z.string().nullable(), "The venue's order id, once it answered"),
  sliceIndex: Count,
  attempt: Count,
  type: z.enum(['market', 'limit']),
  side: Side,
  quantity: Quantity,
  limitPrice: Price.nullable(),
  status: ChildOrderStatus,
  filledQuantity: Quantity,
  avgFillPrice: doc(Price.nullable(), 'Null while nothing filled'),
  createdAt: IsoTime,
  updatedAt: IsoTime,
}

const JournaledChildOrder = response(
  'JournaledChildOrder',
  z.strictObject(childOrderFields),
  'A child order as journaled',
)

const ChildOrder = response(
  'ChildOrder',
  z.strictObject({ ...childOrderFields, fills: z.array(Fill) }),
  'A child order sent to the venue, with its fills',
)

const SliceAttempt = z.strictObject({
  sliceIndex: Count,
  attempt: Count,
  clientOrderId: z.string(),
  kind: z.enum(['limit', 'market', 'market_fallback']),
  quantity: Quantity,
  limitPrice: Price.nullable(),
  aggression: doc(z.number().nullable(), 'Limit orders: fraction of the spread from the near side toward the far side'),
  filledQuantity: Quantity,
  avgFillPrice: Price.nullable(),
  status: ChildOrderStatus,
  lateFillQuantity: field(Quantity, 'Filled after the cancel was requested (a fill racing the cancel)'),
  submittedAt: IsoTime,
  completedAt: IsoTime,
})

const ExecutionFailure = z.strictObject({
  code: doc(
    z.string(),
    'Why the execution did not complete: `no_quote_available`, `asset_not_found`, `asset_not_tradable`, `fractional_not_allowed`, `below_min_order_size`, `insufficient_position`, `broker_error`, `cancel_unconfirmed`, `outcome_unknown`, `risk_limit`, `halted`, `market_closed`, `aborted`, `partially_filled`, `not_filled`',
  ),
  message: z.string(),
  brokerCode: doc(z.string().optional(), 'The broker error code when a broker error caused it'),
  riskCode: doc(RiskCheck.optional(), '`risk_limit`: the limit that refused the order'),
  retryAt: doc(IsoTime.optional(), '`market_closed`: when the market opens next'),
})

const ExecutionResult = response(
  'ExecutionResult',
  z.strictObject({
    success: doc(z.boolean(), 'True when the whole quantity filled'),
    strategy: Strategy,
    routeReason: doc(
      z.string().nullable(),
      'Why the router chose the strategy, as a code (`urgency`, `symbol_override`, `intent_strategy`, `below_ac_min_adv_pct`, `at_or_above_ac_min_adv_pct`); null in results stored before it was recorded',
    ),
    routeDetail: doc(
      z.string().nullable(),
      "The same in one line, with the route and a split's bucket: `urgency MEDIUM: almgren_chriss:20,walk_the_book:80, bucket 37 of 100`",
    ),
    slicesUsed: doc(Count, 'Schedule slices that sent at least one order (the market fallback not counted)'),
    requestedQuantity: Quantity,
    filledQuantity: Quantity,
    fillPercentage: doc(z.number().min(0).max(100), '0–100'),
    avgFillPrice: doc(Price.nullable(), 'Volume-weighted over every fill; null while nothing filled'),
    arrivalMid: doc(Price.nullable(), 'Mid of the arrival quote; null without a usable quote'),
    shortfallBps: doc(Bps.nullable(), 'Implementation shortfall against the arrival mid'),
    expectedCostBps: doc(Bps.nullable(), 'Pre-trade expected cost E (AC and TWAP)'),
    expectedStdBps: doc(Bps.nullable(), 'Pre-trade standard deviation √V (AC and TWAP)'),
    executionTimeSeconds: z.number().min(0),
    marketFallbackUsed: z.boolean(),
    horizonSeconds: z.number().nullable(),
    horizonShortenedFromSeconds: z.number().nullable(),
    startedAt: IsoTime,
    finishedAt: IsoTime,
    error: ExecutionFailure.nullable(),
    attempts: doc(z.array(SliceAttempt), 'Every child order sent, per slice and attempt'),
  }),
  "The engine's result of a run (a resumed execution: over every run)",
)

const summaryFields = {
  executionId: z.string(),
  correlationId: z.string(),
  symbol: z.string(),
  side: Side,
  quantity: Quantity,
  urgency: Urgency,
  strategy: doc(Strategy.nullable(), 'The routed strategy, once known'),
  status: ExecutionStatus,
  cancelRequested: z.boolean(),
  resumes: field(Count, 'How many times the execution was resumed after a restart'),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  scheduledFor: doc(IsoTime.nullable(), '`scheduled`: when it starts (the market’s next open)'),
  filledQuantity: field(Quantity, 'Over every stored fill, every run'),
  fillPercentage: doc(z.number().min(0).max(100), 'Filled quantity over quantity, 0–100'),
  avgFillPrice: Price.nullable(),
  arrivalMid: Price.nullable(),
  shortfallBps: doc(Bps.nullable(), 'So far, against the arrival mid'),
  expectedCostBps: doc(Bps.nullable(), 'The plan’s pre-trade estimate'),
  startedAt: doc(IsoTime.nullable(), 'When the current run chain started; null before it starts'),
  expectedFinishAt: doc(IsoTime.nullable(), 'When the plan ends'),
  finishedAt: IsoTime.nullable(),
}

export const ExecutionSummary = response(
  'ExecutionSummary',
  z.strictObject(summaryFields),
  'An execution in a listing: what was asked and where it stands',
)

export const ExecutionDetail = response(
  'Execution',
  z.strictObject({
    ...summaryFields,
    arrivalQuote: Quote.nullable(),
    plan: Plan.nullable(),
    childOrders: z.array(ChildOrder),
    result: doc(ExecutionResult.nullable(), 'Once finished'),
  }),
  'An execution with everything known about it: arrival, plan, child orders with their fills, result',
)

export const ExecutionPage = response(
  'ExecutionPage',
  z.strictObject({
    executions: z.array(ExecutionSummary),
    nextCursor: doc(
      z.string().nullable(),
      'Pass as `cursor` for the next page; null when this page is the last (a full page may still be the last)',
    ),
  }),
  'A page of executions, newest first',
)

export const Preview = response(
  'Preview',
  z.strictObject({
    symbol: z.string(),
    side: Side,
    quantity: Quantity,
    urgency: Urgency,
    strategy: Strategy,
    routeReason: doc(z.string(), 'Why the router chose the strategy'),
    market: doc(
      z.strictObject({ isOpen: z.boolean(), nextOpen: IsoTime.nullable(), nextClose: IsoTime.nullable() }).nullable(),
      "The venue's clock for the symbol; null when the venue could not say",
    ),
    quote: Quote.nullable(),
    plan: Plan,
  }),
  'What an intent would do and cost, sending nothing: the plan as the execution would make it now (while the market is closed, as at the open)',
)

export const HaltAnswer = response(
  'Halted',
  z.strictObject({ status: z.literal('halted'), reason: z.string(), since: IsoTime }),
  'Trading is halted',
)

export const ResumeAnswer = response('Trading', z.strictObject({ status: z.literal('trading') }), 'Trading again')

export const OpenApiDocument = response(
  'OpenApiDocument',
  z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }) }),
  'This document (OpenAPI 3.1)',
)

// What the dashboard reads besides the executions

export const EventsHead = response(
  'EventsHead',
  z.strictObject({
    lastEventId: doc(
      z.string().nullable(),
      'The newest journal entry id: send it as `Last-Event-ID` to `GET /v1/events` to follow from now. Null: the journal is empty, or the store keeps no global order (DynamoDB: the stream then carries only what happens from when it opens)',
    ),
  }),
  'Where the journal ends now',
)

export const QuoteTape = response(
  'QuoteTape',
  z.strictObject({
    quotes: doc(
      z.array(z.strictObject({ bid: Price, ask: Price, mid: Price, at: IsoTime })),
      'The arrival quote, then every quote the engine fetched for the symbol while the execution ran, oldest first',
    ),
    complete: doc(
      z.boolean(),
      'False when this process did not see the whole execution (restarted, another worker, evicted): quotes are kept in memory',
    ),
  }),
  'The bids and asks an execution was priced from',
)

const ReportCriterion = z.strictObject({
  name: z.enum(['fill_rate', 'execution_time', 'market_fallback']),
  target: z.string(),
  value: doc(z.number().nullable(), 'The figure, in `unit`; null without a sample'),
  unit: z.enum(['%', 's']),
  sample: doc(Count, 'Executions the figure is over'),
  pass: doc(z.boolean().nullable(), 'Whether the figure meets the target; null without a sample'),
})

const StrategyReport = z.strictObject({
  strategy: z.string(),
  executions: Count,
  criteria: z.array(ReportCriterion),
  shortfall: z.strictObject({
    count: Count,
    meanBps: Bps.nullable(),
    quantilesBps: z.strictObject({ p5: Bps, p25: Bps, p50: Bps, p75: Bps, p95: Bps }).nullable(),
    valuesBps: doc(z.array(Bps), 'Every execution’s shortfall against its arrival mid, ascending'),
  }),
})

export const Report = response(
  'Report',
  z.strictObject({
    generatedAt: IsoTime,
    since: IsoTime.nullable(),
    symbol: z.string().nullable(),
    executions: doc(Count, 'Finished executions in the window'),
    strategies: z.array(StrategyReport),
    comparison: doc(
      z.strictObject({
        name: z.literal('price_improvement_vs_walk_the_book'),
        target: z.string(),
        value: doc(
          Bps.nullable(),
          'The almgren_chriss mean shortfall minus the walk_the_book one; negative = Almgren–Chriss cost less',
        ),
        unit: z.literal('bps'),
        almgrenChrissBps: Bps.nullable(),
        walkTheBookBps: Bps.nullable(),
        almgrenChrissSample: Count,
        walkTheBookSample: Count,
        pass: z.boolean().nullable(),
      }),
      'Almgren–Chriss against walk-the-book on mean shortfall',
    ),
  }),
  'The rollout guide’s success criteria per strategy, with figures and samples, and the shortfall distributions',
)

// Server-Sent Events: one schema per journal entry type, discriminated on `type`

const eventFields = {
  id: doc(z.string(), 'The event id (also the SSE `id`): send it back as `Last-Event-ID` to resume after it'),
  executionId: z.string(),
  at: IsoTime,
}
const event = <T extends string, F extends z.ZodRawShape>(type: T, fields: F) =>
  z.strictObject({ ...eventFields, type: z.literal(type), ...fields })

export const ExecutionEvent = response(
  'ExecutionEvent',
  z.discriminatedUnion('type', [
    event('execution_started', {
      strategy: Strategy,
      resumed: doc(z.boolean(), 'True when the run resumes the execution after a restart'),
    }),
    event('arrival_quote', { quote: doc(Quote.nullable(), 'Null when there was no usable quote') }),
    event('execution_planned', { plan: Plan, expectedFinishAt: IsoTime }),
    event('child_order_created', { order: JournaledChildOrder }),
    event('child_order_status', {
      clientOrderId: z.string(),
      from: ChildOrderStatus,
      to: ChildOrderStatus,
      order: JournaledChildOrder,
    }),
    event('fill', {
      fill: z.strictObject({
        fillId: z.string(),
        clientOrderId: z.string(),
        brokerOrderId: z.string(),
        quantity: Quantity,
        price: Price,
        at: IsoTime,
      }),
    }),
    event('risk_check_failed', {
      code: RiskCheck,
      message: z.string(),
      sliceIndex: doc(Count.nullable(), 'Null for the parent order'),
      quantity: Quantity,
      limitPrice: Price.nullable(),
    }),
    event('execution_finished', { status: ExecutionStatus, result: ExecutionResult }),
  ]),
  'One journal entry of an execution (`at`: when it happened, on the execution clock): the `data` of a Server-Sent Event whose `event` is `type` and whose `id` is `id`',
)

/** The event types a stream sends (the SSE `event` field). */
export const EVENT_TYPES = ExecutionEvent.options.map((o) => o.shape.type.value)
