/**
 * The `BrokerPort` contract: one suite, run against every implementation (the Alpaca adapter on the fake
 * Alpaca server, and the engine's simulated market). It states what the engine relies on — the contract
 * documented on `BrokerPort` in `@acx/engine` (ports/broker.ts):
 *
 * - **One attempt per call.** A call that fails at the venue reached it exactly once and throws one
 *   `BrokerError` whose `retryable` says whether the same call may succeed if made again (a 429 also says
 *   how long to wait, `retryAfterMs`). The implementation never retries; the engine does.
 * - **Exactly once.** `submitOrder` is idempotent on the client order id: the same request again answers
 *   with the order that exists, and the venue never holds two. A submit that may have created its order
 *   throws a retryable `BROKER_TIMEOUT`/`BROKER_UNAVAILABLE`, `BROKER_BAD_RESPONSE` or
 *   `BROKER_UNKNOWN_OUTCOME` (never a refusal, never "not created"); the order is then found by client
 *   order id, and re-sending the request answers with it. A client order id that already names another
 *   order is refused (`client_order_id_reused`), never answered with that order.
 * - **Cancel answers.** `cancelOrder` answers `requested` for an open order and `already_final` for one
 *   that is filled, cancelled, expired or rejected (never an error for that); an unknown id is
 *   `BROKER_NOT_FOUND`.
 * - **Order updates.** `subscribeOrderUpdates` (optional) tells a subscriber of changes to its orders,
 *   the final state included, until it unsubscribes.
 * - **Refusals say why.** A refused order carries the `reason` (`BROKER_ERROR_REASONS`).
 * - **Market clock.** `getMarketClock` says whether the symbol trades now and until when: a crypto pair
 *   around the clock (open, no next open or close); otherwise open until `nextCloseMs` (this session's
 *   close) with `nextOpenMs` the next session's open, or closed with `nextOpenMs`/`nextCloseMs` the next
 *   session's. An unknown symbol is `BROKER_NOT_FOUND`.
 * - **Daily statistics.** `getDailyStats` gives a symbol's ADV (shares per day) and daily volatility, and
 *   null for a symbol without daily history or an unknown one.
 * - **Time in force.** An equity takes `day`; a crypto pair takes `gtc` or `ioc`, never `day` (Alpaca
 *   refuses it: https://docs.alpaca.markets/docs/crypto-orders). A wrong combination is refused before
 *   anything is created: `BROKER_REJECTED`, reason `invalid_request`.
 *
 * Cases that need what only a real venue does (asynchronous look-ups, the close, a replace by a human,
 * foreign statuses, pushed updates, buying power, a market clock a test sets) run only with
 * `venueControls`.
 */
import {
  BROKER_TERMINAL_STATUSES,
  Dec,
  brokerOrderId,
  isBrokerError,
  roundToTick,
  type BrokerError,
  type BrokerErrorCode,
  type BrokerOrder,
  type BrokerOrderId,
  type BrokerPort,
  type ClientOrderId,
  type MarketClock,
  type SubmitOrderRequest,
  type TimeInForce,
} from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'

/** The port's methods, as the venue sees them (`callsReceived`, `failNext`). */
export type ContractOperation =
  | 'submitOrder'
  | 'getOrder'
  | 'getOrderByClientId'
  | 'cancelOrder'
  | 'getQuote'
  | 'getPosition'
  | 'getAsset'
  | 'getMarketClock'
  | 'getDailyStats'

/** How the venue fails one call, before processing it. */
export type ContractFault =
  /** A 503: `BROKER_UNAVAILABLE`, retryable. */
  | 'unavailable'
  /** No answer in time: `BROKER_TIMEOUT`, retryable. */
  | 'timeout'
  /** A 429: `BROKER_RATE_LIMITED`, retryable, with `retryAfterMs`. */
  | 'rate_limited'
  /** A refusal (422): `BROKER_REJECTED`, not retryable. */
  | 'rejected'

/**
 * Venue-side controls for what a real venue does and a simulator need not: asynchronous processing,
 * the close, a replace by a human, statuses the engine has no name for, pushed updates, buying power, a
 * market clock a test sets. The fake Alpaca has them all.
 */
export interface ContractVenue {
  /** Orders created from now on answer 404 to their first `reads` look-ups although they exist. */
  hideNewOrders(reads: number): void
  /** The close: every open order becomes `done_for_day` (no more fills today) or `expired`. */
  endOfDay(status: 'done_for_day' | 'expired'): void
  /** Replaces an open order, as a human on the venue's dashboard does; returns the replacement's id. */
  replace(orderId: string, change: { readonly limitPrice: string }): string
  /** Fills `qty` of an open order at its limit. */
  fill(orderId: string, qty: string): void
  /** Puts an order in a status the engine has no name for (one the venue adds later). */
  setStatus(orderId: string, status: string): void
  /** The next order is answered 200 and then rejected, or held, by the venue. */
  routeNextAs(outcome: 'rejected' | 'held'): void
  /** From now on a cancel request stays pending until `confirmCancel`. */
  holdCancels(): void
  confirmCancel(orderId: string): void
  /** Resolves once the venue's pushed order updates reach the broker (a trade-update stream is listening). */
  updatesFlowing(): Promise<void>
  setBuyingPower(value: string): void
  /** From now on the venue's clock for equities says this (crypto pairs still trade around the clock). */
  setMarketClock(clock: { readonly isOpen: boolean; readonly nextOpenMs: number; readonly nextCloseMs: number }): void
}

