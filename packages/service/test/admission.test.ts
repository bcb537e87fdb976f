// What stands between an intent and the venue at intake: risk limits, the queue bound, the open-notional
// limit and the kill switch. Each refusal stores nothing and says which limit refused it.
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createRealClock, createSimulatedMarket, type SimulatedMarket } from '@acx/engine'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from './support/testService.js'

const TOKEN = 'admission-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }
const order = (correlationId: string, extra: Record<string, unknown> = {}) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '1000',
  urgency: 'MEDIUM',
  correlationId,
  ...extra,
})
const FINAL = ['filled', 'partially_filled', 'failed', 'cancelled']

describe('admission', () => {
  let tmp: ReturnType<typeof tempDir>
  const services: RunningService[] = []
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop().catch(() => {})
    tmp.cleanup()
  })

  /** A service on a quiet simulated market (children rest), at `scale` × real time. */
  async function start(
    env: Record<string, string>,
    shared?: { market: SimulatedMarket; clock: ReturnType<typeof createRealClock> },
  ) {
    const clock = shared?.clock ?? createRealClock({ scale: Number(env.ACX_SIM_TIME_SCALE ?? 100) })
    const market =
      shared?.market ??
      createSimulatedMarket({
        clock,
        seed: 9,
        symbols: { AAPL: { price: '190', spread: '0.02' }, MSFT: { price: '410', spread: '0.04' } },
        tradeProbability: 0.02,
        dailyVolatility: 0,
      })
    const svc = await startService(
      { ...FAST_ENV, ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'), ACX_API_TOKEN: TOKEN, ...env },
      { broker: market, clock },
    )
    services.push(svc)
    return { svc, market, clock }
  }
  const post = (svc: RunningService, body: unknown) => http(`${svc.url}/v1/orders`, 'POST', body, auth)
  const get = (svc: RunningService, id: string) => http(`${svc.url}/v1/orders/${id}`, 'GET', undefined, auth)
  const all = async (svc: RunningService) =>
    (await http(`${svc.url}/v1/orders?limit=1000`, 'GET', undefined, auth)).json.executions as Array<{
      correlationId: string
      status: string
    }>
  const finished = (svc: RunningService, id: string, timeoutMs = 15_000) =>
    eventually(async () => {
      const d = await get(svc, id)
      return FINAL.includes(d.json.status) ? d.json : undefined
    }, timeoutMs)

  it('refuses an intent over a risk limit with 422 naming the limit, and stores nothing', async () => {
    tmp = tempDir()
    const { svc, market } = await start({
      RISK_MAX_ORDER_QUANTITY: '500',
      RISK_MAX_ORDER_NOTIONAL: '90000',
      RISK_BLOCKED_SYMBOLS: 'MSFT',
    })
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ quantity: '501' }, 'RISK_MAX_ORDER_QUANTITY'],
      [{ quantity: '480' }, 'RISK_MAX_ORDER_NOTIONAL'], // 480 × 190 = 91,200
      [{ quantity: '1', symbol: 'msft' }, 'RISK_BLOCKED_SYMBOLS'],
    ]
    for (const [change, limit] of cases) {
      const r = await post(svc, order(`risk-${limit}`, change))
      expect(r.status, limit).toBe(422)
      expect(r.json).toMatchObject({ error: 'SERVICE_RISK_LIMIT', limit })
      expect(r.json.message).toContain(limit)
    }
    expect(await all(svc)).toEqual([])
    expect(market.orders()).toEqual([])
    const ok = await post(svc, order('risk-ok', { quantity: '470' })) // 89,300
    expect(ok.status).toBe(202)
    const metrics = (await http(`${svc.url}/metrics`, 'GET')).text
    expect(metrics).toMatch(/acx_risk_refusals_total\{check="RISK_MAX_ORDER_NOTIONAL",stage="intake"\} 1/)
  })

  it('answers 429 with Retry-After past ACX_MAX_QUEUED_EXECUTIONS, stores nothing, and reports the saturation', async () => {
    tmp = tempDir()
    const { svc } = await start({
      ACX_MAX_CONCURRENT_EXECUTIONS: '1',
      ACX_MAX_QUEUED_EXECUTIONS: '2',
      ACX_SIM_TIME_SCALE: '5',
    })
    for (const c of ['q-1', 'q-2', 'q-3']) expect((await post(svc, order(c))).status).toBe(202)
    const res = await fetch(`${svc.url}/v1/orders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(order('q-4')),
    })
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await res.json()).toMatchObject({ error: 'SERVICE_QUEUE_FULL' })
    expect((await all(svc)).map((e) => e.correlationId).sort()).toEqual(['q-1', 'q-2', 'q-3'])
    const ready = await http(`${svc.url}/readyz`, 'GET')
    expect(ready).toMatchObject({ status: 503, json: { reasons: ['queue_full'], running: 1, queued: 2 } })
    // a replay of a queued intent is still answered: it asks for nothing new
    expect((await post(svc, order('q-2'))).status).toBe(200)
  })

  it('RISK_OPEN_NOTIONAL_POLICY=reject refuses what would take the open notional past RISK_MAX_OPEN_NOTIONAL', async () => {
    tmp = tempDir()
    const { svc } = await start({
      RISK_MAX_OPEN_NOTIONAL: '300000',
      RISK_OPEN_NOTIONAL_POLICY: 'reject',
      ACX_SIM_TIME_SCALE: '5',
    })
    expect((await post(svc, order('on-1'))).status).toBe(202) // 190,000 open
    await eventually(async () => (svc.service.manager.openNotional().gt(0) ? true : undefined))
    const r = await post(svc, order('on-2'))
    expect(r).toMatchObject({ status: 422, json: { error: 'SERVICE_RISK_LIMIT', limit: 'RISK_MAX_OPEN_NOTIONAL' } })
    expect((await post(svc, order('on-3', { quantity: '500' }))).status).toBe(202) // 95,000: 285,000 open
    // on its own over the limit: refused whatever the policy
    const huge = await post(svc, order('on-4', { quantity: '1600' }))
    expect(huge).toMatchObject({ status: 422, json: { limit: 'RISK_MAX_OPEN_NOTIONAL' } })
    expect((await all(svc)).map((e) => e.correlationId).sort()).toEqual(['on-1', 'on-3'])
  })

  it('RISK_OPEN_NOTIONAL_POLICY=queue holds an intent until the open notional has room', async () => {
    tmp = tempDir()
    const { svc } = await start({ RISK_MAX_OPEN_NOTIONAL: '300000', ACX_SIM_TIME_SCALE: '200' })
    const first = (await post(svc, order('oq-1'))).json.executionId
    await eventually(async () => ((await get(svc, first)).json.status === 'running' ? true : undefined))
    const second = await post(svc, order('oq-2'))
    expect(second.status).toBe(202)
    expect((await get(svc, second.json.executionId)).json.status).toBe('queued')
    const a = await finished(svc, first)
    const b = await finished(svc, second.json.executionId)
    expect([a.status, b.status]).toEqual(['filled', 'filled'])
    // the second started only once the first had finished
    expect(Date.parse(b.result.startedAt)).toBeGreaterThanOrEqual(Date.parse(a.result.finishedAt))
  })

  it('the kill switch stops running executions at a safe point, refuses intake, survives a restart and reaches every worker', async () => {
    tmp = tempDir()
    const env = { ACX_SIM_TIME_SCALE: '20', ACX_TAKEOVER_INTERVAL_SECONDS: '0.2', ACX_LEASE_SECONDS: '1' }
    const a = await start({ ...env, ACX_WORKER_ID: 'a' })
    const b = await start({ ...env, ACX_WORKER_ID: 'b' }, { market: a.market, clock: a.clock })
    // one execution on each worker
    const onA = (await post(a.svc, order('halt-a'))).json.executionId
    await eventually(async () =>
      a.market.orders().some((o) => o.clientOrderId.startsWith('halt-a')) ? true : undefined,
    )
    const onB = (await post(b.svc, order('halt-b'))).json.executionId
    await eventually(async () =>
      a.market.orders().some((o) => o.clientOrderId.startsWith('halt-b')) ? true : undefined,
    )

    expect((await http(`${a.svc.url}/v1/admin/halt`, 'POST', { reason: 'desk 3 fat finger' })).status).toBe(401)
    expect((await http(`${a.svc.url}/v1/admin/halt`, 'POST', {}, auth)).status).toBe(400) // a reason is required
    const halted = await http(`${a.svc.url}/v1/admin/halt`, 'POST', { reason: 'desk 3 fat finger' }, auth)
    expect(halted).toMatchObject({ status: 200, json: { status: 'halted', reason: 'desk 3 fat finger' } })

    for (const [svc, id] of [
      [a.svc, onA],
      [b.svc, onB],
    ] as const) {
      const done = await finished(svc, id)
      expect(done.status).toMatch(/cancelled|partially_filled/)
      expect(done.result.error.code).toBe('halted')
    }
    // a safe point: nothing left working at the venue
    expect(a.market.orders().every((o) => ['canceled', 'filled'].includes(o.status))).toBe(true)
    const sent = a.market.orders().length
    for (const svc of [a.svc, b.svc]) {
      expect(await post(svc, order(`after-${svc.service.config.ACX_WORKER_ID}`, { urgency: 'HIGH' }))).toMatchObject({
        status: 503,
        json: { error: 'SERVICE_HALTED' },
      })
      expect((await http(`${svc.url}/readyz`, 'GET')).json.reasons).toContain('halted')
    }

    // a restart does not lift it
    await a.svc.stop()
    services.splice(services.indexOf(a.svc), 1)
    const again = await start({ ...env, ACX_WORKER_ID: 'a2' }, { market: a.market, clock: a.clock })
    expect((await http(`${again.svc.url}/readyz`, 'GET')).json).toMatchObject({
      reasons: ['halted'],
      halt: { reason: 'desk 3 fat finger' },
    })
    expect((await post(again.svc, order('after-restart', { urgency: 'HIGH' }))).status).toBe(503)
    expect(a.market.orders()).toHaveLength(sent)

    expect(await http(`${again.svc.url}/v1/admin/resume`, 'POST', undefined, auth)).toMatchObject({
      status: 200,
      json: { status: 'trading' },
    })
    const next = await post(again.svc, order('after-resume', { urgency: 'HIGH' }))
    expect(next.status).toBe(202)
    expect((await finished(again.svc, next.json.executionId)).status).toBe('filled')
    // the other worker learns of the resume too
    await eventually(async () => ((await http(`${b.svc.url}/readyz`, 'GET')).status === 200 ? true : undefined))
  }, 60_000)
})
