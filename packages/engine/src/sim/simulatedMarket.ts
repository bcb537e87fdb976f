import { Decimal } from 'decimal.js'
import { Dec, ZERO } from '../domain/dec.js'
import { brokerOrderId, type BrokerOrderId, type ClientOrderId } from '../domain/ids.js'
import type { Side } from '../domain/orderIntent.js'
import type { Quote } from '../domain/quote.js'
import { isOnTick, tickSize } from '../domain/tick.js'
import {
  BrokerError,
  type Asset,
  type BrokerErrorReason,
  type BrokerOrder,
  type BrokerOrderStatus,
  type BrokerPort,
  type Position,
  type SubmitOrderRequest,
} from '../ports/broker.js'
import type { Clock } from '../ports/clock.js'
import { EngineError } from '../errors.js'
import { createPrng, seedFor, type Prng } from './prng.js'
import {
  ALWAYS_OPEN,
  assertTradingSession,
  sessionClock,
  tradesAroundTheClock,
  type TradingSession,
} from '../domain/tradingSession.js'
import type {
  SimulatedVenueChanges,
  SimulatedVenueSnapshot,
  SimulatedVenueStore,
  StoredSimFill,
  StoredSimOrder,
  StoredSimSymbol,
} from './simulatedVenueStore.js'

/** How a symbol's quote misbehaves. */
export type QuoteFault = 'none' | 'missing' | 'zero_bid' | 'zero_ask' | 'stale'

export interface SimulatedSymbol {
  /** Initial mid price. */
  readonly price: Decimal | string
  /** Quoted spread (ask − bid), on the tick. */
  readonly spread: Decimal | string
  /** Daily volatility of returns; defaults to the market's `dailyVolatility`. */
  readonly dailyVolatility?: number
  /**
   * Average daily volume, shares per day. With it the symbol trades as the participation model says
   * (see `participationImpact`): its trade flow is sized so that ADV shares trade per trading day, and
   * `getDailyStats` answers this ADV and the daily volatility. Without it: the fixed knobs below.
   */
  readonly adv?: number
  readonly fractionable?: boolean
  readonly tradable?: boolean
  /** The smallest order taken (reported by `getAsset`, a smaller one refused), as a crypto pair's. */
  readonly minOrderSize?: Decimal | string
  /** Starting position (signed). */
  readonly position?: Decimal | string
  readonly quoteFault?: QuoteFault
}

/** What a broker call does instead of its job; returned by the `faults.script` hook. */
export type ScriptedFault =
  | 'reject'
  | 'insufficient_funds'
  | 'unavailable'
  | 'timeout'
  | 'rate_limited'
  /** submit only: the order is created but the response is lost (BROKER_TIMEOUT thrown). */
  | 'lost_response'
  /** submit only: the order is created but the answer is unreadable (BROKER_BAD_RESPONSE thrown). */
  | 'garbled_response'
  | undefined

export type SimCall =
  | { readonly method: 'submitOrder'; readonly request: SubmitOrderRequest; readonly n: number }
  | {
      readonly method: 'getQuote' | 'getPosition' | 'getAsset' | 'getMarketClock' | 'getDailyStats'
      readonly symbol: string
      readonly n: number
    }
  | { readonly method: 'getOrder' | 'cancelOrder'; readonly id: BrokerOrderId; readonly n: number }
  | { readonly method: 'getOrderByClientId'; readonly clientOrderId: ClientOrderId; readonly n: number }

export interface SimulatedFaults {
  /** Probability that a submit is rejected (BROKER_REJECTED). */
  readonly rejectProbability?: number
  /** Probability that any call fails with BROKER_UNAVAILABLE (retryable) before doing anything. */
  readonly unavailableProbability?: number
  /** Probability that a submit creates the order but its response is lost (BROKER_TIMEOUT). */
  readonly lostSubmitResponseProbability?: number
  /** Probability that a fill arrives between a cancel request and its confirmation. */
  readonly fillOnCancelProbability?: number
  /** Token bucket: more calls than this per second get BROKER_RATE_LIMITED (retryable, with retry-after). */
  readonly maxRequestsPerSecond?: number
  /** Deterministic faults: called for every call (n counts calls of that method from 1). */
  readonly script?: (call: SimCall) => ScriptedFault
  /** Deterministic fill-on-cancel: return true to make a fill race this order's cancel. */
  readonly fillOnCancel?: (order: BrokerOrder) => boolean
}

export interface SimulatedMarketOptions {
  readonly clock: Clock
  readonly seed: number
  readonly symbols: Readonly<Record<string, SimulatedSymbol>>
  /** Default daily volatility of every symbol. Default 0.02. */
  readonly dailyVolatility?: number
  /** Seconds per trading day, to scale the daily volatility. Default 23,400. */
  readonly tradingDaySeconds?: number
  /** The market evolves on a grid of this step. Default 1000 ms. */
  readonly stepMs?: number
  /** Probability that someone trades in a step (half buyers, half sellers). Default 0.5. */
  readonly tradeProbability?: number
  /** Mean size of those trades in shares (exponential distribution). Default 100. */
  readonly meanTradeSize?: number
  /** Size shown at the bid and the ask. Default 500. */
  readonly quoteSize?: number
  /** Permanent impact γ: the mid moves by this fraction of price per share we trade. Default 0. */
  readonly permanentImpactPerShare?: number
  /** Temporary impact of a market order: this fraction of price per share, beyond the far touch. Default 1e-7. */
  readonly temporaryImpactPerShare?: number
  /**
   * Impact of symbols with an `adv`, in the participation model's units (the engine's AC_IMPACT_ETA and
   * AC_IMPACT_GAMMA): permanent γ·σ/ADV per share we trade (instead of `permanentImpactPerShare`); an
   * order the touch can absorb (`quoteSize` shares at the touch each step) pays the touch; what it takes
   * beyond the touch pays the far touch × (1 ± η·σ·r/V̄), r = the shares we took beyond the touch over
   * the last `resilienceSeconds` (this order included) divided by that window: our rate against the
   * market's, V̄ = ADV/`tradingDaySeconds`. A marketable limit takes the touch and rests the rest.
   * Defaults η 0.357, γ 0.314 (the engine's), resilience 60 s.
   */
  readonly participationImpact?: {
    readonly eta?: number
    readonly gamma?: number
    readonly resilienceSeconds?: number
  }
  /** Latency of every call, ms (a fixed value or a uniform range). Default 0. */
  readonly latencyMs?: number | { readonly min: number; readonly max: number }
  /** From cancel request to cancel confirmation (the order is `pending_cancel` meanwhile). Default 200 ms. */
  readonly cancelLatencyMs?: number
  readonly faults?: SimulatedFaults
  /**
   * Where the venue keeps its orders, fills, positions and mids, so they outlive the process. Loaded
   * once here; every port call saves what it changed before it answers (see `SimulatedVenueStore`).
   * Without one the venue lives in memory only.
   */
  readonly store?: SimulatedVenueStore
  /**
   * Names this venue in its order ids, `sim-<instanceId>-<N>` (1–32 letters or digits). Default: random,
   * so ids never repeat across processes even without a store. A store's saved id takes precedence.
   */
  readonly instanceId?: string
  /**
   * Finished (filled or canceled) orders the venue remembers at most; beyond, the oldest finished are
   * forgotten, with their fills. Default 10,000.
   */
  readonly maxFinishedOrders?: number
  /** A finished order is forgotten this long after it finished, on the venue clock. Default 86,400,000 (24 h). */
  readonly finishedOrderRetentionMs?: number
  /** When it trades (weekdays, in a time zone); default around the clock. Crypto pairs always trade. */
  readonly session?: TradingSession
}

