import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  Dec,
  checkQuote,
  clientOrderIdFor,
  createChildOrder,
  fillId,
  parentOrderId,
  parseOrderIntent,
  type BrokerOrderId,
  type ChildOrder,
  type ExecutionResult,
  type Fill,
  type OrderIntent,
  type UsableQuote,
} from '@acx/engine'
import type { ExecutionStore } from '../../src/persistence/executionStore.js'

/** Storage shared by the stores it opens (two stores = two workers on one database). */
export interface StoreHarness {
  open(): ExecutionStore | Promise<ExecutionStore>
  /** Drops the storage; every store opened was closed before. */
  cleanup(): Promise<void>
}

export const anIntent = (
  correlationId: string,
  over: { symbol?: string; quantity?: string; strategy?: string } = {},
): OrderIntent => {
  const r = parseOrderIntent({
    side: 'BUY',
    symbol: over.symbol ?? 'AAPL',
    quantity: over.quantity ?? '100',
    urgency: 'MEDIUM',
    correlationId,
    ...(over.strategy ? { strategy: over.strategy } : {}),
  })
  if (!r.ok) throw new Error(`bad test intent: ${JSON.stringify(r.issues)}`)
  return r.value
}

const aQuote = (bid: string, ask: string): UsableQuote => {
  const q = checkQuote(
    {
      symbol: 'AAPL',
      bid: new Dec(bid),
      ask: new Dec(ask),
      bidSize: new Dec(100),
      askSize: new Dec(100),
      timestampMs: 1,
    },
    1,
    1000,
  )
  if (!q.ok) throw new Error('bad test quote')
  return q.quote
}

const aChild = (correlationId: string, slice: number, attempt: number, over: Partial<ChildOrder> = {}): ChildOrder => ({
  ...createChildOrder({
    clientOrderId: clientOrderIdFor(correlationId, slice, attempt),
    symbol: 'AAPL',
    side: 'BUY',
    type: 'limit',
    qty: new Dec('60.5'),
    limitPrice: new Dec('190.015'),
    sliceIndex: slice,
    attempt,
    createdAt: 10 + slice,
  }),
  ...over,
})

const aFill = (child: ChildOrder, id: string, qty: string, price: string, tsInit: number): Fill => ({
  fillId: fillId(id),
  clientOrderId: child.clientOrderId,
  brokerOrderId: 'b-1' as BrokerOrderId,
  qty: new Dec(qty),
  price: new Dec(price),
  tsEvent: tsInit - 1,
  tsInit,
})

/**
 * The `ExecutionStore` contract: every implementation must pass it unchanged. `setup` is called once
 * per test and gives fresh, empty storage.
 */
