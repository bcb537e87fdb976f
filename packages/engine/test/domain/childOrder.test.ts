import { describe, expect, it } from 'vitest'
import {
  applyOrderEvent,
  createChildOrder,
  TRANSITIONS,
  type ChildOrder,
  type OrderEvent,
} from '../../src/domain/childOrder.js'
import { Dec } from '../../src/domain/dec.js'
import type { Fill } from '../../src/domain/fill.js'
import { brokerOrderId, clientOrderIdFor, fillId } from '../../src/domain/ids.js'
import { isEngineError } from '../../src/errors.js'

const cid = clientOrderIdFor('c', 0, 0)
const bid = brokerOrderId('b-1')
const order = (): ChildOrder =>
  createChildOrder({
    clientOrderId: cid,
    symbol: 'AAPL',
    side: 'BUY',
    type: 'limit',
    qty: new Dec(100),
    limitPrice: new Dec('190.01'),
    sliceIndex: 0,
    attempt: 0,
    createdAt: 0,
  })
const fill = (id: string, qty: string, price = '190'): OrderEvent => ({
  type: 'fill',
  tsEvent: 1,
  fill: {
    fillId: fillId(id),
    clientOrderId: cid,
    brokerOrderId: bid,
    qty: new Dec(qty),
    price: new Dec(price),
    tsEvent: 1,
    tsInit: 1,
  } satisfies Fill,
})
const run = (...events: OrderEvent[]): ChildOrder => events.reduce(applyOrderEvent, order())
const submitted = [
  { type: 'submit', tsEvent: 0 },
  { type: 'accept', tsEvent: 0, brokerOrderId: bid },
] as const

describe('child order state machine', () => {
  it('goes created → submitted → accepted → partially_filled → filled with a weighted average price', () => {
    const o = run(...submitted, fill('f1', '40', '190'), fill('f2', '60', '190.05'))
    expect(o.status).toBe('filled')
    expect(o.filledQty.toString()).toBe('100')
    expect(o.avgPx.toString()).toBe('190.03')
  })

  it('throws ENGINE_INVALID_TRANSITION for an event the table does not allow', () => {
    expect(() =>
      run({ type: 'fill', tsEvent: 0, fill: (fill('f', '1') as Extract<OrderEvent, { type: 'fill' }>).fill }),
    ).toThrowError(expect.objectContaining({ code: 'ENGINE_INVALID_TRANSITION' }))
    expect(() => run(...submitted, fill('f1', '100'), { type: 'cancel_request', tsEvent: 2 })).toThrowError(
      expect.objectContaining({ code: 'ENGINE_INVALID_TRANSITION' }),
    )
  })

  it('reports a repeated fill id as ENGINE_DUPLICATE_FILL', () => {
    const o = run(...submitted, fill('f1', '10'))
    try {
      applyOrderEvent(o, fill('f1', '10'))
      expect.unreachable()
    } catch (e) {
      expect(isEngineError(e) && e.code).toBe('ENGINE_DUPLICATE_FILL')
    }
  })

  it('refuses a repeated fill id before any transition, also once the order is filled', () => {
    const filled = run(...submitted, fill('f1', '100'))
    expect(filled.status).toBe('filled')
    // 'filled' allows no fill at all: a repeat is still reported as the duplicate it is
    expect(() => applyOrderEvent(filled, fill('f1', '100'))).toThrowError(
      expect.objectContaining({ code: 'ENGINE_DUPLICATE_FILL' }),
    )
  })

  it('refuses a fill beyond the order quantity', () => {
    expect(() => run(...submitted, fill('f1', '101'))).toThrowError(
      expect.objectContaining({ code: 'ENGINE_OVERFILL' }),
    )
  })

  it('books a fill that arrives after the cancel request', () => {
    const o = run(...submitted, fill('f1', '10'), { type: 'cancel_request', tsEvent: 2 }, fill('f2', '20'))
    expect(o.status).toBe('pending_cancel')
    expect(o.filledQty.toString()).toBe('30')
    expect(applyOrderEvent(o, { type: 'cancel_confirm', tsEvent: 3 }).status).toBe('canceled')
  })

  it('books a fill reported after the cancel was confirmed and stays canceled', () => {
    const o = run(
      ...submitted,
      { type: 'cancel_request', tsEvent: 2 },
      { type: 'cancel_confirm', tsEvent: 3 },
      fill('f1', '100'),
    )
    expect(o.status).toBe('canceled')
    expect(o.filledQty.toString()).toBe('100')
  })

  it('moves pending_cancel to filled when the racing fill completes the order', () => {
    const o = run(...submitted, { type: 'cancel_request', tsEvent: 2 }, fill('f1', '100'))
    expect(o.status).toBe('filled')
  })

  it('completes an order whose fills were all applied before the status they led to (a resume)', () => {
    const adopted = { ...run(...submitted, fill('f1', '100')), status: 'accepted' as const }
    expect(applyOrderEvent(adopted, { type: 'complete', tsEvent: 2 }).status).toBe('filled')
    expect(() => applyOrderEvent(run(...submitted, fill('f1', '40')), { type: 'complete', tsEvent: 2 })).toThrowError(
      expect.objectContaining({ code: 'ENGINE_INVALID_TRANSITION' }),
    )
  })

  it('has no way out of filled or rejected', () => {
    expect(TRANSITIONS.filled).toEqual({})
    expect(TRANSITIONS.rejected).toEqual({})
  })

  it('never mutates the previous value', () => {
    const a = run(...submitted)
    const b = applyOrderEvent(a, fill('f1', '5'))
    expect(a.filledQty.toString()).toBe('0')
    expect(b.filledQty.toString()).toBe('5')
  })
})