/** One execution in the simulated market. */
export interface SimulatedFill {
  readonly orderId: BrokerOrderId
  readonly clientOrderId: ClientOrderId
  readonly symbol: string
  readonly side: Side
  readonly qty: Decimal
  readonly price: Decimal
  readonly atMs: number
  /** True when the fill happened after the cancel was requested (a fill racing the cancel). */
  readonly afterCancelRequest: boolean
}

/**
 * A `BrokerPort` plus what tests and demos want to look at. The helpers below neither advance nor save
 * anything, except `mid`, which advances the market (its changes are saved by the next port call).
 */
export interface SimulatedMarket extends BrokerPort {
  /** Every order the venue remembers (open, and finished ones not yet forgotten), in submission order. */
  orders(): readonly BrokerOrder[]
  /** The fills of those orders, in time order. */
  fills(): readonly SimulatedFill[]
  /** What the venue holds in memory: bounded by the open orders plus `maxFinishedOrders`. */
  retained(): {
    readonly orders: number
    readonly clientOrderIds: number
    readonly openOrders: number
    readonly fills: number
  }
  /** The current mid (after our permanent impact), advancing the market to now. */
  mid(symbol: string): Decimal
  setQuoteFault(symbol: string, fault: QuoteFault): void
  /** Calls received per method. */
  callCounts(): Readonly<Record<string, number>>
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

interface SymbolState {
  readonly symbol: string
  readonly rng: Prng
  readonly sigmaPerStep: number
  /** Daily volatility of returns. */
  readonly vol: number
  /** Shares per day (participation model), or null (fixed knobs). */
  readonly adv: number | null
  /** Mean size of the flow's trades, shares. */
  readonly meanTradeSize: number
  /** Fraction of price per share we trade. */
  readonly permanentPerShare: number
  /** Shares taken at the touch within the current step (the touch refills each step). */
  touchTaken: number
  touchStep: number
  /** Our takes beyond the touch within the resilience window: [atMs, shares]. */
  readonly deepTakes: [number, number][]
  readonly spread: Decimal
  readonly fractionable: boolean
  readonly tradable: boolean
  readonly minOrderSize: Decimal | null
  /** Mid without our impact. */
  mid: number
  /** Cumulative permanent impact, a fraction of price. */
  impact: number
  step: number
  quoteFault: QuoteFault
  position: Decimal
  positionCost: Decimal
  /** Limit orders that can still fill or are waiting for their cancel to be confirmed. */
  readonly open: Set<SimOrder>
  /** The spread as a number. */
  readonly spreadN: number
  /** ½σ² per step (the drift correction of the geometric walk). */
  readonly halfVar: number
}

interface SimOrder {
  readonly id: BrokerOrderId
  readonly clientOrderId: ClientOrderId
  readonly symbol: string
  readonly side: Side
  readonly type: 'market' | 'limit'
  readonly qty: Decimal
  readonly limitPrice: Decimal | undefined
  readonly limit: number
  readonly seq: number
  status: BrokerOrderStatus
  filledQty: Decimal
  notional: Decimal
  avgPrice: Decimal | null
  readonly submittedAtMs: number
  updatedAtMs: number
  cancelDueAt: number | undefined
  raceFill: boolean
  /** Resting orders match from this time; a restored order at once. */
  readonly liveFromMs: number
  /** When it became filled or canceled. */
  finishedAtMs: number | undefined
  readonly fills: SimulatedFill[]
  /** How many of `fills` the store has. */
  savedFills: number
}

const toDec = (v: Decimal | string | number): Decimal => new Dec(v as Decimal.Value)

const BROKER_STATUSES: ReadonlySet<string> = new Set<BrokerOrderStatus>([
  'pending_new',
  'new',
  'accepted',
  'partially_filled',
  'filled',
  'pending_cancel',
  'canceled',
  'expired',
  'rejected',
])

const corrupt = (what: string): never => {
  throw new EngineError('ENGINE_INVALID_ARGUMENT', `createSimulatedMarket: the store's state is unreadable: ${what}`)
}

/** A stored decimal string back to a finite decimal. */
const storedDec = (v: string, what: string): Decimal => {
  let d: Decimal | undefined
  try {
    d = new Dec(v)
  } catch {
    d = undefined
  }
  return d !== undefined && d.isFinite() ? d : corrupt(`${what} ${JSON.stringify(v)}`)
}

const storedOrder = (o: SimOrder): StoredSimOrder => ({
  id: o.id,
  clientOrderId: o.clientOrderId,
  symbol: o.symbol,
  side: o.side,
  type: o.type,
  qty: o.qty.toFixed(),
  limitPrice: o.limitPrice?.toFixed() ?? null,
  seq: o.seq,
  status: o.status,
  filledQty: o.filledQty.toFixed(),
  notional: o.notional.toFixed(),
  submittedAtMs: o.submittedAtMs,
  updatedAtMs: o.updatedAtMs,
  cancelDueAtMs: o.cancelDueAt ?? null,
  raceFill: o.raceFill,
  finishedAtMs: o.finishedAtMs ?? null,
})

const storedFill = (f: SimulatedFill, index: number): StoredSimFill => ({
  orderId: f.orderId,
  index,
  qty: f.qty.toFixed(),
  price: f.price.toFixed(),
  atMs: f.atMs,
  afterCancelRequest: f.afterCancelRequest,
})

const storedSymbol = (s: SymbolState): StoredSimSymbol => ({
  symbol: s.symbol,
  mid: s.mid,
  impact: s.impact,
  position: s.position.toFixed(),
  positionCost: s.positionCost.toFixed(),
})

/**
 * A deterministic market on a clock (use a virtual clock in tests). Each symbol's mid follows a
 * geometric random walk with its daily volatility (scaled to the step), plus our permanent impact; quotes are a
 * constant spread around it on the tick. In each step a trade happens with `tradeProbability`: a seller
 * hitting the bid fills resting buy limits at or above the bid (best price first, up to the trade's
 * size), a buyer lifting the ask fills resting sells at or below it; a limit the quote crosses fills in
 * full. Marketable limits fill at once at the touch; market orders at the far touch plus temporary
 * impact. Submits are idempotent on the client order id, as the port requires.
 *
 * Durability (with `options.store`): the state is loaded here. Open orders with their fills so far,
 * finished orders not yet forgotten, positions and each symbol's mid and impact are restored; the
 * market continues from the restored mid on new random streams (a fixed seed and stored state give the
 * same streams again). Order numbers continue from the stored counter. While no process runs, the
 * market stands still (nothing trades, the mid does not move); a cancel that came due meanwhile is
 * confirmed at the first call. Each port call saves what it changed before it answers or throws; if the
 * save fails, the call throws `BROKER_UNAVAILABLE` (retryable) and the changes are saved by a later
 * call, so nothing is ever reported that is not stored.
 *
 * Forgetting: a finished order is forgotten once more than `maxFinishedOrders` finished orders are
 * remembered (oldest first) or `finishedOrderRetentionMs` after it finished. Then `getOrder` and
 * `cancelOrder` of its id throw `BROKER_NOT_FOUND`, `getOrderByClientId` returns null, and a new submit
 * with its client order id creates a new order (as a venue whose order history was purged would).
 */
export function createSimulatedMarket(options: SimulatedMarketOptions): SimulatedMarket {
  assertOptions(options)
  const { clock, seed, store } = options
  const stepMs = options.stepMs ?? 1000
  const tradingDaySeconds = options.tradingDaySeconds ?? 23_400
  const tradeProbability = options.tradeProbability ?? 0.5
  const meanTradeSize = options.meanTradeSize ?? 100
  const quoteSize = new Dec(options.quoteSize ?? 500)
  const permanentImpact = options.permanentImpactPerShare ?? 0
  const temporaryImpact = options.temporaryImpactPerShare ?? 1e-7
  const impactEta = options.participationImpact?.eta ?? 0.357
  const impactGamma = options.participationImpact?.gamma ?? 0.314
  const resilienceMs = (options.participationImpact?.resilienceSeconds ?? 60) * 1000
  const cancelLatencyMs = options.cancelLatencyMs ?? 200
  const maxFinishedOrders = options.maxFinishedOrders ?? 10_000
  const finishedOrderRetentionMs = options.finishedOrderRetentionMs ?? 86_400_000
  const faults = options.faults ?? {}
  const t0 = clock.now()
  const loaded = store?.load() ?? null
  const generation = loaded ? loaded.meta.generation + 1 : 0
  const instanceId = loaded?.meta.instanceId ?? options.instanceId ?? globalThis.crypto.randomUUID().slice(0, 8)
  let lastOrderNo = loaded?.meta.lastOrderNo ?? 0
  /** The first process draws the streams it always did; each restart draws new ones. */
  const stream = (label: string): Prng =>
    createPrng(seedFor(seed, generation === 0 ? label : `${label}\u0000${generation}`))
  const faultRng = stream('\u0000faults')

  const states = new Map<string, SymbolState>()
  for (const [symbol, s] of Object.entries(options.symbols)) {
    const vol = s.dailyVolatility ?? options.dailyVolatility ?? 0.02
    const position = toDec(s.position ?? 0)
    const price = toDec(s.price)
    const adv = s.adv ?? null
    states.set(symbol, {
      symbol,
      rng: stream(symbol),
      sigmaPerStep: vol * Math.sqrt(stepMs / 1000 / tradingDaySeconds),
      vol,
      adv,
      // ADV shares a day: a trade each step with probability p, of mean size ADV·step/(D·p)
      meanTradeSize: adv === null ? meanTradeSize : (adv * (stepMs / 1000)) / (tradingDaySeconds * tradeProbability),
      permanentPerShare: adv === null ? permanentImpact : (impactGamma * vol) / adv,
      touchTaken: 0,
      touchStep: -1,
      deepTakes: [],
      spread: toDec(s.spread),
      fractionable: s.fractionable ?? true,
      tradable: s.tradable ?? true,
      minOrderSize: s.minOrderSize === undefined ? null : toDec(s.minOrderSize),
      mid: price.toNumber(),
      impact: 0,
      step: 0,
      quoteFault: s.quoteFault ?? 'none',
      position,
      positionCost: position.mul(price),
      open: new Set(),
      spreadN: toDec(s.spread).toNumber(),
      halfVar: 0.5 * (vol * Math.sqrt(stepMs / 1000 / tradingDaySeconds)) ** 2,
    })
  }

  /** Every order remembered, in submission order. */
  const byId = new Map<string, SimOrder>()
  const byClientId = new Map<string, SimOrder>()
  /** Finished orders, in the order they finished: the front is forgotten first. */
  const finished = new Map<string, SimOrder>()
  let fillCount = 0
  const counts: Record<string, number> = {}
  let tokens = faults.maxRequestsPerSecond ?? 0
  let tokensAt = t0

  // ---- market dynamics -------------------------------------------------------------------------

  const effectiveMid = (s: SymbolState): number => s.mid * (1 + s.impact)

  /** Bid and ask on the tick, a constant spread apart. */
  const touch = (s: SymbolState): { bid: Decimal; ask: Decimal } => {
    const { bidN } = touchN(s)
    const bid = new Dec(bidN.toFixed(bidN >= 1 ? 2 : 4))
    return { bid, ask: bid.add(s.spread) }
  }

  /** `touch` in plain numbers, for matching (same rounding). */
  const touchN = (s: SymbolState): { bidN: number; askN: number } => {
    const mid = effectiveMid(s)
    const raw = mid - s.spreadN / 2
    // k/inv is the double nearest the decimal k·tick, the same number the quote's decimal string parses to
    const inv = (raw > 0 ? raw : mid) >= 1 ? 100 : 10_000
    let bidN = Math.round(raw * inv) / inv
    if (!(bidN > 0)) bidN = 1 / inv
    return { bidN, askN: Math.round((bidN + s.spreadN) * inv) / inv }
  }

  /** A price rounded to the tick against the taker (up for a buy), never below one tick. */
  const againstUs = (raw: Decimal, sign: number): Decimal => {
    const tick = tickSize(raw)
    const px = raw
      .div(tick)
      .toDecimalPlaces(0, sign > 0 ? Decimal.ROUND_CEIL : Decimal.ROUND_FLOOR)
      .mul(tick)
    return px.gt(0) ? px : tick
  }

  /**
   * A marketable order on a symbol with an ADV (see `participationImpact`): the touch first — up to the
   * displayed size left this step, at the far touch — then, for a market order, the rest beyond the touch
   * at far × (1 ± η·σ·r/V̄), r our rate beyond the touch over the resilience window (this order
   * included). A marketable limit rests what the touch cannot fill.
   */
  const takeLiquidity = (s: SymbolState, o: SimOrder, now: number): void => {
    const sign = o.side === 'BUY' ? 1 : -1
    const { bid, ask } = touch(s)
    const far = o.side === 'BUY' ? ask : bid
    book(o, crossedFill(s, o), far, now) // the touch first, up to what it still shows this step
    const deep = o.qty.sub(o.filledQty)
    if (o.type !== 'market' || !deep.gt(0)) return
    while (s.deepTakes.length > 0 && (s.deepTakes[0] as [number, number])[0] <= now - resilienceMs) s.deepTakes.shift()
    s.deepTakes.push([now, deep.toNumber()])
    const taken = s.deepTakes.reduce((a, [, q]) => a + q, 0)
    const vBar = (s.adv as number) / tradingDaySeconds
    const concession = impactEta * s.vol * (taken / (resilienceMs / 1000) / vBar)
    book(o, deep, againstUs(far.mul(1 + sign * concession), sign), now)
  }

  const isOpen = (o: SimOrder): boolean =>
    o.status === 'new' || o.status === 'partially_filled' || o.status === 'pending_cancel'

  const book = (o: SimOrder, qty: Decimal, price: Decimal, at: number): void => {
    if (!qty.gt(0)) return
    const s = states.get(o.symbol) as SymbolState
    const afterCancelRequest = o.cancelDueAt !== undefined
    o.filledQty = o.filledQty.add(qty)
    o.notional = o.notional.add(qty.mul(price))
    o.avgPrice = o.notional.div(o.filledQty)
    o.updatedAtMs = at
    if (o.filledQty.eq(o.qty)) {
      o.status = 'filled'
      s.open.delete(o)
      finish(o, at)
    } else if (o.status === 'new') o.status = 'partially_filled'
    const signed = o.side === 'BUY' ? qty : qty.neg()
    s.position = s.position.add(signed)
    s.positionCost = s.positionCost.add(signed.mul(price))
    s.impact += (o.side === 'BUY' ? 1 : -1) * s.permanentPerShare * qty.toNumber()
    o.fills.push({
      orderId: o.id,
      clientOrderId: o.clientOrderId,
      symbol: o.symbol,
      side: o.side,
      qty,
      price,
      atMs: at,
      afterCancelRequest,
    })
    fillCount++
    changed(o)
    changedSymbol(s)
  }

  const finish = (o: SimOrder, at: number): void => {
    o.finishedAtMs = at
    finished.set(o.id, o)
  }

  const confirmCancels = (s: SymbolState, at: number): void => {
    for (const o of s.open) {
      if (o.status !== 'pending_cancel' || (o.cancelDueAt as number) > at) continue
      if (o.raceFill) {
        // Half to all of what is left; whole shares for a whole-share order.
        const leaves = o.qty.sub(o.filledQty)
        let part = leaves.mul(0.5 + 0.5 * faultRng.next())
        if (o.qty.isInteger()) part = Dec.max(part.ceil(), new Dec(1))
        book(o, Dec.min(leaves, part), o.limitPrice as Decimal, o.cancelDueAt as number)
      }
      if (o.status === 'pending_cancel') {
        o.status = 'canceled'
        o.updatedAtMs = o.cancelDueAt as number
        finish(o, o.updatedAtMs)
        changed(o)
      }
      if (!isOpen(o)) s.open.delete(o)
    }
  }

  /**
   * What a resting limit the quote has crossed fills: all of it — or, on a symbol with an ADV, what the
   * touch still shows this step (its displayed size is shared with orders taking liquidity).
   */
  const crossedFill = (s: SymbolState, o: SimOrder): Decimal => {
    const leaves = o.qty.sub(o.filledQty)
    if (s.adv === null) return leaves
    if (s.touchStep !== s.step) {
      s.touchStep = s.step
      s.touchTaken = 0
    }
    let q = Dec.min(leaves, Dec.max(quoteSize.sub(s.touchTaken), ZERO))
    if (o.qty.isInteger()) q = q.floor()
    s.touchTaken += q.toNumber()
    return q
  }

  /** Fills resting limits against one step's trade and crossed quote. */
  const matchStep = (s: SymbolState, at: number, trade: { side: Side; size: number } | undefined): void => {
    const live: SimOrder[] = []
    for (const o of s.open) if (o.liveFromMs <= at) live.push(o)
    if (live.length === 0) return
    const { bidN, askN } = touchN(s)
    for (const o of live) {
      const crossed = o.side === 'BUY' ? o.limit >= askN : o.limit <= bidN
      if (crossed) book(o, crossedFill(s, o), o.limitPrice as Decimal, at)
    }
    if (trade === undefined) return
    // A seller hits bids at or above the bid; a buyer lifts offers at or below the ask. Best price first.
    const eligible = live
      .filter((o) => o.status !== 'filled' && o.status !== 'canceled')
      .filter((o) =>
        trade.side === 'SELL' ? o.side === 'BUY' && o.limit >= bidN : o.side === 'SELL' && o.limit <= askN,
      )
      .sort((a, b) => (a.side === 'BUY' ? b.limit - a.limit : a.limit - b.limit) || a.seq - b.seq)
    let left = new Dec(trade.size)
    for (const o of eligible) {
      if (!left.gt(0)) break
      const q = Dec.min(left, o.qty.sub(o.filledQty))
      book(o, q, o.limitPrice as Decimal, at)
      left = left.sub(q)
    }
  }

  /** Brings a symbol's market up to `now`. Steps with nothing resting are taken in one jump. */
  const advance = (s: SymbolState): void => {
    const now = clock.now()
    const target = Math.floor((now - t0) / stepMs)
    while (s.step < target) {
      const hasResting = s.open.size > 0
      if (!hasResting) {
        // Nothing resting (so no cancel pending either): jump to the target in one draw.
        const jump = target - s.step
        const sd = s.sigmaPerStep * Math.sqrt(jump)
        s.mid *= Math.exp(sd * s.rng.normal() - 0.5 * sd * sd) // geometric: the price stays positive
        s.step = target
        changedSymbol(s)
        break
      }
      s.step++
      const at = t0 + s.step * stepMs
      confirmCancels(s, at)
      s.mid *= Math.exp(s.sigmaPerStep * s.rng.normal() - s.halfVar)
      changedSymbol(s)
      const u = s.rng.next()
      const sideU = s.rng.next()
      const sizeU = s.rng.next()
      const trade =
        u < tradeProbability
          ? {
              side: (sideU < 0.5 ? 'SELL' : 'BUY') as Side,
              size: Math.max(1, Math.ceil(-Math.log(1 - sizeU) * s.meanTradeSize)),
            }
          : undefined
      matchStep(s, at, trade)
    }
    confirmCancels(s, now)
  }

  const advanceAll = (): void => {
    for (const s of states.values()) advance(s)
  }

  // ---- durability and forgetting ------------------------------------------------------------------

  // What changed since the last successful save (tracked only with a store).
  const dirtyOrders = new Set<SimOrder>()
  const dirtySymbols = new Set<SymbolState>()
  const forgotten = new Set<string>()
  let metaDirty = store !== undefined

  const changed = (o: SimOrder): void => {
    if (store) dirtyOrders.add(o)
    if (listeners.size > 0) updated.add(o)
  }

  /** Order-update subscribers, and the orders changed since they were last told (told once saved). */
  const listeners = new Set<(order: BrokerOrder) => void>()
  const updated = new Set<SimOrder>()
  const tell = (): void => {
    if (updated.size === 0) return
    const orders = [...updated].map(snapshot)
    updated.clear()
    for (const listener of listeners) for (const order of orders) listener(order)
  }
  const changedSymbol = (s: SymbolState): void => {
    if (store) dirtySymbols.add(s)
  }

  /** Forgets finished orders beyond the count bound or older than the retention, oldest first. */
  const forgetFinished = (now: number): void => {
    for (const o of finished.values()) {
      if (finished.size <= maxFinishedOrders && (o.finishedAtMs as number) > now - finishedOrderRetentionMs) break
      finished.delete(o.id)
      byId.delete(o.id)
      byClientId.delete(o.clientOrderId)
      fillCount -= o.fills.length
      if (store) {
        dirtyOrders.delete(o)
        forgotten.add(o.id)
      }
    }
  }

  /** Saves what changed, in one `save`. On failure the changes stay pending and the caller is told the venue is unavailable. */
  const flush = (): void => {
    if (!store || (!metaDirty && dirtyOrders.size === 0 && dirtySymbols.size === 0 && forgotten.size === 0)) return
    const changes: SimulatedVenueChanges = {
      ...(metaDirty ? { meta: { instanceId, lastOrderNo, generation } } : {}),
      orders: [...dirtyOrders].map(storedOrder),
      fills: [...dirtyOrders].flatMap((o) =>
        o.fills.slice(o.savedFills).map((f, i) => storedFill(f, o.savedFills + i)),
      ),
      symbols: [...dirtySymbols].map(storedSymbol),
      forgotten: [...forgotten],
    }
    try {
      store.save(changes)
    } catch (cause) {
      throw new BrokerError(
        'BROKER_UNAVAILABLE',
        `simulated venue: saving its state failed (${(cause as Error)?.message ?? String(cause)})`,
        { cause },
      )
    }
    for (const o of dirtyOrders) o.savedFills = o.fills.length
    dirtyOrders.clear()
    dirtySymbols.clear()
    forgotten.clear()
    metaDirty = false
  }

  /** A port call: its changes (and any forgetting) are saved before it answers, or before its error is thrown. */
  const durable =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      let result: R
      try {
        result = await call(...args)
      } catch (e) {
        forgetFinished(clock.now())
        flush()
        throw e
      }
      forgetFinished(clock.now())
      flush()
      tell()
      return result
    }