export interface ContractOptions {
  /**
   * The subject has `venue` controls: run the venue cases. They are adapter-only: the engine's simulated
   * market has no asynchronous look-ups, no close, no replace, only the statuses the engine knows, no
   * pushed updates (it tells subscribers when a call finds a change), no buying power, and a market clock
   * that is a weekday session or none (not a state a test sets).
   */
  readonly venueControls?: boolean
  /**
   * Cases this implementation is known to fail, by case id (the `[id]` at the start of each case's
   * name), each with why. They run expecting to fail (`it.fails`): the suite stays green, and turns red
   * the day the gap closes — then delete the entry. An id that names no case fails a case of its own.
   */
  readonly knownGaps?: Readonly<Record<string, string>>
}

export interface ContractSubject {
  readonly broker: BrokerPort
  /** Quoted, tradable, fractionable, with a long position of at least 10. */
  readonly symbol: string
  /** Quoted, tradable, whole shares only, no position, no daily history (`getDailyStats` answers null). */
  readonly wholeShareSymbol: string
  /** What `getDailyStats(symbol)` must answer (ADV in shares per day, daily σ), to 1e-9 relative. */
  readonly dailyStats: { readonly adv: number; readonly dailyVolatility: number }
  /** Not known to the broker. */
  readonly unknownSymbol: string
  /** A crypto pair (`BTC/USD`): trades around the clock; quoted, tradable, fractionable, no position. */
  readonly aroundTheClockSymbol: string
  /** The venue's time now, epoch ms (virtual for the simulator). */
  now(): number
  /**
   * The next submit creates its order but its answer is lost: none arrives (`no_answer`, the default), or
   * one that cannot be read (`unreadable`).
   */
  loseNextSubmitResponse(how?: 'no_answer' | 'unreadable'): void
  /** The next call of `operation` fails at the venue with `fault`, before the venue processes it. */
  failNext(operation: ContractOperation, fault: ContractFault): void
  /** Calls of `operation` that reached the venue so far (requests, for an adapter over HTTP). */
  callsReceived(operation: ContractOperation): number
  /** How many orders the broker holds under this client order id (test-side view of the broker). */
  ordersWithClientId(clientOrderId: string): number
  /** Waits on the subject's clock (virtual for the simulator). */
  sleep(ms: number): Promise<void>
  /** Venue-side controls; required when the suite runs with `venueControls`. */
  readonly venue?: ContractVenue
  close(): Promise<void>
}

export type ContractFactory = () => Promise<ContractSubject>

const cid = (s: string): ClientOrderId => `contract-${s}-${Math.random().toString(36).slice(2, 10)}` as ClientOrderId

/** The codes of a submit that may have created its order. */
const POSSIBLY_CREATED: readonly BrokerErrorCode[] = [
  'BROKER_TIMEOUT',
  'BROKER_UNAVAILABLE',
  'BROKER_BAD_RESPONSE',
  'BROKER_UNKNOWN_OUTCOME',
]

const FAULT_ERRORS: Readonly<Record<ContractFault, { readonly code: BrokerErrorCode; readonly retryable: boolean }>> = {
  unavailable: { code: 'BROKER_UNAVAILABLE', retryable: true },
  timeout: { code: 'BROKER_TIMEOUT', retryable: true },
  rate_limited: { code: 'BROKER_RATE_LIMITED', retryable: true },
  rejected: { code: 'BROKER_REJECTED', retryable: false },
}

/** The `BrokerError` `p` rejects with (anything else fails the case). */
async function caught(p: Promise<unknown>): Promise<BrokerError> {
  let value: unknown
  try {
    value = await p
  } catch (e) {
    expect(isBrokerError(e), `expected a BrokerError, got ${String(e)}`).toBe(true)
    return e as BrokerError
  }
  throw new Error(`expected a BrokerError, got ${JSON.stringify(value)}`)
}

async function expectBrokerError(p: Promise<unknown>, codes: readonly string[]): Promise<BrokerError> {
  const e = await caught(p)
  expect(codes).toContain(e.code)
  return e
}

/** A market that trades around the clock, as `getMarketClock` answers it. */
const AROUND_THE_CLOCK: MarketClock = { isOpen: true, nextOpenMs: null, nextCloseMs: null, alwaysOpen: true }
const HOUR_MS = 3_600_000
/** A time on a whole minute (a calendar lists sessions to the minute). */
const onMinute = (ms: number): number => Math.ceil(ms / 60_000) * 60_000

async function untilTerminal(s: ContractSubject, id: BrokerOrderId, maxPolls = 200): Promise<BrokerOrder> {
  for (let i = 0; i < maxPolls; i++) {
    const o = await s.broker.getOrder(id)
    if (BROKER_TERMINAL_STATUSES.has(o.status)) return o
    await s.sleep(25)
  }
  throw new Error(`order ${id} not terminal after ${maxPolls} polls`)
}

/** Looks an order up by client order id until it shows (an order whose submit outcome was unknown). */
async function untilFound(s: ContractSubject, clientOrderId: ClientOrderId, maxPolls = 100): Promise<BrokerOrder> {
  for (let i = 0; i < maxPolls; i++) {
    const o = await s.broker.getOrderByClientId(clientOrderId).catch(() => null)
    if (o) return o
    await s.sleep(10)
  }
  throw new Error(`order ${clientOrderId} not found after ${maxPolls} look-ups`)
}

