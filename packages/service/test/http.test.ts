import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { Dec } from '@acx/engine'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from './support/testService.js'
import { fillsOf } from './support/executionJson.js'

const TOKEN = 'test-token-0123456789abcdef'
const order = (correlationId: string, extra: Record<string, unknown> = {}) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '1000',
  urgency: 'MEDIUM',
  correlationId,
  ...extra,
})

describe('the HTTP API on a real listening server', () => {
  const tmp = tempDir()
  let svc: RunningService
  const auth = { authorization: `Bearer ${TOKEN}` }
  const finished = (id: string) =>
    eventually(async () => {
      const r = await http(`${svc.url}/v1/orders/${id}`, 'GET', undefined, auth)
      return ['filled', 'partially_filled', 'failed', 'cancelled'].includes(r.json.status) ? r.json : undefined
    })

  beforeAll(async () => {
    svc = await startService({
      ...FAST_ENV,
      ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'),
      ACX_API_TOKEN: TOKEN,
      ACX_SIM_TIME_SCALE: '1000',
    })
  })
  afterAll(async () => {
    await svc.stop()
    tmp.cleanup()
  })

  it('accepts an order (202), then returns the same execution for the same correlation id (200)', async () => {
    const first = await http(`${svc.url}/v1/orders`, 'POST', order('http-1'), auth)
    expect(first.status).toBe(202)
    expect(first.json).toMatchObject({ correlationId: 'http-1', created: true })
    const again = await http(`${svc.url}/v1/orders`, 'POST', order('http-1', { quantity: '1000.000' }), auth)
    expect(again.status).toBe(200)
    expect(again.json).toMatchObject({ executionId: first.json.executionId, created: false })
    const done = await finished(first.json.executionId)
    expect(done.status).toBe('filled')
    expect(done.strategy).toBe('almgren_chriss')
    // one execution, one set of children: the duplicate started nothing
    const all = await http(`${svc.url}/v1/orders?limit=100`, 'GET', undefined, auth)
    expect(all.json.executions.filter((e: { correlationId: string }) => e.correlationId === 'http-1')).toHaveLength(1)
    const ids = done.childOrders.map((c: { clientOrderId: string }) => c.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.every((id: string) => /^http-1-s\d+-a\d+$/.test(id))).toBe(true)
    // totals are the sum of the stored fills and agree with the engine's result
    const sum = fillsOf(done).reduce((s: Dec, f) => s.add(f.qty), new Dec(0))
    expect(sum.toString()).toBe('1000')
    expect(done).toMatchObject({ filledQuantity: '1000', fillPercentage: 100 })
    expect(done.result.filledQuantity).toBe('1000')
    expect(done.avgFillPrice).toBe(done.result.avgFillPrice)
  })

  it('rejects a bad intent with 400 listing each problem, and stores nothing', async () => {
    const bad = await http(
      `${svc.url}/v1/orders`,
      'POST',
      { side: 'HOLD', symbol: 'aa pl', quantity: '-3', urgency: 'SOON', correlationId: 'bad-1', color: 'red' },
      auth,
    )
    expect(bad.status).toBe(400)
    expect(bad.json.error).toBe('SERVICE_INVALID_REQUEST')
    const paths = bad.json.issues.map((i: { path: string }) => i.path)
    for (const p of ['color', 'side', 'symbol', 'quantity', 'urgency']) expect(paths).toContain(p)
    const list = await http(`${svc.url}/v1/orders?limit=1000`, 'GET', undefined, auth)
    expect(list.json.executions.some((e: { correlationId: string }) => e.correlationId === 'bad-1')).toBe(false)
  })

  it('rejects a SELL-only close sent as a BUY, malformed JSON and an oversized body', async () => {
    const close = await http(`${svc.url}/v1/orders`, 'POST', order('close-1', { closeType: 'FULL' }), auth)
    expect(close.status).toBe(400)
    const malformed = await http(`${svc.url}/v1/orders`, 'POST', '{"side":', auth)
    expect(malformed.status).toBe(400)
    const huge = await http(`${svc.url}/v1/orders`, 'POST', order('big', { strategy: 'x'.repeat(20_000) }), auth)
    expect(huge.status).toBe(413)
  })

  it('requires the bearer token on /v1/* only', async () => {
    expect((await http(`${svc.url}/v1/orders`, 'GET')).status).toBe(401)
    expect((await http(`${svc.url}/v1/orders`, 'GET', undefined, { authorization: `Bearer ${TOKEN}x` })).status).toBe(
      401,
    )
    expect((await http(`${svc.url}/v1/orders`, 'GET', undefined, { authorization: TOKEN })).status).toBe(401)
    expect((await http(`${svc.url}/healthz`, 'GET')).status).toBe(200)
  })

  it('answers 404 for an unknown execution and 400 for a bad list query', async () => {
    expect((await http(`${svc.url}/v1/orders/nope`, 'GET', undefined, auth)).status).toBe(404)
    expect((await http(`${svc.url}/v1/orders/nope/cancel`, 'POST', undefined, auth)).status).toBe(404)
    expect((await http(`${svc.url}/v1/orders?status=done`, 'GET', undefined, auth)).status).toBe(400)
    expect((await http(`${svc.url}/v1/orders?limit=0`, 'GET', undefined, auth)).status).toBe(400)
  })

  it('previews the schedule and pre-trade estimate, spread included, without trading or a correlation id', async () => {
    const { correlationId: _unused, ...intent } = order('preview-1')
    const r = await http(`${svc.url}/v1/preview`, 'POST', intent, auth)
    expect(r.status).toBe(200)
    expect(r.json.strategy).toBe('almgren_chriss')
    expect(r.json.market).toEqual({ isOpen: true, nextOpen: null, nextClose: null })
    const { plan, quote } = r.json
    expect(plan.slices).toHaveLength(3)
    expect(plan.slices.reduce((s: Dec, x: { quantity: string }) => s.add(x.quantity), new Dec(0)).toString()).toBe(
      '1000',
    )
    expect(
      plan.slices.every((x: { plannedStart: string }) =>
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(x.plannedStart),
      ),
    ).toBe(true)
    // ε of the estimate is the quote's half spread, as the execution's
    const halfSpreadBps = new Dec(quote.ask).sub(quote.bid).div(2).div(quote.mid).mul(10_000).toNumber()
    expect(plan.halfSpreadBps).toBeCloseTo(halfSpreadBps, 2)
    expect(plan.expectedCostBps).toBeGreaterThan(plan.halfSpreadBps)
    expect(plan.expectedStdBps).toBeGreaterThan(0)
    const list = await http(`${svc.url}/v1/orders?limit=1000`, 'GET', undefined, auth)
    expect(list.json.executions.some((e: { correlationId: string }) => e.correlationId === 'preview-1')).toBe(false)
  })

  it('refuses at intake and in a preview what the venue would refuse, with the engine code, storing nothing', async () => {
    const cases = [
      [{ symbol: 'ZZZZ' }, 'asset_not_found'],
      [{ quantity: '10.5' }, 'fractional_not_allowed'],
      [{ side: 'SELL', closeType: 'FULL', quantity: '5', symbol: 'XYZ' }, 'insufficient_position'],
    ] as const
    for (const [extra, reason] of cases) {
      for (const path of ['/v1/orders', '/v1/preview']) {
        const r = await http(`${svc.url}${path}`, 'POST', order(`refused-${reason}`, extra), auth)
        expect({ path, reason, status: r.status, body: r.json }).toMatchObject({
          status: 422,
          body: { error: 'SERVICE_ORDER_REFUSED', reason },
        })
      }
      const stored = await http(`${svc.url}/v1/orders/by-correlation-id/refused-${reason}`, 'GET', undefined, auth)
      expect(stored.status).toBe(404)
    }
  })

  it('cancels a running execution: its open child is cancelled and confirmed, nothing more is sent', async () => {
    // its own service, slower (×20), so the execution is surely still running when the cancel lands
    const slow = await startService({
      ...FAST_ENV,
      ACX_DB_PATH: join(tmp.dir, 'cancel.sqlite'),
      ACX_SIM_TIME_SCALE: '20',
      RISK_MAX_ORDER_NOTIONAL: '100000000',
    })
    try {
      const r = await http(`${slow.url}/v1/orders`, 'POST', order('cancel-1', { quantity: '100000' }))
      const id = r.json.executionId
      await eventually(async () => {
        const d = await http(`${slow.url}/v1/orders/${id}`, 'GET')
        return d.json.childOrders.length > 0 ? true : undefined
      })
      const c = await http(`${slow.url}/v1/orders/${id}/cancel`, 'POST')
      expect(c.status).toBe(202)
      const done = await eventually(async () => {
        const d = await http(`${slow.url}/v1/orders/${id}`, 'GET')
        return ['cancelled', 'partially_filled'].includes(d.json.status) ? d.json : undefined
      })
      expect(done.cancelRequested).toBe(true)
      expect(done.childOrders).toHaveLength(1)
      expect(['canceled', 'filled']).toContain(done.childOrders[0].status)
      expect((await http(`${slow.url}/v1/orders/${id}/cancel`, 'POST')).status).toBe(409)
    } finally {
      await slow.stop()
    }
  })

  it('lists with filters', async () => {
    const r = await http(`${svc.url}/v1/orders?symbol=aapl&status=filled&limit=5`, 'GET', undefined, auth)
    expect(r.status).toBe(200)
    expect(r.json.executions.length).toBeGreaterThan(0)
    for (const e of r.json.executions) expect(e).toMatchObject({ symbol: 'AAPL', status: 'filled' })
  })

  it('serves Prometheus metrics derived from executions', async () => {
    const r = await http(`${svc.url}/metrics`, 'GET')
    expect(r.status).toBe(200)
    expect(r.text).toMatch(/acx_executions_total\{strategy="almgren_chriss",status="filled"\} \d+/)
    expect(r.text).toMatch(/acx_child_orders_total\{type="limit"\} \d+/)
    expect(r.text).toContain('acx_execution_fill_ratio_bucket')
    expect(r.text).toContain('acx_execution_seconds_bucket')
    expect(r.text).toMatch(/acx_intents_total\{outcome="invalid"\} [1-9]/)
    // the shortfall as everywhere (positive = cost): its sum over executions is the sum of the API's figures
    const list = await http(`${svc.url}/v1/orders?limit=1000&status=filled&symbol=AAPL`, 'GET', undefined, auth)
    const acShortfalls = list.json.executions
      .filter((e: { strategy: string }) => e.strategy === 'almgren_chriss')
      .map((e: { shortfallBps: number }) => e.shortfallBps)
    const sum = Number(/acx_execution_shortfall_bps_sum\{strategy="almgren_chriss"\} (\S+)/.exec(r.text)?.[1])
    expect(sum).toBeCloseTo(
      acShortfalls.reduce((a: number, b: number) => a + b, 0),
      0,
    )
  })

  it('logs a summary line per execution with the operators’ field names', () => {
    const summary = svc.logs().find((l) => l.correlation_id === 'http-1' && 'fill_percentage' in l)
    expect(summary).toMatchObject({
      execution_strategy: 'almgren_chriss',
      total_filled: '1000',
      fill_percentage: 100,
      symbol: 'AAPL',
    })
    for (const k of ['slices_used', 'avg_fill_price', 'execution_time_seconds']) expect(summary).toHaveProperty(k)
    expect(JSON.stringify(svc.logs())).not.toContain(TOKEN)
  })
})