  /** Puts the loaded state back; times from a clock that ran ahead are brought back to now. */
  const restore = (snap: SimulatedVenueSnapshot): void => {
    const now = clock.now()
    for (const row of snap.symbols) {
      const s = states.get(row.symbol)
      if (!s) continue // no longer listed: its row stays as it was
      if (!(Number.isFinite(row.mid) && row.mid > 0) || !Number.isFinite(row.impact))
        corrupt(`symbol ${row.symbol}: mid ${row.mid}, impact ${row.impact}`)
      s.mid = row.mid
      s.impact = row.impact
      s.position = storedDec(row.position, `symbol ${row.symbol} position`)
      s.positionCost = storedDec(row.positionCost, `symbol ${row.symbol} position cost`)
    }
    const fillsOf = new Map<string, StoredSimFill[]>()
    for (const f of snap.fills) {
      const list = fillsOf.get(f.orderId)
      if (list) list.push(f)
      else fillsOf.set(f.orderId, [f])
    }
    const done: SimOrder[] = []
    for (const row of [...snap.orders].sort((a, b) => a.seq - b.seq)) {
      const o = restoredOrder(
        row,
        (fillsOf.get(row.id) ?? []).sort((a, b) => a.index - b.index),
        now,
      )
      lastOrderNo = Math.max(lastOrderNo, o.seq) // ids never repeat, even if the counter lagged
      byId.set(o.id, o)
      byClientId.set(o.clientOrderId, o)
      fillCount += o.fills.length
      if (o.finishedAtMs !== undefined) done.push(o)
      else if (!states.has(o.symbol)) {
        // its symbol is no longer listed: the venue cancels it
        o.status = 'canceled'
        o.cancelDueAt = undefined
        o.updatedAtMs = now
        o.finishedAtMs = now
        done.push(o)
        changed(o)
      } else if (o.type === 'limit') (states.get(o.symbol) as SymbolState).open.add(o)
    }
    for (const o of done.sort((a, b) => (a.finishedAtMs as number) - (b.finishedAtMs as number) || a.seq - b.seq))
      finished.set(o.id, o)
    forgetFinished(now)
  }

