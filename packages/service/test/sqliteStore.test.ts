import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import {
  Dec,
  clientOrderIdFor,
  createChildOrder,
  fillId,
  parentOrderId,
  parseOrderIntent,
  type BrokerOrderId,
  type ExecutionResult,
  type OrderIntent,
} from '@acx/engine'
import { createSqliteStore, type ExecutionStore } from '../src/index.js'
import { MIGRATIONS } from '../src/persistence/migrations.js'
import { tempDir } from './support/testService.js'

const intent = (correlationId: string, symbol = 'AAPL'): OrderIntent => {
  const r = parseOrderIntent({ side: 'BUY', symbol, quantity: '100', urgency: 'MEDIUM', correlationId })
  if (!r.ok) throw new Error('bad intent')
  return r.value
}

describe('the SQLite store', () => {
  let tmp: ReturnType<typeof tempDir>
  let path: string
  let store: ExecutionStore
  beforeEach(() => {
    tmp = tempDir()
    path = join(tmp.dir, 'nested', 'acx.sqlite')
    store = createSqliteStore({ path })
  })
  afterEach(async () => {
    await store.close()
    tmp.cleanup()
  })

  it('creates the file, runs the migrations and uses WAL', () => {
    const db = new Database(path, { readonly: true })
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('migrates a database of the previous version in place, keeping executions, child orders and fills', async () => {
    await store.close()
    const old = join(tmp.dir, 'v3.sqlite')
    const db = new Database(old)
    for (const m of MIGRATIONS.slice(0, -1)) db.exec(m)
    db.pragma(`user_version = ${MIGRATIONS.length - 1}`)
    db.prepare(
      `INSERT INTO executions (id, correlation_id, symbol, side, quantity, urgency, status, intent_json, created_at,
       updated_at, reference_price) VALUES ('ex-1', 'c-1', 'AAPL', 'BUY', '100', 'MEDIUM', 'running', ?, 1, 2, '190.02')`,
    ).run(JSON.stringify(intent('c-1')))
    db.prepare(
      `INSERT INTO child_orders (client_order_id, execution_id, slice_index, attempt, type, side, qty, status,
       filled_qty, avg_px, created_at, updated_at) VALUES ('c-1-0-0', 'ex-1', 0, 0, 'limit', 'BUY', '60', 'filled',
       '60', '190', 3, 4)`,
    ).run()
    db.prepare(
      `INSERT INTO fills (fill_id, execution_id, client_order_id, broker_order_id, qty, price, ts_event, ts_init)
       VALUES ('f-1', 'ex-1', 'c-1-0-0', 'b-1', '60', '190', 3, 3)`,
    ).run()
    db.close()
    store = createSqliteStore({ path: old })
    expect(await store.getExecution('ex-1')).toMatchObject({
      status: 'running',
      referencePrice: '190.02',
      notBefore: null,
      createdAt: 1,
    })
    expect((await store.childOrders('ex-1')).map((c) => c.clientOrderId)).toEqual(['c-1-0-0'])
    expect((await store.fills('ex-1')).map((f) => f.fillId)).toEqual(['f-1'])
    await store.setStatus('ex-1', 'scheduled', 5, 1_000)
    expect(await store.getExecution('ex-1')).toMatchObject({ status: 'scheduled', notBefore: 1_000 })
    const check = new Database(old, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length)
    expect(check.pragma('foreign_key_check')).toEqual([])
    check.close()
  })

  it('creates an execution once per correlation id', async () => {
    const a = await store.createExecution({ id: 'ex-1', intent: intent('c-1'), nowMs: 1 })
    const b = await store.createExecution({ id: 'ex-2', intent: intent('c-1'), nowMs: 2 })
    expect(a.created).toBe(true)
    expect(b.created).toBe(false)
    expect(b.record.id).toBe('ex-1')
    expect(a.record).toMatchObject({ status: 'queued', quantity: '100', symbol: 'AAPL', correlationId: 'c-1' })
    expect(await store.getExecution('ex-2')).toBeNull()
  })

  it('projects journal entries: started, child orders, fills (once each), finished', async () => {
    await store.createExecution({ id: 'ex-1', intent: intent('c-1'), nowMs: 1 })
    const id = parentOrderId('ex-1')
    await store.append({
      type: 'execution_started',
      executionId: id,
      atMs: 2,
      intent: intent('c-1'),
      strategy: 'almgren_chriss',
      resumed: false,
    })
    const child = createChildOrder({
      clientOrderId: clientOrderIdFor('c-1', 0, 0),
      symbol: 'AAPL',
      side: 'BUY',
      type: 'limit',
      qty: new Dec(60),
      limitPrice: new Dec('190.01'),
      sliceIndex: 0,
      attempt: 0,
      createdAt: 3,
    })
    await store.append({ type: 'child_order_created', executionId: id, atMs: 3, order: child })
    const fill = {
      fillId: fillId('b-1:60'),
      clientOrderId: child.clientOrderId,
      brokerOrderId: 'b-1' as BrokerOrderId,
      qty: new Dec(60),
      price: new Dec('190.01'),
      tsEvent: 4,
      tsInit: 4,
    }
    await store.append({ type: 'fill', executionId: id, atMs: 4, fill })
    await store.append({ type: 'fill', executionId: id, atMs: 5, fill }) // a duplicate: ignored
    const filled = {
      ...child,
      status: 'filled' as const,
      filledQty: new Dec(60),
      avgPx: new Dec('190.01'),
      updatedAt: 5,
    }
    await store.append({
      type: 'child_order_status',
      executionId: id,
      atMs: 5,
      clientOrderId: child.clientOrderId,
      from: 'created',
      to: 'filled',
      order: filled,
    })
    expect((await store.getExecution('ex-1'))!.status).toBe('running')
    expect(await store.runStart('ex-1')).toEqual({ startedAt: 2, arrivalMid: null })
    expect(await store.runStart('nope')).toBeNull()
    expect(await store.fills('ex-1')).toEqual([
      {
        fillId: 'b-1:60',
        executionId: 'ex-1',
        clientOrderId: 'c-1-s0-a0',
        brokerOrderId: 'b-1',
        qty: '60',
        price: '190.01',
        tsEvent: 4,
        tsInit: 4,
      },
    ])
    expect(await store.childOrders('ex-1')).toMatchObject([
      {
        clientOrderId: 'c-1-s0-a0',
        status: 'filled',
        filledQty: '60',
        avgPx: '190.01',
        limitPrice: '190.01',
        qty: '60',
      },
    ])
    expect((await store.unfinished()).map((r) => r.id)).toEqual(['ex-1'])
    const result = { totalFilled: new Dec(60), fillPercentage: 60 } as unknown as ExecutionResult
    await store.append({ type: 'execution_finished', executionId: id, atMs: 9, status: 'partially_filled', result })
    const done = (await store.getExecution('ex-1'))!
    expect(done.status).toBe('partially_filled')
    expect(done.result).toEqual({ totalFilled: '60', fillPercentage: 60 })
    expect(await store.unfinished()).toEqual([])
  })

  it('lists newest first with symbol, status, since and limit filters', async () => {
    for (let i = 0; i < 5; i++) {
      await store.createExecution({ id: `ex-${i}`, intent: intent(`c-${i}`, i % 2 ? 'MSFT' : 'AAPL'), nowMs: 10 + i })
    }
    await store.setStatus('ex-3', 'failed', 20)
    expect((await store.listExecutions()).map((r) => r.id)).toEqual(['ex-4', 'ex-3', 'ex-2', 'ex-1', 'ex-0'])
    expect((await store.listExecutions({ symbol: 'MSFT' })).map((r) => r.id)).toEqual(['ex-3', 'ex-1'])
    expect((await store.listExecutions({ status: 'failed' })).map((r) => r.id)).toEqual(['ex-3'])
    expect((await store.listExecutions({ sinceMs: 13, limit: 1 })).map((r) => r.id)).toEqual(['ex-4'])
  })

  it('keeps everything across a reopen', async () => {
    await store.createExecution({ id: 'ex-1', intent: intent('c-1'), nowMs: 1 })
    await store.requestCancel('ex-1', 2)
    expect(await store.markResumed('ex-1', 3)).toBe(1)
    await store.close()
    store = createSqliteStore({ path })
    expect(await store.getExecution('ex-1')).toMatchObject({ cancelRequested: true, resumes: 1, status: 'queued' })
  })
})
