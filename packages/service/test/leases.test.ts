import { afterEach, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { createRealClock, createSimulatedMarket, Dec } from '@acx/engine'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from './support/testService.js'

const order = (correlationId: string) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '1000',
  urgency: 'MEDIUM',
  correlationId,
})

describe('two workers on one store', () => {
  let tmp: ReturnType<typeof tempDir>
  const running: RunningService[] = []
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop().catch(() => {})
    tmp.cleanup()
  })

  it('runs an execution on one worker only, and a stalled worker stops before its next send once another takes over', async () => {
    tmp = tempDir()
    const dbPath = join(tmp.dir, 'acx.sqlite')
    const clock = createRealClock({ scale: 100 })
    const broker = createSimulatedMarket({ clock, seed: 5, symbols: { AAPL: { price: '190', spread: '0.02' } } })
    const env = {
      ...FAST_ENV,
      ACX_DB_PATH: dbPath,
      AC_NUM_SLICES: '6',
      ACX_LEASE_SECONDS: '0.6',
      ACX_TAKEOVER_INTERVAL_SECONDS: '0.1',
    }
    const a = await startService({ ...env, ACX_WORKER_ID: 'worker-a' }, { broker, clock })
    const b = await startService({ ...env, ACX_WORKER_ID: 'worker-b' }, { broker, clock })
    running.push(a, b)

    const posted = await http(`${a.url}/v1/orders`, 'POST', order('lease-1'))
    const id = posted.json.executionId as string
    await eventually(async () =>
      (await http(`${a.url}/v1/orders/${id}`, 'GET')).json.childOrders.length >= 2 ? true : undefined,
    )
    // worker B sees it held: it takes nothing over
    expect(await b.service.manager.takeOver()).toBe(0)
    expect(b.service.manager.running).toBe(0)

    // Worker A stalls: its lease runs out as if it had stopped renewing. B takes over; A, still alive,
    // finds its lease gone before its next send and stops there.
    const db = new Database(dbPath)
    db.prepare('UPDATE executions SET lease_expires_at = 0 WHERE id = ?').run(id)
    db.close()

    const done = await eventually(async () => {
      const d = await http(`${b.url}/v1/orders/${id}`, 'GET')
      return d.json.status === 'filled' || d.json.status === 'partially_filled' || d.json.status === 'failed'
        ? d.json
        : undefined
    }, 20_000)
    expect(done.status).toBe('filled')
    expect(done.resumes).toBeGreaterThanOrEqual(1)
    const logsA = a.logs()
    // A either noticed at its next renewal or at its next send; either way it did not finish it
    expect(
      logsA.some((l) =>
        /Lease lost|lease on .* lost/.test(String(l.msg) + String((l.err as { message?: string })?.message ?? '')),
      ),
    ).toBe(true)
    // exactly once: unique client order ids, and what the broker filled is what the store booked
    const ids: string[] = done.childOrders.map((c: { clientOrderId: string }) => c.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
    const atBroker = broker.orders().filter((o) => o.clientOrderId.startsWith('lease-1'))
    expect(new Set(atBroker.map((o) => o.clientOrderId)).size).toBe(atBroker.length)
    const brokerFilled = broker
      .fills()
      .filter((f) => f.clientOrderId.startsWith('lease-1'))
      .reduce((s, f) => s.add(f.qty), new Dec(0))
    expect(brokerFilled.toString()).toBe('1000')
    expect(done.filledQuantity).toBe('1000')
  })
  it('stops an execution running on one worker when the cancel is asked of another', async () => {
    tmp = tempDir()
    const dbPath = join(tmp.dir, 'acx.sqlite')
    const clock = createRealClock({ scale: 20 })
    const broker = createSimulatedMarket({ clock, seed: 6, symbols: { AAPL: { price: '190', spread: '0.02' } } })
    const env = {
      ...FAST_ENV,
      ACX_DB_PATH: dbPath,
      ACX_SIM_TIME_SCALE: '20',
      ACX_LEASE_SECONDS: '0.6',
      ACX_TAKEOVER_INTERVAL_SECONDS: '60',
    }
    const a = await startService({ ...env, ACX_WORKER_ID: 'worker-a' }, { broker, clock })
    const b = await startService({ ...env, ACX_WORKER_ID: 'worker-b' }, { broker, clock })
    running.push(a, b)
    const id = (await http(`${a.url}/v1/orders`, 'POST', order('lease-cancel'))).json.executionId as string
    await eventually(async () =>
      (await http(`${a.url}/v1/orders/${id}`, 'GET')).json.childOrders.length >= 1 ? true : undefined,
    )
    expect((await http(`${b.url}/v1/orders/${id}/cancel`, 'POST')).status).toBe(202)
    const done = await eventually(async () => {
      const d = await http(`${b.url}/v1/orders/${id}`, 'GET')
      return ['cancelled', 'partially_filled', 'filled'].includes(d.json.status) ? d.json : undefined
    }, 10_000)
    // stopped long before its 300 s (15 s here) horizon, without its market fallback
    expect(done.status).not.toBe('filled')
    expect(done.childOrders.some((c: { type: string }) => c.type === 'market')).toBe(false)
    expect(done.childOrders.length).toBeLessThanOrEqual(2)
  })
})
