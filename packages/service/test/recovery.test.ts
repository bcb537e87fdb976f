import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createRealClock, createSimulatedMarket, Dec, type SimulatedMarket } from '@acx/engine'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from './support/testService.js'
import { fillsOf } from './support/executionJson.js'

const order = (correlationId: string) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '1000',
  urgency: 'MEDIUM',
  correlationId,
})

/** The broker outlives the service, as a real one does across a restart. */
function durableBroker(): { broker: SimulatedMarket; clock: ReturnType<typeof createRealClock> } {
  const clock = createRealClock({ scale: 100 })
  const broker = createSimulatedMarket({ clock, seed: 3, symbols: { AAPL: { price: '190', spread: '0.02' } } })
  return { broker, clock }
}

describe('stopping and restarting the service', () => {
  let tmp: ReturnType<typeof tempDir>
  let env: Record<string, string>
  const running: RunningService[] = []
  beforeEach(() => {
    tmp = tempDir()
    env = { ...FAST_ENV, ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'), AC_NUM_SLICES: '5', AC_SLICE_WAIT_SECONDS: '30' }
  })
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop().catch(() => {})
    tmp.cleanup()
  })

  async function runUntilFirstFill(svc: RunningService, correlationId: string): Promise<string> {
    const r = await http(`${svc.url}/v1/orders`, 'POST', order(correlationId))
    expect(r.status).toBe(202)
    const id = r.json.executionId as string
    await eventually(async () => {
      const d = await http(`${svc.url}/v1/orders/${id}`, 'GET')
      return fillsOf(d.json).length > 0 && d.json.childOrders.length >= 2 ? true : undefined
    })
    return id
  }

  it('brings a running execution to a safe point on stop, then resumes the remainder on the next start', async () => {
    const { broker, clock } = durableBroker()
    const a = await startService(env, { broker, clock })
    running.push(a)
    const id = await runUntilFirstFill(a, 'resume-1')
    await a.stop()
    running.splice(running.indexOf(a), 1)
    // stopped, not finished: still `running` in the store, nothing open at the broker
    const open = broker.orders().filter((o) => !['filled', 'canceled', 'expired', 'rejected'].includes(o.status))
    expect(open).toEqual([])

    const b = await startService(env, { broker, clock })
    running.push(b)
    const done = await eventually(async () => {
      const d = await http(`${b.url}/v1/orders/${id}`, 'GET')
      return d.json.status === 'running' ? undefined : d.json
    }, 20_000)
    expect(done.status).toBe('filled')
    expect(done.resumes).toBe(1)
    const ids: string[] = done.childOrders.map((c: { clientOrderId: string }) => c.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
    // the resumed run continues each slice's attempts after the highest used: no id is reused
    expect(ids.every((c) => /^resume-1-s\d+-a\d+$/.test(c))).toBe(true)
    // exact totals: the store's fills, the broker's fills and the requested quantity agree
    const stored = fillsOf(done).reduce((s: Dec, f) => s.add(f.qty), new Dec(0))
    const atBroker = broker
      .fills()
      .filter((f) => f.clientOrderId.startsWith('resume-1'))
      .reduce((s, f) => s.add(f.qty), new Dec(0))
    expect(stored.toString()).toBe('1000')
    expect(atBroker.toString()).toBe('1000')
    expect(done.filledQuantity).toBe('1000')
  })

  it('with ACX_RECOVERY=fail, finishes an interrupted execution with what it has', async () => {
    const { broker, clock } = durableBroker()
    const a = await startService(env, { broker, clock })
    running.push(a)
    const id = await runUntilFirstFill(a, 'fail-1')
    await a.stop()
    running.splice(running.indexOf(a), 1)
    const b = await startService({ ...env, ACX_RECOVERY: 'fail' }, { broker, clock })
    running.push(b)
    const d = await http(`${b.url}/v1/orders/${id}`, 'GET')
    expect(d.json.status).toBe('partially_filled')
    expect(new Dec(d.json.filledQuantity).gt(0)).toBe(true)
    expect(new Dec(d.json.filledQuantity).lt(1000)).toBe(true)
  })

  it('with ACX_RECOVERY=flatten, sends the remainder as one market order', async () => {
    const { broker, clock } = durableBroker()
    const a = await startService(env, { broker, clock })
    running.push(a)
    const id = await runUntilFirstFill(a, 'flat-1')
    await a.stop()
    running.splice(running.indexOf(a), 1)
    const b = await startService({ ...env, ACX_RECOVERY: 'flatten' }, { broker, clock })
    running.push(b)
    const done = await eventually(async () => {
      const d = await http(`${b.url}/v1/orders/${id}`, 'GET')
      return d.json.status === 'running' ? undefined : d.json
    })
    expect(done.status).toBe('filled')
    const markets = done.childOrders.filter((c: { type: string }) => c.type === 'market')
    expect(markets).toHaveLength(1)
    expect(done.childOrders.at(-1).type).toBe('market')
  })

  it('refuses new orders with 503 while draining', async () => {
    const { broker, clock } = durableBroker()
    const a = await startService(env, { broker, clock })
    running.push(a)
    await runUntilFirstFill(a, 'drain-1')
    const stopping = a.service.manager.drain(5_000)
    const r = await http(`${a.url}/v1/orders`, 'POST', order('drain-2'))
    expect(r.status).toBe(503)
    expect((await http(`${a.url}/readyz`, 'GET')).status).toBe(503)
    await stopping
  })
})