  const restoredOrder = (row: StoredSimOrder, rows: readonly StoredSimFill[], now: number): SimOrder => {
    const what = `order ${row.id}`
    if (!BROKER_STATUSES.has(row.status)) corrupt(`${what}: status ${row.status}`)
    const qty = storedDec(row.qty, `${what} qty`)
    const filledQty = storedDec(row.filledQty, `${what} filled qty`)
    const notional = storedDec(row.notional, `${what} notional`)
    const limitPrice = row.limitPrice === null ? undefined : storedDec(row.limitPrice, `${what} limit price`)
    const id = brokerOrderId(row.id)
    const clientOrderId = row.clientOrderId as ClientOrderId
    const o: SimOrder = {
      id,
      clientOrderId,
      symbol: row.symbol,
      side: row.side,
      type: row.type,
      qty,
      limitPrice,
      limit: limitPrice?.toNumber() ?? Number.NaN,
      seq: row.seq,
      status: row.status,
      filledQty,
      notional,
      avgPrice: filledQty.gt(0) ? notional.div(filledQty) : null,
      submittedAtMs: row.submittedAtMs,
      updatedAtMs: row.updatedAtMs,
      cancelDueAt: row.cancelDueAtMs === null ? undefined : Math.min(row.cancelDueAtMs, now + cancelLatencyMs),
      raceFill: row.raceFill,
      liveFromMs: Number.NEGATIVE_INFINITY,
      finishedAtMs: row.finishedAtMs === null ? undefined : Math.min(row.finishedAtMs, now),
      fills: rows.map((f) => ({
        orderId: id,
        clientOrderId,
        symbol: row.symbol,
        side: row.side,
        qty: storedDec(f.qty, `${what} fill ${f.index} qty`),
        price: storedDec(f.price, `${what} fill ${f.index} price`),
        atMs: f.atMs,
        afterCancelRequest: f.afterCancelRequest,
      })),
      savedFills: rows.length,
    }
    return o
  }

