import { reference } from '@acx/ac-core-wasm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createAcConfig } from '../src/config/createAcConfig.js'
import { Dec } from '../src/domain/dec.js'
import { applyOrderEvent, createChildOrder, type OrderEvent } from '../src/domain/childOrder.js'
import { brokerOrderId, clientOrderIdFor, fillId } from '../src/domain/ids.js'
import { isEngineError } from '../src/errors.js'
import { createEngine } from '../src/engine.js'
import { createVirtualClock } from '../src/ports/clock.js'
import { createInMemoryJournal } from '../src/ports/executionJournal.js'
import { createSimulatedMarket } from '../src/sim/simulatedMarket.js'
import { STRATEGY_NAMES } from '../src/domain/strategyName.js'

const sum = (xs: readonly Dec[]) => xs.reduce((a, b) => a.add(b), new Dec(0))

const scenario = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  quantity: fc.integer({ min: 1, max: 20_000 }),
  side: fc.constantFrom('BUY' as const, 'SELL' as const),
  strategy: fc.constantFrom(...STRATEGY_NAMES),
  tradeProbability: fc.double({ min: 0, max: 1, noNaN: true }),
  meanTradeSize: fc.integer({ min: 1, max: 2_000 }),
  fillOnCancelProbability: fc.double({ min: 0, max: 1, noNaN: true }),
  rejectProbability: fc.double({ min: 0, max: 0.3, noNaN: true }),
  unavailableProbability: fc.double({ min: 0, max: 0.2, noNaN: true }),
  lostSubmitResponseProbability: fc.double({ min: 0, max: 0.3, noNaN: true }),
  cancelLatencyMs: fc.integer({ min: 0, max: 3_000 }),
  latencyMs: fc.integer({ min: 0, max: 300 }),
  fallback: fc.boolean(),
  numSlices: fc.integer({ min: 1, max: 12 }),
})

describe('execution invariants (random intents, markets and faults)', () => {
  it('never overfills, reports totals equal to the sum of fills, and uses unique client order ids', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = createVirtualClock()
        const market = createSimulatedMarket({
          clock,
          seed: s.seed,
          symbols: { XYZ: { price: '42.17', spread: '0.03' } },
          tradeProbability: s.tradeProbability,
          meanTradeSize: s.meanTradeSize,
          cancelLatencyMs: s.cancelLatencyMs,
          latencyMs: s.latencyMs,
          faults: {
            fillOnCancelProbability: s.fillOnCancelProbability,
            rejectProbability: s.rejectProbability,
            unavailableProbability: s.unavailableProbability,
            lostSubmitResponseProbability: s.lostSubmitResponseProbability,
          },
        })
        const journal = createInMemoryJournal()
        const config = createAcConfig({
          ac: { marketFallback: s.fallback, numSlices: s.numSlices, sliceWaitSeconds: Math.min(30, 300 / s.numSlices) },
        })
        const engine = createEngine({ broker: market, clock, config, journal, core: reference })
        const r = await engine.execute({
          side: s.side,
          symbol: 'XYZ',
          quantity: String(s.quantity),
          urgency: 'MEDIUM',
          correlationId: `p-${s.seed}`,
          strategy: s.strategy,
        })
        const q = new Dec(s.quantity)
        const simFills = market.fills()
        // never overfilled, at the broker or in the result
        expect(r.totalFilled.lte(q)).toBe(true)
        expect(sum(simFills.map((f) => f.qty)).lte(q)).toBe(true)
        // reported totals equal the sum of fills: broker's, the journal's and the attempts'
        expect(r.totalFilled.eq(sum(simFills.map((f) => f.qty)))).toBe(true)
        const journaled = journal.entries.flatMap((e) => (e.type === 'fill' ? [e.fill] : []))
        expect(r.totalFilled.eq(sum(journaled.map((f) => f.qty)))).toBe(true)
        expect(r.totalFilled.eq(sum(r.attempts.map((a) => a.filledQty)))).toBe(true)
        if (r.totalFilled.gt(0)) {
          const notional = sum(simFills.map((f) => f.qty.mul(f.price)))
          expect(r.avgFillPrice.mul(r.totalFilled).sub(notional).abs().lt('1e-20')).toBe(true)
        }
        expect(r.fillPercentage).toBeCloseTo(r.totalFilled.div(q).mul(100).toNumber(), 12)
        expect(r.success).toBe(r.totalFilled.eq(q))
        // unique client order ids, all ≤ 128 characters, one broker order each
        const ids = market.orders().map((o) => o.clientOrderId)
        expect(new Set(ids).size).toBe(ids.length)
        expect(ids.every((id) => id.length <= 128)).toBe(true)
        // every order was journaled before it was sent, and at most one was open at a time:
        // what was filled before plus the new order never exceeds the parent
        const orders = market.orders()
        for (const [i, o] of orders.entries()) {
          expect(
            journal.entries.some((e) => e.type === 'child_order_created' && e.order.clientOrderId === o.clientOrderId),
          ).toBe(true)
          const before = sum(orders.slice(0, i).map((p) => p.filledQty))
          expect(before.add(o.qty).lte(q)).toBe(true)
          expect(['filled', 'canceled', 'rejected', 'expired']).toContain(o.status)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('the state machine never lets filled exceed the order quantity, whatever the events', () => {
    const cid = clientOrderIdFor('x', 0, 0)
    const eventArb: fc.Arbitrary<OrderEvent> = fc.oneof(
      fc.constant<OrderEvent>({ type: 'submit', tsEvent: 0 }),
      fc.constant<OrderEvent>({ type: 'accept', tsEvent: 0, brokerOrderId: brokerOrderId('b') }),
      fc.constant<OrderEvent>({ type: 'cancel_request', tsEvent: 0 }),
      fc.constant<OrderEvent>({ type: 'cancel_confirm', tsEvent: 0 }),
      fc.constant<OrderEvent>({ type: 'expire', tsEvent: 0 }),
      fc.constant<OrderEvent>({ type: 'reject', tsEvent: 0, reason: 'r' }),
      fc
        .record({ id: fc.integer({ min: 0, max: 5 }), qty: fc.integer({ min: 1, max: 60 }) })
        .map(({ id, qty }): OrderEvent => ({
          type: 'fill',
          tsEvent: 0,
          fill: {
            fillId: fillId(`f${id}`),
            clientOrderId: cid,
            brokerOrderId: brokerOrderId('b'),
            qty: new Dec(qty),
            price: new Dec(10),
            tsEvent: 0,
            tsInit: 0,
          },
        })),
    )
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (events) => {
        let o = createChildOrder({
          clientOrderId: cid,
          symbol: 'X',
          side: 'BUY',
          type: 'limit',
          qty: new Dec(100),
          limitPrice: new Dec(10),
          sliceIndex: 0,
          attempt: 0,
          createdAt: 0,
        })
        for (const ev of events) {
          try {
            o = applyOrderEvent(o, ev)
          } catch (e) {
            if (!isEngineError(e)) throw e
            expect(['ENGINE_INVALID_TRANSITION', 'ENGINE_DUPLICATE_FILL', 'ENGINE_OVERFILL']).toContain(e.code)
          }
          expect(o.filledQty.lte(o.qty)).toBe(true)
          expect(new Set(o.fillIds).size).toBe(o.fillIds.length)
        }
      }),
      { numRuns: 500 },
    )
  })
})
