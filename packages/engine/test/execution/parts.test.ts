import { describe, expect, it } from 'vitest'
import { Dec } from '../../src/domain/dec.js'
import type { Fill } from '../../src/domain/fill.js'
import { brokerOrderId, clientOrderIdFor, fillId } from '../../src/domain/ids.js'
import { FillBook } from '../../src/execution/fillBook.js'
import { createOrderWaiter } from '../../src/execution/orderWaiter.js'
import type { BrokerOrder, BrokerPort } from '../../src/ports/broker.js'
import { createVirtualClock } from '../../src/ports/clock.js'

const aFill = (id: string, qty: string, price = '10'): Fill => ({
  fillId: fillId(id),
  clientOrderId: clientOrderIdFor('c', 0, 0),
  brokerOrderId: brokerOrderId('b'),
  qty: new Dec(qty),
  price: new Dec(price),
  tsEvent: 0,
  tsInit: 0,
})

describe('FillBook', () => {
  it('books fills once each, by id, and never past the parent quantity', () => {
    const book = new FillBook(new Dec(100))
    book.book(aFill('a', '60', '10'))
    book.book(aFill('b', '40', '11'))
    expect(book.totalFilled.toFixed()).toBe('100')
    expect(book.avgPrice().toFixed()).toBe('10.4')
    expect(() => book.book(aFill('a', '1'))).toThrowError(expect.objectContaining({ code: 'ENGINE_DUPLICATE_FILL' }))
    expect(() => book.book(aFill('c', '0.000000001'))).toThrowError(
      expect.objectContaining({ code: 'ENGINE_OVERFILL' }),
    )
    expect(book.fills().map((f) => f.fillId)).toEqual(['a', 'b'])
    expect(book.remaining().toFixed()).toBe('0')
  })
})

describe('createOrderWaiter', () => {
  function venue() {
    let listener: ((o: BrokerOrder) => void) | undefined
    const broker = {
      subscribeOrderUpdates: (l: (o: BrokerOrder) => void) => ((listener = l), () => {}),
    } as unknown as BrokerPort
    return { broker, tell: (clientOrderId: string) => listener?.({ clientOrderId } as BrokerOrder) }
  }

  it('wakes a wait early on an update of its own order only', async () => {
    const clock = createVirtualClock({ autoAdvance: false })
    const { broker, tell } = venue()
    const waiter = createOrderWaiter(broker, clock)
    let woke = false
    const waiting = waiter.wait('mine', 10_000).then(() => (woke = true))
    await Promise.resolve()
    tell('other')
    await clock.advance(1)
    expect(woke).toBe(false)
    tell('mine')
    await waiting
    expect(woke).toBe(true)
    expect(clock.now() - createVirtualClock().now()).toBeLessThan(10_000)
  })

  it('sleeps the whole time on a venue without updates, and stops early on abort', async () => {
    const clock = createVirtualClock({ autoAdvance: false })
    const waiter = createOrderWaiter({} as BrokerPort, clock)
    const start = clock.now()
    const done = waiter.wait('x', 5_000)
    await clock.advance(5_000)
    await done
    expect(clock.now() - start).toBe(5_000)
    const abort = new AbortController()
    const cut = waiter.wait('x', 5_000, abort.signal)
    abort.abort()
    await cut
    expect(clock.now() - start).toBe(5_000)
  })
})