/** Waits on the subject's clock until `cond` holds. */
async function until(s: ContractSubject, what: string, cond: () => boolean, maxWaits = 200): Promise<void> {
  for (let i = 0; i < maxWaits && !cond(); i++) await s.sleep(10)
  if (!cond()) throw new Error(`not seen: ${what}`)
}

export function brokerPortContract(name: string, factory: ContractFactory, options: ContractOptions = {}): void {
  const gaps = options.knownGaps ?? {}
  const ids = new Set<string>()
  /** One case, named `[id] title`; a known gap of this subject runs expecting to fail. */
  const kase = (id: string, title: string, fn: () => Promise<void>): void => {
    if (ids.has(id)) throw new Error(`brokerPortContract: case id ${id} used twice`)
    ids.add(id)
    const gap = gaps[id]
    if (gap === undefined) it(`[${id}] ${title}`, fn)
    else it.fails(`[${id}] ${title} — KNOWN GAP: ${gap}`, fn)
  }

  describe(`BrokerPort contract: ${name}`, () => {
    let subject: ContractSubject | undefined
    const open = async (): Promise<ContractSubject> => (subject = await factory())
    afterEach(async () => {
      await subject?.close()
      subject = undefined
    })

    const restingPrice = async (s: ContractSubject, symbol: string): Promise<Dec> => {
      const q = await s.broker.getQuote(symbol)
      if (!q) throw new Error('no quote')
      return roundToTick(q.bid.mul('0.9'), 'BUY')
    }
    const restingBuy = async (s: ContractSubject, tag: string, qty = 3): Promise<SubmitOrderRequest> => ({
      clientOrderId: cid(tag),
      symbol: s.symbol,
      side: 'BUY',
      qty: new Dec(qty),
      type: 'limit',
      limitPrice: await restingPrice(s, s.symbol),
      timeInForce: 'day',
    })
    const marketSell = (s: ContractSubject, tag: string, qty = 2): SubmitOrderRequest => ({
      clientOrderId: cid(tag),
      symbol: s.symbol,
      side: 'SELL',
      qty: new Dec(qty),
      type: 'market',
      timeInForce: 'day',
    })

    describe('reads', () => {
      kase('quote', 'quotes a known symbol with 0 < bid ≤ ask and its own timestamp', async () => {
        const s = await open()
        const q = await s.broker.getQuote(s.symbol)
        expect(q).not.toBeNull()
        expect(q!.symbol).toBe(s.symbol)
        expect(q!.bid.gt(0)).toBe(true)
        expect(q!.bid.lte(q!.ask)).toBe(true)
        expect(q!.bidSize.gte(0) && q!.askSize.gte(0)).toBe(true)
        expect(Number.isFinite(q!.timestampMs)).toBe(true)
      })

      kase('quote-unknown', 'returns null for the quote of an unknown symbol', async () => {
        const s = await open()
        expect(await s.broker.getQuote(s.unknownSymbol)).toBeNull()
      })

      kase('asset', 'describes a known asset and throws BROKER_NOT_FOUND for an unknown one', async () => {
        const s = await open()
        const a = await s.broker.getAsset(s.symbol)
        expect(a).toMatchObject({ symbol: s.symbol, tradable: true, fractionable: true })
        expect((await s.broker.getAsset(s.wholeShareSymbol)).fractionable).toBe(false)
        await expectBrokerError(s.broker.getAsset(s.unknownSymbol), ['BROKER_NOT_FOUND'])
      })

      kase('position', 'reports positions, and null when flat', async () => {
        const s = await open()
        const p = await s.broker.getPosition(s.symbol)
        expect(p?.symbol).toBe(s.symbol)
        expect(p?.qty.gte(10)).toBe(true)
        expect(await s.broker.getPosition(s.wholeShareSymbol)).toBeNull()
      })

      kase(
        'unknown-ids',
        'returns null for an unknown client order id and BROKER_NOT_FOUND for an unknown order id',
        async () => {
          const s = await open()
          expect(await s.broker.getOrderByClientId(cid('nope'))).toBeNull()
          await expectBrokerError(s.broker.getOrder(brokerOrderId('00000000-0000-4000-8000-000000000000')), [
            'BROKER_NOT_FOUND',
          ])
        },
      )
    })

    describe('daily statistics', () => {
      kase(
        'daily-stats',
        "gives a symbol's ADV and daily volatility, and null for a symbol without daily history or unknown",
        async () => {
          const s = await open()
          expect(s.broker.getDailyStats, 'getDailyStats is implemented').toBeTypeOf('function')
          const stats = await s.broker.getDailyStats!(s.symbol)
          expect(stats?.symbol).toBe(s.symbol)
          expect(Math.abs(stats!.adv.toNumber() / s.dailyStats.adv - 1)).toBeLessThan(1e-9)
          expect(Math.abs(stats!.dailyVolatility / s.dailyStats.dailyVolatility - 1)).toBeLessThan(1e-9)
          expect(stats!.days === null || stats!.days >= 3).toBe(true)
          expect(await s.broker.getDailyStats!(s.wholeShareSymbol)).toBeNull()
          expect(await s.broker.getDailyStats!(s.unknownSymbol)).toBeNull()
        },
      )
    })

    describe('market clock', () => {
      kase(
        'clock',
        "says whether a symbol's market trades now and until when: open until its close with the next open after it, or closed until the next session",
        async () => {
          const s = await open()
          const c = await s.broker.getMarketClock(s.symbol)
          if (c.alwaysOpen) {
            expect(c).toEqual(AROUND_THE_CLOCK)
            return
          }
          expect(c.nextOpenMs).not.toBeNull()
          expect(c.nextCloseMs).not.toBeNull()
          const [nextOpen, nextClose] = [c.nextOpenMs ?? 0, c.nextCloseMs ?? 0]
          if (c.isOpen) {
            expect(nextClose).toBeGreaterThan(s.now())
            expect(nextOpen).toBeGreaterThan(nextClose)
          } else {
            expect(nextOpen).toBeGreaterThan(s.now())
            expect(nextClose).toBeGreaterThan(nextOpen)
          }
        },
      )

      kase(
        'clock-around-the-clock',
        'answers a crypto pair as trading around the clock: open, no next open or close',
        async () => {
          const s = await open()
          expect(await s.broker.getMarketClock(s.aroundTheClockSymbol)).toEqual(AROUND_THE_CLOCK)
        },
      )

      kase('clock-unknown', 'throws BROKER_NOT_FOUND for the market clock of an unknown symbol', async () => {
        const s = await open()
        await expectBrokerError(s.broker.getMarketClock(s.unknownSymbol), ['BROKER_NOT_FOUND'])
      })
    })

    describe('orders', () => {
      kase('market-fill', 'fills a market order in full and reports the cumulative fill on the order', async () => {
        const s = await open()
        const clientOrderId = cid('mkt')
        const sent = await s.broker.submitOrder({
          clientOrderId,
          symbol: s.symbol,
          side: 'BUY',
          qty: new Dec(7),
          type: 'market',
          timeInForce: 'day',
        })
        expect(sent.clientOrderId).toBe(clientOrderId)
        const done = await untilTerminal(s, sent.id)
        expect(done.status).toBe('filled')
        expect(done.filledQty.eq(7)).toBe(true)
        expect(done.filledAvgPrice?.gt(0)).toBe(true)
        expect(done.type).toBe('market')
        expect(done.side).toBe('BUY')
      })

      kase('resting-limit', 'rests a passive limit order (no fill, null average price)', async () => {
        const s = await open()
        const req = await restingBuy(s, 'rest', 5)
        const sent = await s.broker.submitOrder(req)
        expect(['new', 'accepted', 'pending_new']).toContain(sent.status)
        expect(sent.filledQty.isZero()).toBe(true)
        expect(sent.filledAvgPrice).toBeNull()
        expect(sent.limitPrice?.eq(req.limitPrice!)).toBe(true)
        expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
        await untilTerminal(s, sent.id)
      })
    })

    describe('one attempt per call: a failure reached the venue once and is thrown with the right retryable flag', () => {
      /** Makes what the operation needs (an order to read or cancel) and returns the call. */
      const prepare = async (s: ContractSubject, op: ContractOperation): Promise<() => Promise<unknown>> => {
        switch (op) {
          case 'submitOrder': {
            const req = await restingBuy(s, 'once-submit')
            return () => s.broker.submitOrder(req)
          }
          case 'getQuote':
            return () => s.broker.getQuote(s.symbol)
          case 'getPosition':
            return () => s.broker.getPosition(s.symbol)
          case 'getAsset':
            return () => s.broker.getAsset(s.wholeShareSymbol)
          case 'getMarketClock':
            return () => s.broker.getMarketClock(s.symbol)
          default: {
            const order = await s.broker.submitOrder(await restingBuy(s, `once-${op}`))
            if (op === 'getOrder') return () => s.broker.getOrder(order.id)
            if (op === 'getOrderByClientId') return () => s.broker.getOrderByClientId(order.clientOrderId)
            return () => s.broker.cancelOrder(order.id)
          }
        }
      }
      const operations: readonly ContractOperation[] = [
        'submitOrder',
        'getOrder',
        'getOrderByClientId',
        'cancelOrder',
        'getQuote',
        'getPosition',
        'getAsset',
        'getMarketClock',
      ]
      const cases: (readonly [ContractOperation, ContractFault])[] = [
        ...operations.flatMap((op) => [[op, 'unavailable'] as const, [op, 'rate_limited'] as const]),
        ['submitOrder', 'timeout'],
        ['submitOrder', 'rejected'],
      ]
      for (const [op, fault] of cases) {
        const { code, retryable } = FAULT_ERRORS[fault]
        kase(
          `once-${op}-${fault}`,
          `${op}: ${fault} → one call reached the venue, ${code} (retryable: ${retryable}); the call made again succeeds`,
          async () => {
            const s = await open()
            const call = await prepare(s, op)
            const before = s.callsReceived(op)
            s.failNext(op, fault)
            const err = await caught(call())
            expect(err.code).toBe(code)
            expect(err.retryable).toBe(retryable)
            if (fault === 'rate_limited') expect(err.retryAfterMs).toBeGreaterThan(0)
            expect(s.callsReceived(op) - before, 'calls that reached the venue').toBe(1)
            const again = await call()
            if (op === 'submitOrder') {
              const order = again as BrokerOrder
              expect(s.ordersWithClientId(order.clientOrderId)).toBe(1)
              await s.broker.cancelOrder(order.id)
            }
          },
        )
      }
    })

    describe('exactly once', () => {
      kase(
        'idempotent',
        'is idempotent on the client order id: the same request again answers with the one order',
        async () => {
          const s = await open()
          const req = await restingBuy(s, 'idem')
          const a = await s.broker.submitOrder(req)
          const b = await s.broker.submitOrder(req)
          expect(b.id).toBe(a.id)
          expect(s.ordersWithClientId(req.clientOrderId)).toBe(1)
          expect((await s.broker.getOrderByClientId(req.clientOrderId))?.id).toBe(a.id)
          await s.broker.cancelOrder(a.id)
          await untilTerminal(s, a.id)
        },
      )

      kase(
        'client-order-id-reused',
        'refuses a request whose client order id names another order (BROKER_REJECTED, reason client_order_id_reused), never answers with that order',
        async () => {
          const s = await open()
          const req = await restingBuy(s, 'reused', 3)
          const first = await s.broker.submitOrder(req)
          const err = await caught(s.broker.submitOrder({ ...req, qty: new Dec(4) }))
          expect(err.code).toBe('BROKER_REJECTED')
          expect(err.reason).toBe('client_order_id_reused')
          expect(s.ordersWithClientId(req.clientOrderId)).toBe(1)
          await s.broker.cancelOrder(first.id)
        },
      )

      for (const how of ['no_answer', 'unreadable'] as const) {
        kase(
          `lost-answer-${how}`,
          `a submit whose answer is lost (${how}) throws a may-have-created error after one call and no look-up; the order is found by client order id, and re-sending the request answers with it`,
          async () => {
            const s = await open()
            const req = await restingBuy(s, `lost-${how}`, 4)
            const [posts, lookups] = [s.callsReceived('submitOrder'), s.callsReceived('getOrderByClientId')]
            s.loseNextSubmitResponse(how)
            const err = await caught(s.broker.submitOrder(req))
            expect(POSSIBLY_CREATED).toContain(err.code)
            if (how === 'unreadable') expect(err.code).toBe('BROKER_BAD_RESPONSE')
            if (err.code === 'BROKER_TIMEOUT' || err.code === 'BROKER_UNAVAILABLE') expect(err.retryable).toBe(true)
            expect(s.callsReceived('submitOrder') - posts, 'submits that reached the venue').toBe(1)
            expect(s.callsReceived('getOrderByClientId') - lookups, 'look-ups made by the failed submit').toBe(0)
            // What the engine does next: look the order up, then (had it not been there) re-send the same request.
            const found = await untilFound(s, req.clientOrderId)
            const again = await s.broker.submitOrder(req)
            expect(again.id).toBe(found.id)
            expect(s.ordersWithClientId(req.clientOrderId)).toBe(1)
            await s.broker.cancelOrder(found.id)
          },
        )
      }
    })

    describe('cancel answers', () => {
      kase('cancel-requested', 'answers requested for an open order; the order then ends canceled', async () => {
        const s = await open()
        const sent = await s.broker.submitOrder(await restingBuy(s, 'cx'))
        expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
        const done = await untilTerminal(s, sent.id)
        expect(done.status).toBe('canceled')
        expect(done.filledQty.isZero()).toBe(true)
      })

      kase(
        'cancel-already-final',
        'answers already_final for an order that filled and for one already canceled, never an error',
        async () => {
          const s = await open()
          const filled = await s.broker.submitOrder(marketSell(s, 'cx-filled'))
          expect((await untilTerminal(s, filled.id)).status).toBe('filled')
          expect(await s.broker.cancelOrder(filled.id)).toBe('already_final')
          const after = await s.broker.getOrder(filled.id)
          expect(after.status).toBe('filled')
          expect(after.filledQty.eq(2)).toBe(true)
          const resting = await s.broker.submitOrder(await restingBuy(s, 'cx-twice'))
          expect(await s.broker.cancelOrder(resting.id)).toBe('requested')
          expect((await untilTerminal(s, resting.id)).status).toBe('canceled')
          expect(await s.broker.cancelOrder(resting.id)).toBe('already_final')
        },
      )

      kase('cancel-unknown', 'throws BROKER_NOT_FOUND for an unknown order id', async () => {
        const s = await open()
        await expectBrokerError(s.broker.cancelOrder(brokerOrderId('00000000-0000-4000-8000-000000000000')), [
          'BROKER_NOT_FOUND',
        ])
      })
    })

    describe('order updates', () => {
      kase(
        'updates',
        'tells a subscriber of the changes to an order, its final state included, until it unsubscribes',
        async () => {
          const s = await open()
          const subscribe = s.broker.subscribeOrderUpdates?.bind(s.broker)
          if (subscribe === undefined) return // optional in the port
          const seen: BrokerOrder[] = []
          const stop = subscribe((o) => seen.push(o))
          const sent = await s.broker.submitOrder(await restingBuy(s, 'upd'))
          expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
          await untilTerminal(s, sent.id)
          await until(s, 'the canceled order told', () => seen.some((o) => o.id === sent.id && o.status === 'canceled'))
          const mine = seen.filter((o) => o.id === sent.id)
          expect(mine.every((o) => o.clientOrderId === sent.clientOrderId && o.symbol === s.symbol)).toBe(true)
          stop()
          stop() // twice is harmless
          const later = await s.broker.submitOrder(marketSell(s, 'upd-after'))
          await untilTerminal(s, later.id)
          await s.sleep(50)
          expect(seen.filter((o) => o.id === later.id)).toEqual([])
        },
      )
    })

    describe('refusals say why', () => {
      kase(
        'reason-invalid-request',
        'refuses a limit price off the tick: BROKER_REJECTED, reason invalid_request, nothing created',
        async () => {
          const s = await open()
          const clientOrderId = cid('tick')
          const err = await expectBrokerError(
            s.broker.submitOrder({
              clientOrderId,
              symbol: s.symbol,
              side: 'BUY',
              qty: new Dec(1),
              type: 'limit',
              limitPrice: new Dec('150.005'),
              timeInForce: 'day',
            }),
            ['BROKER_REJECTED'],
          )
          expect(err.reason).toBe('invalid_request')
          expect(await s.broker.getOrderByClientId(clientOrderId)).toBeNull()
        },
      )

      kase(
        'reason-not-fractionable',
        'refuses a fractional quantity of a whole-share asset: BROKER_REJECTED, reason not_fractionable',
        async () => {
          const s = await open()
          const err = await expectBrokerError(
            s.broker.submitOrder({
              clientOrderId: cid('frac'),
              symbol: s.wholeShareSymbol,
              side: 'BUY',
              qty: new Dec('1.5'),
              type: 'market',
              timeInForce: 'day',
            }),
            ['BROKER_REJECTED'],
          )
          expect(err.reason).toBe('not_fractionable')
        },
      )

      kase('reason-asset-not-found', 'refuses an order for an unknown symbol with reason asset_not_found', async () => {
        const s = await open()
        const err = await expectBrokerError(
          s.broker.submitOrder({
            clientOrderId: cid('nosym'),
            symbol: s.unknownSymbol,
            side: 'BUY',
            qty: new Dec(1),
            type: 'market',
            timeInForce: 'day',
          }),
          ['BROKER_NOT_FOUND', 'BROKER_REJECTED'],
        )
        expect(err.reason).toBe('asset_not_found')
      })
    })

    describe('time in force', () => {
      const cryptoBuy = async (
        s: ContractSubject,
        tag: string,
        timeInForce: TimeInForce,
        type: 'market' | 'limit',
      ): Promise<SubmitOrderRequest> => ({
        clientOrderId: cid(tag),
        symbol: s.aroundTheClockSymbol,
        side: 'BUY',
        qty: new Dec('0.01'),
        type,
        ...(type === 'limit' ? { limitPrice: await restingPrice(s, s.aroundTheClockSymbol) } : {}),
        timeInForce,
      })

      kase('tif-crypto-gtc', 'takes gtc for a crypto pair: a resting limit order rests until cancelled', async () => {
        const s = await open()
        const sent = await s.broker.submitOrder(await cryptoBuy(s, 'gtc', 'gtc', 'limit'))
        expect(BROKER_TERMINAL_STATUSES.has(sent.status)).toBe(false)
        expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
        expect((await untilTerminal(s, sent.id)).status).toBe('canceled')
      })

      kase('tif-crypto-ioc', 'takes ioc for a crypto pair: a market order fills', async () => {
        const s = await open()
        const sent = await s.broker.submitOrder(await cryptoBuy(s, 'ioc', 'ioc', 'market'))
        const done = await untilTerminal(s, sent.id)
        expect(done.status).toBe('filled')
        expect(done.filledQty.eq('0.01')).toBe(true)
      })

      kase(
        'crypto-quote-position',
        'quotes a crypto pair under its own symbol and, after a fill, reads its position back under the pair',
        async () => {
          const s = await open()
          const q = await s.broker.getQuote(s.aroundTheClockSymbol)
          expect(q?.symbol).toBe(s.aroundTheClockSymbol)
          expect(q!.bid.gt(0) && q!.bid.lte(q!.ask)).toBe(true)
          const sent = await s.broker.submitOrder(await cryptoBuy(s, 'pos', 'ioc', 'market'))
          expect((await untilTerminal(s, sent.id)).status).toBe('filled')
          const p = await s.broker.getPosition(s.aroundTheClockSymbol)
          expect(p?.symbol).toBe(s.aroundTheClockSymbol)
          expect(p?.qty.eq('0.01')).toBe(true)
        },
      )

      kase(
        'tif-crypto-day',
        'refuses day for a crypto pair (it trades around the clock; Alpaca takes gtc or ioc): BROKER_REJECTED, reason invalid_request, nothing created',
        async () => {
          const s = await open()
          for (const type of ['limit', 'market'] as const) {
            const req = await cryptoBuy(s, `day-${type}`, 'day', type)
            const err = await expectBrokerError(s.broker.submitOrder(req), ['BROKER_REJECTED'])
            expect(err.reason).toBe('invalid_request')
            expect(s.ordersWithClientId(req.clientOrderId)).toBe(0)
          }
        },
      )

      kase(
        'tif-equity-day',
        'refuses gtc and ioc for an equity (its orders are day orders): BROKER_REJECTED, reason invalid_request, nothing created',
        async () => {
          const s = await open()
          for (const timeInForce of ['gtc', 'ioc'] as const) {
            const req = { ...(await restingBuy(s, `eq-${timeInForce}`)), timeInForce }
            const err = await expectBrokerError(s.broker.submitOrder(req), ['BROKER_REJECTED'])
            expect(err.reason).toBe('invalid_request')
            expect(s.ordersWithClientId(req.clientOrderId)).toBe(0)
          }
        },
      )
    })

    describe.skipIf(!options.venueControls)(
      'venue behaviours (adapter-only: the simulated market has no asynchronous look-ups, close, replace, foreign statuses, pushed updates or buying power, and its market clock is a weekday session or none, not a state a test sets)',
      () => {
        const venueOf = (s: ContractSubject): ContractVenue => {
          if (!s.venue) throw new Error('venueControls set but the subject has no venue')
          return s.venue
        }
        const resting = async (s: ContractSubject, tag: string, qty = 10): Promise<BrokerOrder> =>
          s.broker.submitOrder(await restingBuy(s, tag, qty))

        kase(
          'venue-async',
          'may answer a submit before the venue routes it (accepted / pending_new); the order then works',
          async () => {
            const s = await open()
            const sent = await resting(s, 'async')
            expect(['accepted', 'pending_new', 'new']).toContain(sent.status)
            let o = await s.broker.getOrder(sent.id)
            for (let i = 0; i < 50 && o.status !== 'new'; i++) {
              await s.sleep(10)
              o = await s.broker.getOrder(sent.id)
            }
            expect(o.status).toBe('new')
          },
        )

        kase(
          'venue-unseen',
          'never turns "the venue cannot show the order yet" into a refusal: lost answer, a look-up that sees nothing, a re-send answered as a duplicate → the order or BROKER_UNKNOWN_OUTCOME; one order',
          async () => {
            const s = await open()
            const req = await restingBuy(s, 'unseen', 4)
            venueOf(s).hideNewOrders(2)
            s.loseNextSubmitResponse()
            const first = await caught(s.broker.submitOrder(req))
            expect(POSSIBLY_CREATED).toContain(first.code)
            // The engine's next steps: a look-up (the venue cannot show the order yet), then the same request again.
            expect(await s.broker.getOrderByClientId(req.clientOrderId)).toBeNull()
            const again = await s.broker.submitOrder(req).catch((e: unknown) => e)
            if (isBrokerError(again)) expect(again.code).toBe('BROKER_UNKNOWN_OUTCOME')
            const found = isBrokerError(again) ? await untilFound(s, req.clientOrderId) : (again as BrokerOrder)
            expect(found.clientOrderId).toBe(req.clientOrderId)
            expect(s.ordersWithClientId(req.clientOrderId)).toBe(1)
          },
        )

        kase(
          'venue-close',
          'reads done_for_day as open (fills kept, still cancelable) and expired at the close as final',
          async () => {
            const s = await open()
            const sent = await resting(s, 'close')
            venueOf(s).fill(sent.id, '3')
            venueOf(s).endOfDay('done_for_day')
            const dfd = await s.broker.getOrder(sent.id)
            expect(BROKER_TERMINAL_STATUSES.has(dfd.status)).toBe(false)
            expect(dfd.filledQty.eq(3)).toBe(true)
            venueOf(s).endOfDay('expired')
            const done = await untilTerminal(s, sent.id)
            expect(done.status).toBe('expired')
            expect(done.filledQty.eq(3)).toBe(true)
            expect(await s.broker.cancelOrder(sent.id)).toBe('already_final')
          },
        )

        kase(
          'venue-replaced',
          'reads a replaced order as one order under its original id, and cancelling the original cancels the head',
          async () => {
            const s = await open()
            const sent = await resting(s, 'replaced')
            venueOf(s).fill(sent.id, '4')
            const head = venueOf(s).replace(sent.id, { limitPrice: sent.limitPrice!.add('0.01').toFixed() })
            venueOf(s).fill(head, '1')
            const o = await s.broker.getOrder(sent.id)
            expect(o.id).toBe(sent.id)
            expect(BROKER_TERMINAL_STATUSES.has(o.status)).toBe(false)
            expect(o.filledQty.eq(5)).toBe(true)
            expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
            const done = await untilTerminal(s, sent.id)
            expect(done.status).toBe('canceled')
            expect(done.filledQty.eq(5)).toBe(true)
            expect(await s.broker.cancelOrder(sent.id)).toBe('already_final')
          },
        )

        kase(
          'venue-foreign-status',
          'reads a status the engine has no name for as open, and the order can still be cancelled',
          async () => {
            const s = await open()
            const sent = await resting(s, 'foreign')
            venueOf(s).setStatus(sent.id, 'pending_review')
            const o = await s.broker.getOrder(sent.id)
            expect(BROKER_TERMINAL_STATUSES.has(o.status)).toBe(false)
            expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
            expect((await untilTerminal(s, sent.id)).status).toBe('canceled')
          },
        )

        kase(
          'venue-late-reject',
          'ends an order the venue rejected after answering 200 as rejected, with nothing filled; cancelling it answers already_final',
          async () => {
            const s = await open()
            venueOf(s).routeNextAs('rejected')
            const sent = await resting(s, 'late-reject')
            const done = await untilTerminal(s, sent.id)
            expect(done.status).toBe('rejected')
            expect(done.filledQty.isZero()).toBe(true)
            expect(await s.broker.cancelOrder(sent.id)).toBe('already_final')
          },
        )

        kase('venue-held', 'reads a held order as open and cancels it', async () => {
          const s = await open()
          venueOf(s).routeNextAs('held')
          const sent = await resting(s, 'held')
          await s.sleep(10)
          expect(BROKER_TERMINAL_STATUSES.has((await s.broker.getOrder(sent.id)).status)).toBe(false)
          expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
          expect((await untilTerminal(s, sent.id)).status).toBe('canceled')
        })

        kase(
          'venue-pending-cancel',
          'keeps a lasting pending_cancel non-final until the venue confirms it; a second cancel meanwhile answers requested',
          async () => {
            const s = await open()
            venueOf(s).holdCancels()
            const sent = await resting(s, 'slow-cancel')
            expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
            for (let i = 0; i < 3; i++) expect((await s.broker.getOrder(sent.id)).status).toBe('pending_cancel')
            expect(await s.broker.cancelOrder(sent.id)).toBe('requested')
            venueOf(s).confirmCancel(sent.id)
            expect((await untilTerminal(s, sent.id)).status).toBe('canceled')
          },
        )

        kase('venue-pushed-update', 'tells a subscriber of a change the venue pushes, without any read', async () => {
          const s = await open()
          await venueOf(s).updatesFlowing()
          const seen: BrokerOrder[] = []
          const stop = s.broker.subscribeOrderUpdates!((o) => seen.push(o))
          const sent = await resting(s, 'pushed')
          venueOf(s).fill(sent.id, '10')
          await until(s, 'the fill told', () => seen.some((o) => o.id === sent.id && o.status === 'filled'))
          const filled = seen.find((o) => o.id === sent.id && o.status === 'filled')!
          expect(filled.filledQty.eq(10)).toBe(true)
          expect(filled.clientOrderId).toBe(sent.clientOrderId)
          stop()
        })

        kase(
          'venue-pushed-replace',
          'tells a fill on a replacement under the original order id, with the fills of the whole chain',
          async () => {
            const s = await open()
            await venueOf(s).updatesFlowing()
            const seen: BrokerOrder[] = []
            const stop = s.broker.subscribeOrderUpdates!((o) => seen.push(o))
            const sent = await resting(s, 'pushed-replace')
            venueOf(s).fill(sent.id, '4')
            const head = venueOf(s).replace(sent.id, { limitPrice: sent.limitPrice!.add('0.01').toFixed() })
            venueOf(s).fill(head, '1')
            await until(s, 'the chain told with 5 filled', () =>
              seen.some((o) => o.id === sent.id && o.filledQty.eq(5)),
            )
            expect(seen.every((o) => o.id !== head)).toBe(true)
            const last = seen.filter((o) => o.id === sent.id).at(-1)!
            expect(last.clientOrderId).toBe(sent.clientOrderId)
            expect(BROKER_TERMINAL_STATUSES.has(last.status)).toBe(false)
            stop()
          },
        )

        kase(
          'venue-insufficient-position',
          'refuses a sell beyond the position: BROKER_INSUFFICIENT_FUNDS, reason insufficient_position',
          async () => {
            const s = await open()
            const err = await expectBrokerError(
              s.broker.submitOrder({ ...marketSell(s, 'short'), symbol: s.wholeShareSymbol, qty: new Dec(1) }),
              ['BROKER_INSUFFICIENT_FUNDS'],
            )
            expect(err.reason).toBe('insufficient_position')
          },
        )

        kase(
          'venue-insufficient-buying-power',
          'refuses a buy beyond buying power: BROKER_INSUFFICIENT_FUNDS, reason insufficient_buying_power',
          async () => {
            const s = await open()
            venueOf(s).setBuyingPower('10')
            const err = await expectBrokerError(s.broker.submitOrder(await restingBuy(s, 'bp', 5)), [
              'BROKER_INSUFFICIENT_FUNDS',
            ])
            expect(err.reason).toBe('insufficient_buying_power')
          },
        )

        kase(
          'venue-clock-open',
          "reads an open market: open, closing at this session's close, the next session's open after it",
          async () => {
            const s = await open()
            const nextCloseMs = onMinute(s.now() + 2 * HOUR_MS)
            const nextOpenMs = nextCloseMs + 17.5 * HOUR_MS
            venueOf(s).setMarketClock({ isOpen: true, nextOpenMs, nextCloseMs })
            expect(await s.broker.getMarketClock(s.symbol)).toEqual({
              isOpen: true,
              nextOpenMs,
              nextCloseMs,
              alwaysOpen: false,
            })
          },
        )

        kase('venue-clock-closed', "reads a closed market: not open, the next session's open and close", async () => {
          const s = await open()
          const nextOpenMs = onMinute(s.now() + 3 * HOUR_MS)
          const nextCloseMs = nextOpenMs + 6.5 * HOUR_MS
          venueOf(s).setMarketClock({ isOpen: false, nextOpenMs, nextCloseMs })
          expect(await s.broker.getMarketClock(s.symbol)).toEqual({
            isOpen: false,
            nextOpenMs,
            nextCloseMs,
            alwaysOpen: false,
          })
        })

        kase(
          'venue-clock-crypto',
          'reads a crypto pair as trading around the clock while equities are closed',
          async () => {
            const s = await open()
            const nextOpenMs = onMinute(s.now() + 3 * HOUR_MS)
            venueOf(s).setMarketClock({ isOpen: false, nextOpenMs, nextCloseMs: nextOpenMs + 6.5 * HOUR_MS })
            expect((await s.broker.getMarketClock(s.symbol)).isOpen).toBe(false)
            expect(await s.broker.getMarketClock(s.aroundTheClockSymbol)).toEqual(AROUND_THE_CLOCK)
          },
        )
      },
    )

    // Checked when the tests run: nested suites are collected after this callback returns.
    it('names only cases of this suite in knownGaps', () => {
      expect(Object.keys(gaps).filter((id) => !ids.has(id))).toEqual([])
    })
  })
}