  // ---- the port ----------------------------------------------------------------------------------

  const latency = (): number => {
    const l = options.latencyMs ?? 0
    if (typeof l === 'number') return l
    return l.min + (l.max - l.min) * faultRng.next()
  }

  const raise = (fault: ScriptedFault): void => {
    switch (fault) {
      case 'reject':
        throw new BrokerError('BROKER_REJECTED', 'simulated reject', { brokerStatus: 422 })
      case 'insufficient_funds':
        throw new BrokerError('BROKER_INSUFFICIENT_FUNDS', 'simulated insufficient buying power', { brokerStatus: 403 })
      case 'unavailable':
        throw new BrokerError('BROKER_UNAVAILABLE', 'simulated 503', { brokerStatus: 503 })
      case 'timeout':
        throw new BrokerError('BROKER_TIMEOUT', 'simulated timeout')
      case 'rate_limited':
        throw new BrokerError('BROKER_RATE_LIMITED', 'simulated 429', { brokerStatus: 429, retryAfterMs: 1000 })
      default:
    }
  }

  /** Latency, rate limit and scripted/random faults common to every call. Returns the scripted fault. */
  const enter = async (call: DistributiveOmit<SimCall, 'n'>): Promise<ScriptedFault> => {
    const n = (counts[call.method] = (counts[call.method] ?? 0) + 1)
    const l = latency()
    if (l > 0) await clock.sleep(l)
    if (faults.maxRequestsPerSecond !== undefined) {
      const now = clock.now()
      const cap = faults.maxRequestsPerSecond
      tokens = Math.min(cap, tokens + ((now - tokensAt) / 1000) * cap)
      tokensAt = now
      if (tokens < 1) {
        throw new BrokerError('BROKER_RATE_LIMITED', 'simulated rate limit', {
          brokerStatus: 429,
          retryAfterMs: Math.ceil(((1 - tokens) / cap) * 1000),
        })
      }
      tokens -= 1
    }
    const scripted = faults.script?.({ ...call, n } as SimCall)
    if (scripted !== 'lost_response' && scripted !== 'garbled_response') raise(scripted)
    if ((faults.unavailableProbability ?? 0) > 0 && faultRng.next() < (faults.unavailableProbability ?? 0))
      raise('unavailable')
    advanceAll()
    forgetFinished(clock.now())
    return scripted
  }