export function storeContract(name: string, setup: () => Promise<StoreHarness>): void {
  describe(`the ${name} store contract`, () => {
    let harness: StoreHarness
    let store: ExecutionStore
    const opened: ExecutionStore[] = []
    const open = async () => {
      const s = await harness.open()
      opened.push(s)
      return s
    }
    const create = (id: string, correlationId: string, nowMs: number, over?: Parameters<typeof anIntent>[1]) =>
      store.createExecution({ id, intent: anIntent(correlationId, over), nowMs })
    const start = (id: string, atMs: number, resumed = false) =>
      store.append({
        type: 'execution_started',
        executionId: parentOrderId(id),
        atMs,
        intent: anIntent('unused'),
        strategy: 'almgren_chriss',
        resumed,
      })

    beforeEach(async () => {
      harness = await setup()
      store = await open()
    })
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close()
      await harness.cleanup()
    })

    describe('createExecution', () => {
      it('stores a new execution as queued, with decimals as strings and the intent as JSON', async () => {
        const { record, created } = await create('ex-1', 'c-1', 1000, { quantity: '100.25' })
        expect(created).toBe(true)
        const expected = {
          id: 'ex-1',
          correlationId: 'c-1',
          symbol: 'AAPL',
          side: 'BUY',
          quantity: '100.25',
          urgency: 'MEDIUM',
          strategy: null,
          status: 'queued',
          result: null,
          notBefore: null,
          resumes: 0,
          cancelRequested: false,
          leaseOwner: null,
          leaseExpiresAt: null,
          createdAt: 1000,
          updatedAt: 1000,
        }
        expect(record).toMatchObject(expected)
        expect(record.intent).toMatchObject({ correlationId: 'c-1', quantity: '100.25', symbol: 'AAPL' })
        expect(await store.getExecution('ex-1')).toEqual(record)
        expect(await store.getExecutionByCorrelationId('c-1')).toEqual(record)
      })

      it('keeps a strategy the intent asks for', async () => {
        const { record } = await create('ex-1', 'c-1', 1, { strategy: 'walk_the_book' })
        expect(record.strategy).toBe('walk_the_book')
      })

      it('returns the existing execution for a correlation id seen before and changes nothing', async () => {
        const first = await create('ex-1', 'c-1', 1)
        await store.setStatus('ex-1', 'running', 5)
        const before = await store.getExecution('ex-1')
        const again = await create('ex-2', 'c-1', 9, { symbol: 'MSFT', quantity: '7' })
        expect(first.created).toBe(true)
        expect(again.created).toBe(false)
        expect(again.record).toEqual(before)
        expect(await store.getExecution('ex-1')).toEqual(before)
        expect(await store.getExecution('ex-2')).toBeNull()
        expect(await store.listExecutions()).toHaveLength(1)
      })

      it('creates one execution when two workers race on one correlation id', async () => {
        const other = await open()
        for (let round = 0; round < 5; round++) {
          const results = await Promise.all([
            store.createExecution({ id: `a-${round}`, intent: anIntent(`race-${round}`), nowMs: round }),
            other.createExecution({ id: `b-${round}`, intent: anIntent(`race-${round}`), nowMs: round }),
          ])
          expect(results.filter((r) => r.created)).toHaveLength(1)
          expect(results[0].record.id).toBe(results[1].record.id)
        }
        expect(await store.listExecutions()).toHaveLength(5)
      })

      it('stores an execution for a closed market as scheduled, with the time it may start', async () => {
        const { record } = await store.createExecution({
          id: 'ex-1',
          intent: anIntent('c-1'),
          nowMs: 10,
          notBefore: 5_000,
        })
        expect(record).toMatchObject({ status: 'scheduled', notBefore: 5_000 })
        expect(await store.getExecution('ex-1')).toEqual(record)
        expect((await store.listExecutions({ status: 'scheduled' })).map((r) => r.id)).toEqual(['ex-1'])
      })

      it('returns null for unknown ids and correlation ids', async () => {
        expect(await store.getExecution('nope')).toBeNull()
        expect(await store.getExecutionByCorrelationId('nope')).toBeNull()
      })
    })

    describe('append', () => {
      it('marks an execution running with its strategy on execution_started', async () => {
        await create('ex-1', 'c-1', 1)
        await start('ex-1', 7)
        expect(await store.getExecution('ex-1')).toMatchObject({
          status: 'running',
          strategy: 'almgren_chriss',
          updatedAt: 7,
        })
      })

      it('upserts child orders: created, then each status change, keeping what was set at creation', async () => {
        await create('ex-1', 'c-1', 1)
        const id = parentOrderId('ex-1')
        const child = aChild('c-1', 0, 0)
        await store.append({ type: 'child_order_created', executionId: id, atMs: 10, order: child })
        expect(await store.childOrders('ex-1')).toEqual([
          {
            clientOrderId: child.clientOrderId,
            executionId: 'ex-1',
            brokerOrderId: null,
            sliceIndex: 0,
            attempt: 0,
            type: 'limit',
            side: 'BUY',
            qty: '60.5',
            limitPrice: '190.015',
            status: 'created',
            filledQty: '0',
            avgPx: '0',
            createdAt: 10,
            updatedAt: 10,
          },
        ])
        const accepted = { ...child, status: 'accepted' as const, brokerOrderId: 'b-1' as BrokerOrderId, updatedAt: 11 }
        await store.append({
          type: 'child_order_status',
          executionId: id,
          atMs: 11,
          clientOrderId: child.clientOrderId,
          from: 'created',
          to: 'accepted',
          order: accepted,
        })
        const filled = {
          ...accepted,
          status: 'filled' as const,
          filledQty: new Dec('60.5'),
          avgPx: new Dec('190.0125'),
          updatedAt: 12,
          createdAt: 99,
        }
        await store.append({
          type: 'child_order_status',
          executionId: id,
          atMs: 12,
          clientOrderId: child.clientOrderId,
          from: 'accepted',
          to: 'filled',
          order: filled,
        })
        expect(await store.childOrders('ex-1')).toEqual([
          {
            clientOrderId: child.clientOrderId,
            executionId: 'ex-1',
            brokerOrderId: 'b-1',
            sliceIndex: 0,
            attempt: 0,
            type: 'limit',
            side: 'BUY',
            qty: '60.5',
            limitPrice: '190.015',
            status: 'filled',
            filledQty: '60.5',
            avgPx: '190.0125',
            createdAt: 10,
            updatedAt: 12,
          },
        ])
      })

      it('lists child orders by creation time, slice and attempt; a market order has no limit price', async () => {
        await create('ex-1', 'c-1', 1)
        const id = parentOrderId('ex-1')
        const orders = [
          aChild('c-1', 1, 1, { createdAt: 20 }),
          aChild('c-1', 1, 0, { createdAt: 20, type: 'market', limitPrice: undefined }),
          aChild('c-1', 0, 0, { createdAt: 10 }),
        ]
        for (const order of orders)
          await store.append({ type: 'child_order_created', executionId: id, atMs: order.createdAt, order })
        const listed = await store.childOrders('ex-1')
        expect(listed.map((c) => [c.sliceIndex, c.attempt])).toEqual([
          [0, 0],
          [1, 0],
          [1, 1],
        ])
        expect(listed[1]).toMatchObject({ type: 'market', limitPrice: null })
        expect(await store.childOrders('other')).toEqual([])
      })

      it('stores each fill once: a fill id seen before is ignored', async () => {
        await create('ex-1', 'c-1', 1)
        const id = parentOrderId('ex-1')
        const child = aChild('c-1', 0, 0)
        await store.append({ type: 'child_order_created', executionId: id, atMs: 10, order: child })
        const later = aFill(child, 'f-2', '0.5', '190.02', 30)
        const first = aFill(child, 'f-1', '60', '190.0100', 20)
        await store.append({ type: 'fill', executionId: id, atMs: 30, fill: later })
        await store.append({ type: 'fill', executionId: id, atMs: 20, fill: first })
        await store.append({ type: 'fill', executionId: id, atMs: 31, fill: { ...first, qty: new Dec(1), tsInit: 31 } })
        await Promise.all(
          [1, 2, 3].map((n) => store.append({ type: 'fill', executionId: id, atMs: 40 + n, fill: later })),
        )
        expect(await store.fills('ex-1')).toEqual([
          {
            fillId: 'f-1',
            executionId: 'ex-1',
            clientOrderId: child.clientOrderId,
            brokerOrderId: 'b-1',
            qty: '60',
            price: '190.01',
            tsEvent: 19,
            tsInit: 20,
          },
          {
            fillId: 'f-2',
            executionId: 'ex-1',
            clientOrderId: child.clientOrderId,
            brokerOrderId: 'b-1',
            qty: '0.5',
            price: '190.02',
            tsEvent: 29,
            tsInit: 30,
          },
        ])
        expect(await store.fills('other')).toEqual([])
      })

      it('records the final status and the result as JSON (decimals as strings) on execution_finished', async () => {
        await create('ex-1', 'c-1', 1)
        await start('ex-1', 2)
        const result = {
          totalFilled: new Dec('60.5'),
          avgFillPrice: new Dec('190.0125'),
          fillPercentage: 60.5,
        } as unknown as ExecutionResult
        await store.append({
          type: 'execution_finished',
          executionId: parentOrderId('ex-1'),
          atMs: 9,
          status: 'partially_filled',
          result,
        })
        expect(await store.getExecution('ex-1')).toMatchObject({
          status: 'partially_filled',
          updatedAt: 9,
          result: { totalFilled: '60.5', avgFillPrice: '190.0125', fillPercentage: 60.5 },
        })
      })

      it('leaves other executions alone', async () => {
        await create('ex-1', 'c-1', 1)
        await create('ex-2', 'c-2', 2)
        await start('ex-1', 3)
        expect((await store.getExecution('ex-2'))!.status).toBe('queued')
      })
    })

    describe('runStart', () => {
      it('is null until the execution starts', async () => {
        await create('ex-1', 'c-1', 1)
        expect(await store.runStart('ex-1')).toBeNull()
        expect(await store.runStart('nope')).toBeNull()
      })

      it('gives the first start time and the first arrival quote mid, not a resumed run', async () => {
        await create('ex-1', 'c-1', 1)
        const id = parentOrderId('ex-1')
        await start('ex-1', 100)
        await store.append({ type: 'arrival_quote', executionId: id, atMs: 101, quote: aQuote('190.01', '190.04') })
        await start('ex-1', 500, true)
        await store.append({ type: 'arrival_quote', executionId: id, atMs: 501, quote: aQuote('200', '201') })
        expect(await store.runStart('ex-1')).toEqual({ startedAt: 100, arrivalMid: '190.025' })
      })

      it('gives a null mid when the first arrival had no quote, even if a later one did', async () => {
        await create('ex-1', 'c-1', 1)
        const id = parentOrderId('ex-1')
        await start('ex-1', 100)
        expect(await store.runStart('ex-1')).toEqual({ startedAt: 100, arrivalMid: null })
        await store.append({ type: 'arrival_quote', executionId: id, atMs: 101, quote: null })
        await store.append({ type: 'arrival_quote', executionId: id, atMs: 102, quote: aQuote('1', '2') })
        expect(await store.runStart('ex-1')).toEqual({ startedAt: 100, arrivalMid: null })
      })
      it('starts again from a fresh start: a run stopped before it sent anything and scheduled anew does not count', async () => {
        await create('ex-1', 'c-1', 1)
        const id = parentOrderId('ex-1')
        await start('ex-1', 100)
        await store.append({ type: 'arrival_quote', executionId: id, atMs: 101, quote: aQuote('1', '2') })
        const closed = { error: { code: 'market_closed', retryAtMs: 900 } } as unknown as ExecutionResult
        await store.reschedule(
          { type: 'execution_finished', executionId: id, atMs: 102, status: 'failed', result: closed },
          900,
        )
        expect(await store.getExecution('ex-1')).toMatchObject({
          status: 'scheduled',
          notBefore: 900,
          result: null,
          updatedAt: 102,
        })
        expect((await store.journal('ex-1')).map((e) => e.type)).toEqual([
          'execution_started',
          'arrival_quote',
          'execution_finished',
        ])
        expect(await store.orphaned(2_000, 899)).toEqual([])
        expect((await store.orphaned(2_000, 900)).map((r) => r.id)).toEqual(['ex-1'])
        await start('ex-1', 1000)
        expect(await store.runStart('ex-1')).toEqual({ startedAt: 1000, arrivalMid: null })
        await store.append({ type: 'arrival_quote', executionId: id, atMs: 1001, quote: aQuote('3', '4') })
        await start('ex-1', 2000, true)
        expect(await store.runStart('ex-1')).toEqual({ startedAt: 1000, arrivalMid: '3.5' })
      })
    })

    describe('journal', () => {
      it("reads an execution's entries oldest first, after an id and of some types", async () => {
        await create('ex-1', 'c-1', 1)
        await create('ex-2', 'c-2', 2)
        const id = parentOrderId('ex-1')
        await start('ex-1', 100)
        await start('ex-2', 100)
        await store.append({ type: 'arrival_quote', executionId: id, atMs: 101, quote: aQuote('1', '2') })
        await store.append({ type: 'arrival_quote', executionId: id, atMs: 101, quote: null })
        const all = await store.journal('ex-1')
        expect(all.map((e) => [e.type, e.atMs, e.executionId])).toEqual([
          ['execution_started', 100, 'ex-1'],
          ['arrival_quote', 101, 'ex-1'],
          ['arrival_quote', 101, 'ex-1'],
        ])
        expect(all[1]!.entry).toMatchObject({ type: 'arrival_quote', quote: { mid: '1.5' } })
        expect(new Set(all.map((e) => e.id)).size).toBe(3)
        const after = await store.journal('ex-1', { afterId: all[0]!.id })
        expect(after.map((e) => e.id)).toEqual([all[1]!.id, all[2]!.id])
        expect(await store.journal('ex-1', { afterId: all[2]!.id })).toEqual([])
        expect((await store.journal('ex-1', { types: ['execution_started'] })).map((e) => e.id)).toEqual([all[0]!.id])
        expect(await store.journal('nope')).toEqual([])
      })
    })

    describe('listExecutions and unfinished', () => {
      const seed = async () => {
        await create('ex-1', 'c-1', 100, { symbol: 'AAPL' })
        await create('ex-2', 'c-2', 200, { symbol: 'MSFT' })
        await create('ex-3', 'c-3', 300, { symbol: 'AAPL' })
        await create('ex-4', 'c-4', 300, { symbol: 'AAPL' })
        await create('ex-5', 'c-5', 400, { symbol: 'MSFT' })
        await start('ex-3', 301)
        await store.setStatus('ex-2', 'filled', 250)
        await store.setStatus('ex-4', 'failed', 350)
      }
      const ids = (records: readonly { id: string }[]) => records.map((r) => r.id)

      it('lists newest first (then by id), with a default limit of 50', async () => {
        await seed()
        expect(ids(await store.listExecutions())).toEqual(['ex-5', 'ex-4', 'ex-3', 'ex-2', 'ex-1'])
        for (let i = 0; i < 50; i++) await create(`bulk-${String(i).padStart(2, '0')}`, `bulk-${i}`, 1000 + i)
        const page = await store.listExecutions()
        expect(page).toHaveLength(50)
        expect(page[0]!.id).toBe('bulk-49')
      })

      it('filters by symbol, status, both, and creation time, and limits', async () => {
        await seed()
        expect(ids(await store.listExecutions({ symbol: 'AAPL' }))).toEqual(['ex-4', 'ex-3', 'ex-1'])
        expect(ids(await store.listExecutions({ status: 'queued' }))).toEqual(['ex-5', 'ex-1'])
        expect(ids(await store.listExecutions({ status: 'queued', symbol: 'AAPL' }))).toEqual(['ex-1'])
        expect(ids(await store.listExecutions({ sinceMs: 300 }))).toEqual(['ex-5', 'ex-4', 'ex-3'])
        expect(ids(await store.listExecutions({ sinceMs: 201, symbol: 'MSFT' }))).toEqual(['ex-5'])
        expect(ids(await store.listExecutions({ limit: 2 }))).toEqual(['ex-5', 'ex-4'])
        expect(ids(await store.listExecutions({ symbol: 'AAPL', limit: 1, sinceMs: 100 }))).toEqual(['ex-4'])
        expect(await store.listExecutions({ symbol: 'TSLA' })).toEqual([])
        expect(await store.listExecutions({ limit: 0 })).toEqual([])
      })

      it('pages newest first after a cursor (the last of the previous page), with the other filters', async () => {
        await seed()
        const page1 = await store.listExecutions({ limit: 2 })
        expect(ids(page1)).toEqual(['ex-5', 'ex-4'])
        const last = page1[1]!
        const page2 = await store.listExecutions({ limit: 2, after: { createdAt: last.createdAt, id: last.id } })
        expect(ids(page2)).toEqual(['ex-3', 'ex-2'])
        const page3 = await store.listExecutions({ limit: 2, after: { createdAt: 200, id: 'ex-2' } })
        expect(ids(page3)).toEqual(['ex-1'])
        expect(ids(await store.listExecutions({ after: { createdAt: 300, id: 'ex-4' }, symbol: 'AAPL' }))).toEqual([
          'ex-3',
          'ex-1',
        ])
        expect(ids(await store.listExecutions({ after: { createdAt: 400, id: 'ex-5' }, sinceMs: 200 }))).toEqual([
          'ex-4',
          'ex-3',
          'ex-2',
        ])
        expect(ids(await store.listExecutions({ after: { createdAt: 300, id: 'ex-4' }, status: 'queued' }))).toEqual([
          'ex-1',
        ])
      })

      it('reports queued and running executions, oldest first, as unfinished', async () => {
        await seed()
        expect(ids(await store.unfinished())).toEqual(['ex-1', 'ex-3', 'ex-5'])
        await store.setStatus('ex-5', 'cancelled', 500)
        expect(ids(await store.unfinished())).toEqual(['ex-1', 'ex-3'])
      })
    })

    describe('status changes', () => {
      it('sets a status', async () => {
        await create('ex-1', 'c-1', 1)
        await store.setStatus('ex-1', 'failed', 5)
        expect(await store.getExecution('ex-1')).toMatchObject({ status: 'failed', updatedAt: 5 })
        await store.setStatus('nope', 'failed', 5) // unknown: no-op
        expect(await store.getExecution('nope')).toBeNull()
      })

      it('records a cancel request', async () => {
        await create('ex-1', 'c-1', 1)
        await store.requestCancel('ex-1', 6)
        expect(await store.getExecution('ex-1')).toMatchObject({
          cancelRequested: true,
          updatedAt: 6,
          status: 'queued',
        })
      })

      it('counts resumes and returns the new count (0 for an unknown execution)', async () => {
        await create('ex-1', 'c-1', 1)
        expect(await store.markResumed('ex-1', 2)).toBe(1)
        expect(await store.markResumed('ex-1', 3)).toBe(2)
        expect(await store.getExecution('ex-1')).toMatchObject({ resumes: 2, updatedAt: 3 })
        expect(await store.markResumed('nope', 3)).toBe(0)
      })
    })

    describe('leases', () => {
      it('acquires a free execution, renews it for its owner and refuses it to others while it lasts', async () => {
        await create('ex-1', 'c-1', 1)
        expect(await store.acquireLease('ex-1', 'w1', 1000, 500)).toBe(true)
        expect(await store.getExecution('ex-1')).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: 1500 })
        expect(await store.acquireLease('ex-1', 'w2', 1499, 500)).toBe(false)
        expect(await store.acquireLease('ex-1', 'w1', 1200, 500)).toBe(true) // the owner again: renewed
        expect((await store.getExecution('ex-1'))!.leaseExpiresAt).toBe(1700)
        expect(await store.renewLease('ex-1', 'w1', 1600, 500)).toBe(true)
        expect((await store.getExecution('ex-1'))!.leaseExpiresAt).toBe(2100)
        expect(await store.renewLease('ex-1', 'w2', 1600, 500)).toBe(false)
        expect(await store.getExecution('ex-1')).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: 2100 })
      })

      it('lets another worker take an expired lease; the old owner can no longer renew it', async () => {
        await create('ex-1', 'c-1', 1)
        expect(await store.acquireLease('ex-1', 'w1', 1000, 500)).toBe(true)
        expect(await store.renewLease('ex-1', 'w1', 1500, 500)).toBe(false) // expired at 1500
        expect(await store.acquireLease('ex-1', 'w2', 1500, 500)).toBe(true)
        expect(await store.getExecution('ex-1')).toMatchObject({ leaseOwner: 'w2', leaseExpiresAt: 2000 })
        expect(await store.renewLease('ex-1', 'w1', 1600, 500)).toBe(false)
        expect(await store.renewLease('ex-1', 'w2', 1600, 500)).toBe(true)
      })

      it('releases only for the owner', async () => {
        await create('ex-1', 'c-1', 1)
        await store.acquireLease('ex-1', 'w1', 1000, 500)
        await store.releaseLease('ex-1', 'w2')
        expect((await store.getExecution('ex-1'))!.leaseOwner).toBe('w1')
        await store.releaseLease('ex-1', 'w1')
        expect(await store.getExecution('ex-1')).toMatchObject({ leaseOwner: null, leaseExpiresAt: null })
        expect(await store.renewLease('ex-1', 'w1', 1100, 500)).toBe(false)
        expect(await store.acquireLease('ex-1', 'w2', 1100, 500)).toBe(true)
      })

      it('refuses a lease on an unknown execution', async () => {
        expect(await store.acquireLease('nope', 'w1', 1, 1)).toBe(false)
        expect(await store.renewLease('nope', 'w1', 1, 1)).toBe(false)
        await store.releaseLease('nope', 'w1')
        expect(await store.getExecution('nope')).toBeNull()
      })

      it('gives a contended lease to exactly one of two workers', async () => {
        const other = await open()
        for (let round = 0; round < 5; round++) {
          const id = `ex-${round}`
          await create(id, `c-${round}`, round)
          const wins = await Promise.all([
            store.acquireLease(id, 'w1', 1000, 500),
            other.acquireLease(id, 'w2', 1000, 500),
          ])
          expect(wins.filter(Boolean)).toHaveLength(1)
          const holder = (await store.getExecution(id))!.leaseOwner
          expect(holder).toBe(wins[0] ? 'w1' : 'w2')
        }
      })

      it('reports unfinished executions nobody holds (none held, or expired) as orphaned, oldest first', async () => {
        await create('ex-1', 'c-1', 100)
        await create('ex-2', 'c-2', 200)
        await create('ex-3', 'c-3', 300)
        await create('ex-4', 'c-4', 400)
        await start('ex-2', 201)
        await store.setStatus('ex-4', 'filled', 401)
        await store.acquireLease('ex-1', 'w1', 1000, 500)
        await store.acquireLease('ex-2', 'w1', 1000, 100)
        const orphaned = async (nowMs: number) => (await store.orphaned(nowMs)).map((r) => r.id)
        expect(await orphaned(1050)).toEqual(['ex-3'])
        expect(await orphaned(1100)).toEqual(['ex-2', 'ex-3'])
        expect(await orphaned(1500)).toEqual(['ex-1', 'ex-2', 'ex-3'])
        await store.releaseLease('ex-1', 'w1')
        expect(await orphaned(1050)).toEqual(['ex-1', 'ex-3'])
      })

      it('reports a scheduled execution as orphaned once its time has come, not before', async () => {
        await store.createExecution({ id: 'ex-1', intent: anIntent('c-1'), nowMs: 100, notBefore: 2_000 })
        await create('ex-2', 'c-2', 200)
        await store.setStatus('ex-2', 'scheduled', 300, 3_000)
        const orphaned = async (nowMs: number) => (await store.orphaned(nowMs)).map((r) => r.id)
        expect(await orphaned(1_999)).toEqual([])
        expect(await orphaned(2_000)).toEqual(['ex-1'])
        expect(await orphaned(3_000)).toEqual(['ex-1', 'ex-2'])
        await store.acquireLease('ex-1', 'w1', 3_000, 500)
        expect(await orphaned(3_100)).toEqual(['ex-2'])
        await store.setStatus('ex-2', 'queued', 3_100)
        expect(await store.getExecution('ex-2')).toMatchObject({ status: 'queued', notBefore: null })
      })
    })

    describe('safety controls', () => {
      it('keeps the reference price the order was admitted at', async () => {
        const { record } = await store.createExecution({
          id: 'ex-1',
          intent: anIntent('c-1'),
          nowMs: 1,
          referencePrice: '190.015',
        })
        expect(record.referencePrice).toBe('190.015')
        expect((await store.getExecution('ex-1'))!.referencePrice).toBe('190.015')
        expect((await create('ex-2', 'c-2', 2)).record.referencePrice).toBeNull()
      })

      it('stores the kill switch for every store on the same storage, until it is lifted', async () => {
        expect(await store.getHalt()).toBeNull()
        await store.setHalt({ reason: 'fat finger', sinceMs: 1234 })
        const other = await open()
        expect(await other.getHalt()).toEqual({ reason: 'fat finger', sinceMs: 1234 })
        await other.setHalt(null)
        expect(await store.getHalt()).toBeNull()
      })

      it('prunes only finished executions created before the cut-off, with everything they own, oldest first', async () => {
        for (const [id, at] of [
          ['old-1', 100],
          ['old-2', 200],
          ['old-run', 150],
          ['new-1', 900],
        ] as const)
          await create(id, `c-${id}`, at)
        for (const id of ['old-1', 'old-2', 'new-1']) {
          await start(id, 300)
          const child = aChild(`c-${id}`, 0, 0)
          await store.append({ type: 'child_order_created', executionId: parentOrderId(id), atMs: 301, order: child })
          await store.append({
            type: 'fill',
            executionId: parentOrderId(id),
            atMs: 302,
            fill: aFill(child, `f-${id}`, '10', '190', 302),
          })
          await store.setStatus(id, 'filled', 303)
        }
        await start('old-run', 300)
        // finished just now although created long ago: kept until it is old by its last change too
        await create('late', 'c-late', 50)
        await store.setStatus('late', 'failed', 600)
        expect(await store.prune(500, 1)).toBe(1)
        expect(await store.getExecution('old-1')).toBeNull()
        expect(await store.childOrders('old-1')).toEqual([])
        expect(await store.fills('old-1')).toEqual([])
        expect(await store.prune(500, 10)).toBe(1)
        expect(await store.getExecution('old-2')).toBeNull()
        expect(await store.prune(500, 10)).toBe(0)
        // a running execution and a newer finished one stay, with their records
        expect((await store.getExecution('old-run'))!.status).toBe('running')
        expect((await store.getExecution('late'))!.status).toBe('failed')
        expect(await store.fills('new-1')).toHaveLength(1)
        // the pruned correlation id can be used again
        expect((await create('again', 'c-old-1', 1000)).created).toBe(true)
      })

      it('takes a write probe', async () => {
        await store.probe(42)
        await store.probe(43)
      })
    })
  })
}
