/**
 * The `BrokerPort` contract: one suite, run against every implementation (this adapter on the fake
 * Alpaca server, and the engine's simulated market). It states what the engine relies on.
 */
import {
  BROKER_TERMINAL_STATUSES,
  Dec,
  brokerOrderId,
  isBrokerError,
  roundToTick,
  type BrokerOrder,
  type BrokerOrderId,
  type BrokerPort,
  type ClientOrderId,
} from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'

/**
 * Venue-side controls for what a real venue does and a simulator need not: asynchronous processing,
 * the close, a replace by a human, statuses the engine has no name for. The fake Alpaca has them all.
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
}

export interface ContractOptions {
  /**
   * The subject has `venue` controls: run the venue cases. They are adapter-only: the engine's simulated
   * market has no asynchronous look-ups, no close, no replace and only the statuses the engine knows.
   */
  readonly venueControls?: boolean
}

export interface ContractSubject {
  readonly broker: BrokerPort
  /** Quoted, tradable, fractionable, with a long position of at least 10. */
  readonly symbol: string
  /** Quoted, tradable, whole shares only, no position. */
  readonly wholeShareSymbol: string
  /** Not known to the broker. */
  readonly unknownSymbol: string
  /** Makes the next submit create its order but lose the response (the broker's own fault knob). */
  loseNextSubmitResponse(): void
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

async function expectBrokerError(p: Promise<unknown>, codes: readonly string[]): Promise<void> {
  try {
    await p
  } catch (e) {
    expect(isBrokerError(e), `expected a BrokerError, got ${String(e)}`).toBe(true)
    expect(codes).toContain((e as { code: string }).code)
    return
  }
  throw new Error(`expected a BrokerError (${codes.join(' | ')}), got success`)
}

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

export function brokerPortContract(name: string, factory: ContractFactory, options: ContractOptions = {}): void {
  describe(`BrokerPort contract: ${name}`, () => {
    let subject: ContractSubject | undefined
    const open = async (): Promise<ContractSubject> => (subject = await factory())
    afterEach(async () => {
      await subject?.close()
      subject = undefined
    })

    const restingBuy = async (s: ContractSubject, symbol: string): Promise<Dec> => {
      const q = await s.broker.getQuote(symbol)
      if (!q) throw new Error('no quote')
      return roundToTick(q.bid.mul('0.9'), 'BUY')
    }

    it('quotes a known symbol with 0 < bid ≤ ask and its own timestamp', async () => {
      const s = await open()
      const q = await s.broker.getQuote(s.symbol)
      expect(q).not.toBeNull()
      expect(q!.symbol).toBe(s.symbol)
      expect(q!.bid.gt(0)).toBe(true)
      expect(q!.bid.lte(q!.ask)).toBe(true)
      expect(q!.bidSize.gte(0) && q!.askSize.gte(0)).toBe(true)
      expect(Number.isFinite(q!.timestampMs)).toBe(true)
    })

    it('returns null for the quote of an unknown symbol', async () => {
      const s = await open()
      expect(await s.broker.getQuote(s.unknownSymbol)).toBeNull()
    })

    it('describes a known asset and throws BROKER_NOT_FOUND for an unknown one', async () => {
      const s = await open()
      const a = await s.broker.getAsset(s.symbol)
      expect(a).toMatchObject({ symbol: s.symbol, tradable: true, fractionable: true })
      expect((await s.broker.getAsset(s.wholeShareSymbol)).fractionable).toBe(false)
      await expectBrokerError(s.broker.getAsset(s.unknownSymbol), ['BROKER_NOT_FOUND'])
    })

    it('fills a market order in full and reports the cumulative fill on the order', async () => {
      const s = await open()
      const clientOrderId = cid('mkt')
      const sent = await s.broker.submitOrder({ clientOrderId, symbol: s.symbol, side: 'BUY', qty: new Dec(7), type: 'market', timeInForce: 'day' })
      expect(sent.clientOrderId).toBe(clientOrderId)
      const done = await untilTerminal(s, sent.id)
      expect(done.status).toBe('filled')
      expect(done.filledQty.eq(7)).toBe(true)
      expect(done.filledAvgPrice?.gt(0)).toBe(true)
      expect(done.type).toBe('market')
      expect(done.side).toBe('BUY')
    })

    it('is idempotent on the client order id', async () => {
      const s = await open()
      const clientOrderId = cid('idem')
      const limitPrice = await restingBuy(s, s.symbol)
      const req = { clientOrderId, symbol: s.symbol, side: 'BUY' as const, qty: new Dec(3), type: 'limit' as const, limitPrice, timeInForce: 'day' as const }
      const a = await s.broker.submitOrder(req)
      const b = await s.broker.submitOrder(req)
      expect(b.id).toBe(a.id)
      const found = await s.broker.getOrderByClientId(clientOrderId)
      expect(found?.id).toBe(a.id)
      await s.broker.cancelOrder(a.id)
      await untilTerminal(s, a.id)
    })

    it('survives a lost submit response: retrying the same request yields the one order', async () => {
      const s = await open()
      const clientOrderId = cid('lost')
      const limitPrice = await restingBuy(s, s.symbol)
      const req = { clientOrderId, symbol: s.symbol, side: 'BUY' as const, qty: new Dec(4), type: 'limit' as const, limitPrice, timeInForce: 'day' as const }
      s.loseNextSubmitResponse()
      let order: BrokerOrder | undefined
      for (let i = 0; i < 3 && !order; i++) {
        order = await s.broker.submitOrder(req).catch((e: unknown) => {
          expect(isBrokerError(e) && e.retryable, `a lost response must surface as retryable, got ${String(e)}`).toBe(true)
          return undefined
        })
      }
      expect(order?.clientOrderId).toBe(clientOrderId)
      expect(s.ordersWithClientId(clientOrderId)).toBe(1)
      expect((await s.broker.getOrderByClientId(clientOrderId))?.id).toBe(order?.id)
    })

    it('returns null for an unknown client order id and BROKER_NOT_FOUND for an unknown order id', async () => {
      const s = await open()
      expect(await s.broker.getOrderByClientId(cid('nope'))).toBeNull()
      await expectBrokerError(s.broker.getOrder(brokerOrderId('00000000-0000-4000-8000-000000000000')), ['BROKER_NOT_FOUND'])
    })

    it('rests a passive limit order (no fill, null average price) until a confirmed cancel', async () => {
      const s = await open()
      const limitPrice = await restingBuy(s, s.symbol)
      const sent = await s.broker.submitOrder({ clientOrderId: cid('rest'), symbol: s.symbol, side: 'BUY', qty: new Dec(5), type: 'limit', limitPrice, timeInForce: 'day' })
      expect(['new', 'accepted', 'pending_new']).toContain(sent.status)
      expect(sent.filledQty.isZero()).toBe(true)
      expect(sent.filledAvgPrice).toBeNull()
      expect(sent.limitPrice?.eq(limitPrice)).toBe(true)
      await s.broker.cancelOrder(sent.id)
      const done = await untilTerminal(s, sent.id)
      expect(done.status).toBe('canceled')
      expect(done.filledQty.isZero()).toBe(true)
    })

    it('does not fail when cancelling an order that already filled', async () => {
      const s = await open()
      const sent = await s.broker.submitOrder({ clientOrderId: cid('late'), symbol: s.symbol, side: 'SELL', qty: new Dec(2), type: 'market', timeInForce: 'day' })
      const done = await untilTerminal(s, sent.id)
      expect(done.status).toBe('filled')
      await s.broker.cancelOrder(sent.id).catch((e: unknown) => {
        expect(isBrokerError(e) && ['BROKER_NOT_FOUND', 'BROKER_REJECTED'].includes(e.code)).toBe(true)
      })
      const after = await s.broker.getOrder(sent.id)
      expect(after.status).toBe('filled')
      expect(after.filledQty.eq(2)).toBe(true)
    })

    it('rejects a limit price off the tick without creating the order', async () => {
      const s = await open()
      const clientOrderId = cid('tick')
      await expectBrokerError(
        s.broker.submitOrder({ clientOrderId, symbol: s.symbol, side: 'BUY', qty: new Dec(1), type: 'limit', limitPrice: new Dec('150.005'), timeInForce: 'day' }),
        ['BROKER_REJECTED'],
      )
      expect(await s.broker.getOrderByClientId(clientOrderId)).toBeNull()
    })

    it('rejects a fractional quantity of a whole-share asset', async () => {
      const s = await open()
      await expectBrokerError(
        s.broker.submitOrder({ clientOrderId: cid('frac'), symbol: s.wholeShareSymbol, side: 'BUY', qty: new Dec('1.5'), type: 'market', timeInForce: 'day' }),
        ['BROKER_REJECTED'],
      )
    })

    it('reports positions, and null when flat', async () => {
      const s = await open()
      const p = await s.broker.getPosition(s.symbol)
      expect(p?.symbol).toBe(s.symbol)
      expect(p?.qty.gte(10)).toBe(true)
      expect(await s.broker.getPosition(s.wholeShareSymbol)).toBeNull()
    })

    describe.skipIf(!options.venueControls)(
      'venue behaviours (adapter-only: the simulated market has no asynchronous look-ups, close, replace or foreign statuses)',
      () => {
        const venueOf = (s: ContractSubject): ContractVenue => {
          if (!s.venue) throw new Error('venueControls set but the subject has no venue')
          return s.venue
        }
        const resting = async (s: ContractSubject, tag: string, qty = 10): Promise<BrokerOrder> =>
          s.broker.submitOrder({ clientOrderId: cid(tag), symbol: s.symbol, side: 'BUY', qty: new Dec(qty), type: 'limit', limitPrice: await restingBuy(s, s.symbol), timeInForce: 'day' })

        it('may answer a submit before the venue routes it (accepted / pending_new); the order then works', async () => {
          const s = await open()
          const sent = await resting(s, 'async')
          expect(['accepted', 'pending_new', 'new']).toContain(sent.status)
          let o = await s.broker.getOrder(sent.id)
          for (let i = 0; i < 50 && o.status !== 'new'; i++) {
            await s.sleep(10)
            o = await s.broker.getOrder(sent.id)
          }
          expect(o.status).toBe('new')
        })

        it('never turns "the venue cannot show the order yet" into a rejection: the order is found, and only once', async () => {
          const s = await open()
          const clientOrderId = cid('unseen')
          venueOf(s).hideNewOrders(2)
          s.loseNextSubmitResponse()
          const limitPrice = await restingBuy(s, s.symbol)
          const sent = await s.broker
            .submitOrder({ clientOrderId, symbol: s.symbol, side: 'BUY', qty: new Dec(4), type: 'limit', limitPrice, timeInForce: 'day' })
            .catch((e: unknown) => {
              expect(isBrokerError(e), String(e)).toBe(true)
              expect(['BROKER_UNKNOWN_OUTCOME', 'BROKER_UNAVAILABLE', 'BROKER_TIMEOUT']).toContain((e as { code: string }).code)
              return undefined
            })
          const found = sent ?? (await untilFound(s, clientOrderId))
          expect(found.clientOrderId).toBe(clientOrderId)
          expect(s.ordersWithClientId(clientOrderId)).toBe(1)
        })

        it('reads done_for_day as open (fills kept, still cancelable) and expired at the close as final', async () => {
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
        })

        it('reads a replaced order as one order under its original id, and cancelling the original cancels the head', async () => {
          const s = await open()
          const sent = await resting(s, 'replaced')
          venueOf(s).fill(sent.id, '4')
          const head = venueOf(s).replace(sent.id, { limitPrice: sent.limitPrice!.add('0.01').toFixed() })
          venueOf(s).fill(head, '1')
          const o = await s.broker.getOrder(sent.id)
          expect(o.id).toBe(sent.id)
          expect(BROKER_TERMINAL_STATUSES.has(o.status)).toBe(false)
          expect(o.filledQty.eq(5)).toBe(true)
          await s.broker.cancelOrder(sent.id)
          const done = await untilTerminal(s, sent.id)
          expect(done.status).toBe('canceled')
          expect(done.filledQty.eq(5)).toBe(true)
        })

        it('reads a status the engine has no name for as open, and the order can still be cancelled', async () => {
          const s = await open()
          const sent = await resting(s, 'foreign')
          venueOf(s).setStatus(sent.id, 'pending_review')
          const o = await s.broker.getOrder(sent.id)
          expect(BROKER_TERMINAL_STATUSES.has(o.status)).toBe(false)
          await s.broker.cancelOrder(sent.id)
          expect((await untilTerminal(s, sent.id)).status).toBe('canceled')
        })

        it('ends an order the venue rejected after answering 200 as rejected, with nothing filled', async () => {
          const s = await open()
          venueOf(s).routeNextAs('rejected')
          const sent = await resting(s, 'late-reject')
          const done = await untilTerminal(s, sent.id)
          expect(done.status).toBe('rejected')
          expect(done.filledQty.isZero()).toBe(true)
        })

        it('reads a held order as open and cancels it', async () => {
          const s = await open()
          venueOf(s).routeNextAs('held')
          const sent = await resting(s, 'held')
          await s.sleep(10)
          expect(BROKER_TERMINAL_STATUSES.has((await s.broker.getOrder(sent.id)).status)).toBe(false)
          await s.broker.cancelOrder(sent.id)
          expect((await untilTerminal(s, sent.id)).status).toBe('canceled')
        })

        it('keeps a lasting pending_cancel non-final until the venue confirms it', async () => {
          const s = await open()
          venueOf(s).holdCancels()
          const sent = await resting(s, 'slow-cancel')
          await s.broker.cancelOrder(sent.id)
          for (let i = 0; i < 3; i++) expect((await s.broker.getOrder(sent.id)).status).toBe('pending_cancel')
          venueOf(s).confirmCancel(sent.id)
          expect((await untilTerminal(s, sent.id)).status).toBe('canceled')
        })
      },
    )
  })
}