  const state = (symbol: string): SymbolState => {
    const s = states.get(symbol)
    if (!s)
      throw new BrokerError('BROKER_NOT_FOUND', `unknown symbol ${symbol}`, {
        brokerStatus: 404,
        reason: 'asset_not_found',
      })
    return s
  }

  const snapshot = (o: SimOrder): BrokerOrder => ({
    id: o.id,
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    qty: o.qty,
    ...(o.limitPrice === undefined ? {} : { limitPrice: o.limitPrice }),
    status: o.status,
    filledQty: o.filledQty,
    filledAvgPrice: o.avgPrice,
    submittedAtMs: o.submittedAtMs,
    updatedAtMs: o.updatedAtMs,
  })

  const reject = (message: string, reason: BrokerErrorReason = 'invalid_request'): never => {
    throw new BrokerError('BROKER_REJECTED', message, { brokerStatus: 422, reason })
  }

  /** The same client order id for another order is refused, as Alpaca does; the same request is idempotent. */
  const sameRequest = (o: SimOrder, req: SubmitOrderRequest): SimOrder => {
    const same =
      o.symbol === req.symbol &&
      o.side === req.side &&
      o.type === req.type &&
      o.qty.eq(req.qty) &&
      (o.limitPrice === undefined
        ? req.limitPrice === undefined
        : req.limitPrice !== undefined && o.limitPrice.eq(req.limitPrice))
    if (!same) reject(`client_order_id ${req.clientOrderId} already names another order`, 'client_order_id_reused')
    return o
  }

  const venue: BrokerPort = {
    async getQuote(symbol) {
      await enter({ method: 'getQuote', symbol })
      const s = states.get(symbol)
      if (!s || s.quoteFault === 'missing') return null
      const { bid, ask } = touch(s)
      const stepTime = t0 + s.step * stepMs
      const quote: Quote = {
        symbol,
        bid: s.quoteFault === 'zero_bid' ? ZERO : bid,
        ask: s.quoteFault === 'zero_ask' ? ZERO : ask,
        bidSize: quoteSize,
        askSize: quoteSize,
        timestampMs: s.quoteFault === 'stale' ? clock.now() - 3_600_000 : Math.max(stepTime, clock.now() - stepMs),
      }
      return quote
    },

    async submitOrder(req) {
      const existing = byClientId.get(req.clientOrderId)
      const scripted = await enter({ method: 'submitOrder', request: req })
      if (existing) return snapshot(sameRequest(existing, req))
      const again = byClientId.get(req.clientOrderId) // created while we waited out the latency
      if (again) return snapshot(sameRequest(again, req))
      const s = state(req.symbol)
      if (!s.tradable) reject(`${req.symbol} is not tradable`, 'asset_not_tradable')
      if (req.clientOrderId.length === 0 || req.clientOrderId.length > 128)
        reject('client_order_id must be 1–128 characters')
      if (!req.qty.isFinite() || !req.qty.gt(0)) reject('qty must be > 0')
      if (!req.qty.isInteger() && !s.fractionable) reject(`${req.symbol} is not fractionable`, 'not_fractionable')
      if (s.minOrderSize !== null && req.qty.lt(s.minOrderSize))
        reject(`qty ${req.qty.toFixed()} is below ${req.symbol}'s min_order_size ${s.minOrderSize.toFixed()}`)
      // as Alpaca: a crypto pair takes gtc or ioc, an equity day only
      if (tradesAroundTheClock(req.symbol) ? req.timeInForce === 'day' : req.timeInForce !== 'day')
        reject(`time_in_force ${req.timeInForce} is not allowed for ${req.symbol}`)
      if (req.type === 'limit') {
        if (req.limitPrice === undefined || !isOnTick(req.limitPrice)) reject('limit_price must be on the tick')
      } else if (req.limitPrice !== undefined) {
        reject('a market order takes no limit_price')
      }
      if ((faults.rejectProbability ?? 0) > 0 && faultRng.next() < (faults.rejectProbability ?? 0)) raise('reject')
      const now = clock.now()
      const n = ++lastOrderNo
      metaDirty = store !== undefined
      const o: SimOrder = {
        id: brokerOrderId(`sim-${instanceId}-${n}`),
        clientOrderId: req.clientOrderId,
        symbol: req.symbol,
        side: req.side,
        type: req.type,
        qty: req.qty,
        limitPrice: req.limitPrice,
        limit: req.limitPrice?.toNumber() ?? Number.NaN,
        seq: n,
        status: 'new',
        filledQty: ZERO,
        notional: ZERO,
        avgPrice: null,
        submittedAtMs: now,
        updatedAtMs: now,
        cancelDueAt: undefined,
        raceFill: false,
        liveFromMs: now,
        finishedAtMs: undefined,
        fills: [],
        savedFills: 0,
      }
      if (o.type === 'limit') s.open.add(o)
      byId.set(o.id, o)
      byClientId.set(o.clientOrderId, o)
      changed(o)
      const { bidN, askN } = touchN(s)
      if (s.adv !== null && (o.type === 'market' || (o.side === 'BUY' ? o.limit >= askN : o.limit <= bidN))) {
        takeLiquidity(s, o, now)
      } else if (o.type === 'market') {
        const { bid, ask } = touch(s)
        const sign = o.side === 'BUY' ? 1 : -1
        const far = o.side === 'BUY' ? ask : bid
        book(o, o.qty, againstUs(far.mul(1 + sign * temporaryImpact * o.qty.toNumber()), sign), now)
      } else if (o.side === 'BUY' ? o.limit >= askN : o.limit <= bidN) {
        const { bid, ask } = touch(s)
        book(o, o.qty, o.side === 'BUY' ? ask : bid, now) // marketable: fills at the touch
      }
      const lose =
        scripted === 'lost_response' ||
        ((faults.lostSubmitResponseProbability ?? 0) > 0 &&
          faultRng.next() < (faults.lostSubmitResponseProbability ?? 0))
      if (lose) throw new BrokerError('BROKER_TIMEOUT', 'simulated lost response (the order was created)')
      if (scripted === 'garbled_response') {
        throw new BrokerError('BROKER_BAD_RESPONSE', 'simulated unreadable answer (the order was created)')
      }
      return snapshot(o)
    },

    async getOrder(id) {
      await enter({ method: 'getOrder', id })
      const o = byId.get(id)
      if (!o) throw new BrokerError('BROKER_NOT_FOUND', `order ${id} not found`, { brokerStatus: 404 })
      return snapshot(o)
    },

    async getOrderByClientId(clientOrderId) {
      await enter({ method: 'getOrderByClientId', clientOrderId })
      const o = byClientId.get(clientOrderId)
      return o ? snapshot(o) : null
    },

    async cancelOrder(id) {
      await enter({ method: 'cancelOrder', id })
      const o = byId.get(id)
      if (!o) throw new BrokerError('BROKER_NOT_FOUND', `order ${id} not found`, { brokerStatus: 404 })
      if (o.status === 'filled' || o.status === 'canceled' || o.status === 'expired' || o.status === 'rejected')
        return 'already_final'
      if (o.status === 'pending_cancel') return 'requested'
      o.status = 'pending_cancel'
      o.cancelDueAt = clock.now() + cancelLatencyMs
      o.updatedAtMs = clock.now()
      const p = faults.fillOnCancelProbability ?? 0
      o.raceFill = faults.fillOnCancel?.(snapshot(o)) ?? (p > 0 && faultRng.next() < p)
      changed(o)
      if (cancelLatencyMs <= 0) advanceAll()
      return 'requested'
    },

    async getPosition(symbol) {
      await enter({ method: 'getPosition', symbol })
      const s = states.get(symbol)
      if (!s || s.position.isZero()) return null
      const position: Position = { symbol, qty: s.position, avgEntryPrice: s.positionCost.div(s.position).abs() }
      return position
    },

    async getMarketClock(symbol) {
      await enter({ method: 'getMarketClock', symbol })
      state(symbol)
      return options.session === undefined || tradesAroundTheClock(symbol)
        ? ALWAYS_OPEN
        : sessionClock(options.session, clock.now())
    },

    async getDailyStats(symbol) {
      await enter({ method: 'getDailyStats', symbol })
      const s = states.get(symbol)
      return s === undefined || s.adv === null
        ? null
        : { symbol, adv: new Dec(s.adv), dailyVolatility: s.vol, days: null }
    },

    async getAsset(symbol) {
      await enter({ method: 'getAsset', symbol })
      const s = state(symbol)
      const asset: Asset = {
        symbol,
        tradable: s.tradable,
        fractionable: s.fractionable,
        assetClass: tradesAroundTheClock(symbol) ? 'crypto' : 'us_equity',
        ...(s.minOrderSize === null ? {} : { minOrderSize: s.minOrderSize }),
      }
      return asset
    },
  }

  if (loaded) restore(loaded)

  const market: SimulatedMarket = {
    getQuote: durable(venue.getQuote),
    submitOrder: durable(venue.submitOrder),
    getOrder: durable(venue.getOrder),
    getOrderByClientId: durable(venue.getOrderByClientId),
    cancelOrder: durable(venue.cancelOrder),
    getPosition: durable(venue.getPosition),
    getAsset: durable(venue.getAsset),
    getMarketClock: durable(venue.getMarketClock),
    getDailyStats: durable(venue.getDailyStats as NonNullable<BrokerPort['getDailyStats']>),
    subscribeOrderUpdates(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    orders: () => [...byId.values()].map(snapshot),
    // stable: fills at one time keep the order of their orders
    fills: () => [...byId.values()].flatMap((o) => o.fills).sort((a, b) => a.atMs - b.atMs),
    retained: () => {
      let openOrders = 0
      for (const s of states.values()) openOrders += s.open.size
      return { orders: byId.size, clientOrderIds: byClientId.size, openOrders, fills: fillCount }
    },
    mid(symbol) {
      const s = state(symbol)
      advance(s)
      return toDec(effectiveMid(s).toPrecision(15))
    },
    setQuoteFault(symbol, fault) {
      state(symbol).quoteFault = fault
    },
    callCounts: () => ({ ...counts }),
  }
  return market
}

/** Checks every knob; throws one `ENGINE_INVALID_ARGUMENT` listing each bad one. */
function assertOptions(o: SimulatedMarketOptions): void {
  const problems: string[] = []
  if (o.session !== undefined) {
    try {
      assertTradingSession(o.session)
    } catch (e) {
      problems.push(`session: ${(e as Error).message}`)
    }
  }
  const num = (name: string, v: number | undefined, ok: (x: number) => boolean, rule: string): void => {
    if (v !== undefined && !(Number.isFinite(v) && ok(v))) problems.push(`${name} must be ${rule} (got ${v})`)
  }
  const prob = (name: string, v: number | undefined): void =>
    num(name, v, (x) => x >= 0 && x <= 1, 'a probability in [0, 1]')
  num('seed', o.seed, Number.isInteger, 'an integer')
  num('dailyVolatility', o.dailyVolatility, (x) => x >= 0, '≥ 0')
  num('tradingDaySeconds', o.tradingDaySeconds, (x) => x > 0, '> 0')
  num('stepMs', o.stepMs, (x) => x > 0, '> 0')
  prob('tradeProbability', o.tradeProbability)
  num('meanTradeSize', o.meanTradeSize, (x) => x > 0, '> 0')
  num('quoteSize', o.quoteSize, (x) => x >= 0, '≥ 0')
  num('permanentImpactPerShare', o.permanentImpactPerShare, (x) => x >= 0, '≥ 0')
  num('temporaryImpactPerShare', o.temporaryImpactPerShare, (x) => x >= 0, '≥ 0')
  num('cancelLatencyMs', o.cancelLatencyMs, (x) => x >= 0, '≥ 0')
  num('participationImpact.eta', o.participationImpact?.eta, (x) => x >= 0, '≥ 0')
  num('participationImpact.gamma', o.participationImpact?.gamma, (x) => x >= 0, '≥ 0')
  num('participationImpact.resilienceSeconds', o.participationImpact?.resilienceSeconds, (x) => x > 0, '> 0')
  num('maxFinishedOrders', o.maxFinishedOrders, (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1')
  num('finishedOrderRetentionMs', o.finishedOrderRetentionMs, (x) => x > 0, '> 0')
  if (o.instanceId !== undefined && !/^[A-Za-z0-9]{1,32}$/.test(o.instanceId)) {
    problems.push(`instanceId must be 1–32 letters or digits (got ${JSON.stringify(o.instanceId)})`)
  }
  if (o.store !== undefined && (typeof o.store.load !== 'function' || typeof o.store.save !== 'function')) {
    problems.push('store must have load() and save()')
  }
  if (typeof o.latencyMs === 'number') num('latencyMs', o.latencyMs, (x) => x >= 0, '≥ 0')
  else if (o.latencyMs !== undefined) {
    const { min, max } = o.latencyMs
    num('latencyMs.min', min, (x) => x >= 0, '≥ 0')
    num('latencyMs.max', max, (x) => x >= min, '≥ latencyMs.min')
  }
  const f = o.faults ?? {}
  prob('faults.rejectProbability', f.rejectProbability)
  prob('faults.unavailableProbability', f.unavailableProbability)
  prob('faults.lostSubmitResponseProbability', f.lostSubmitResponseProbability)
  prob('faults.fillOnCancelProbability', f.fillOnCancelProbability)
  num('faults.maxRequestsPerSecond', f.maxRequestsPerSecond, (x) => x > 0, '> 0')
  for (const [symbol, s] of Object.entries(o.symbols)) {
    const dec = (field: string, v: Decimal | string | undefined, ok: (d: Decimal) => boolean, rule: string): void => {
      if (v === undefined) return
      let d: Decimal | undefined
      try {
        d = new Dec(v as Decimal.Value)
      } catch {
        d = undefined
      }
      if (d === undefined || !d.isFinite() || !ok(d))
        problems.push(`symbols.${symbol}.${field} must be ${rule} (got ${String(v)})`)
    }
    dec('price', s.price, (d) => d.gt(0), '> 0')
    let price: Decimal | undefined
    try {
      price = new Dec(s.price as Decimal.Value)
    } catch {
      price = undefined
    }
    const tick = price?.isFinite() && price.gt(0) ? tickSize(price) : new Dec('0.0001')
    dec('spread', s.spread, (d) => d.gte(0) && d.mod(tick).isZero(), `≥ 0 and a multiple of the tick (${tick})`)
    dec('position', s.position, () => true, 'a decimal')
    num(`symbols.${symbol}.dailyVolatility`, s.dailyVolatility, (x) => x >= 0, '≥ 0')
    num(`symbols.${symbol}.adv`, s.adv, (x) => x > 0, '> 0')
  }
  if (problems.length > 0)
    throw new EngineError('ENGINE_INVALID_ARGUMENT', `createSimulatedMarket: ${problems.join('; ')}`)
}
