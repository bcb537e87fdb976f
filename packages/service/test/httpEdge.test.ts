import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { FAST_ENV, http, startService, tempDir, type RunningService } from './support/testService.js'
import { rawRequest } from './support/rawRequest.js'

const TOKEN = 'edge-token-0123456789abcdef'
const auth = { authorization: `Bearer ${TOKEN}` }
const order = (correlationId: string, extra: Record<string, unknown> = {}) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '10',
  urgency: 'HIGH',
  correlationId,
  ...extra,
})

/** A request with the path sent byte for byte, a body sent as JSON. */
const raw = (base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  rawRequest(base, method, path, body, {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  })

/** Every way of spelling `path` that a router might take for it and a prefix check might not. */
function spellings(path: string): string[] {
  const out = new Set<string>()
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as string
    const hex = c.charCodeAt(0).toString(16).padStart(2, '0')
    out.add(`${path.slice(0, i)}%${hex}${path.slice(i + 1)}`)
    out.add(`${path.slice(0, i)}%${hex.toUpperCase()}${path.slice(i + 1)}`)
  }
  out.add(path.replace(/^\//, '//'))
  out.add(path.replace('/v1/', '/v1//'))
  out.add(`/.${path}`)
  out.add(path.replace('/v1/', '/v1/./'))
  out.add(`/x/..${path}`)
  out.add(`/healthz/..${path}`)
  out.add(path.replace('/v1/', '/V1/'))
  out.add(path.toUpperCase())
  out.add(`${path}/`)
  out.add(path.replace('/v1/', '/v1;x=1/'))
  out.add(`${path};jsessionid=1`)
  out.add(`${path}?token=${TOKEN}`)
  out.add(`${path}?access_token=${TOKEN}&authorization=Bearer%20${TOKEN}`)
  out.add(`${path}#frag`)
  out.add(`${path}%00`)
  out.add(`${path}%2f`)
  out.add(path.replace(/\//g, '%2F'))
  out.add(path.replace(/\//g, '\\'))
  return [...out]
}

describe('the HTTP edge, attacked', () => {
  const tmp = tempDir()
  let svc: RunningService
  let executionId: string

  beforeAll(async () => {
    svc = await startService({
      ...FAST_ENV,
      ACX_DB_PATH: join(tmp.dir, 'edge.sqlite'),
      ACX_API_TOKEN: TOKEN,
      ACX_SIM_TIME_SCALE: '1000',
      ACX_BODY_LIMIT_BYTES: '2048',
    })
    const r = await http(`${svc.url}/v1/orders`, 'POST', order('edge-seed'), auth)
    expect(r.status).toBe(202)
    executionId = r.json.executionId
  })
  afterAll(async () => {
    await svc.stop()
    tmp.cleanup()
  })

  const count = async () =>
    (await http(`${svc.url}/v1/orders?limit=1000`, 'GET', undefined, auth)).json.executions.length as number

  it('never serves a protected route without the token, however its path is spelt', async () => {
    const before = await count()
    const targets: Array<[string, string, string | undefined]> = [
      ['POST', '/v1/orders', JSON.stringify(order('edge-bypass'))],
      ['GET', '/v1/orders', undefined],
      ['GET', `/v1/orders/${executionId}`, undefined],
      ['POST', `/v1/orders/${executionId}/cancel`, undefined],
      ['POST', '/v1/preview', JSON.stringify(order('edge-preview'))],
      ['POST', '/v1/admin/halt', JSON.stringify({ reason: 'attacker' })],
      ['POST', '/v1/admin/resume', undefined],
    ]
    let tried = 0
    for (const [method, path, body] of targets) {
      for (const spelt of [path, ...spellings(path)]) {
        for (const m of [method, method === 'GET' ? 'HEAD' : method]) {
          const r = await raw(svc.url, m, spelt, m === 'HEAD' ? undefined : body)
          tried++
          expect(r.status, `${m} ${spelt}`).toBeGreaterThanOrEqual(400)
          expect([400, 401, 404], `${m} ${spelt}`).toContain(r.status)
          if (m !== 'HEAD')
            expect(r.json, `${m} ${spelt}`).toMatchObject({
              error: expect.stringMatching(/^SERVICE_/),
              message: expect.any(String),
            })
        }
      }
    }
    expect(tried).toBeGreaterThan(500)
    expect(await count()).toBe(before)
    expect(svc.service.manager.readiness().halt).toBeNull()
    // the query-string token was never accepted, and never written to a log
    expect(JSON.stringify(svc.logs())).not.toContain(TOKEN)
  })

  it('serves only the public routes without a token, and only as spelt', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await raw(svc.url, 'GET', path)).status).toBe(200)
    expect((await raw(svc.url, 'GET', '/%68ealthz')).status).toBe(200) // the router decodes it: still the public route
    expect((await raw(svc.url, 'GET', '/HEALTHZ')).status).toBe(401)
    expect((await raw(svc.url, 'GET', '/nowhere')).status).toBe(401)
  })

  it('answers every framework error in the documented shape', async () => {
    const notFound = await raw(svc.url, 'GET', '/v2/orders', undefined, auth)
    expect(notFound).toMatchObject({ status: 404, json: { error: 'SERVICE_ROUTE_NOT_FOUND' } })
    const badUrl = await raw(svc.url, 'GET', '/v1/orders/%zz', undefined, auth)
    expect(badUrl.status).toBe(400)
    expect(badUrl.json).toMatchObject({ error: 'SERVICE_INVALID_REQUEST', message: expect.any(String) })
    const bigHeader = await raw(svc.url, 'GET', '/v1/orders', undefined, { ...auth, 'x-filler': 'x'.repeat(20_000) })
    expect(bigHeader).toMatchObject({ status: 431, json: { error: 'SERVICE_HEADERS_TOO_LARGE' } })
    const tooBig = await raw(
      svc.url,
      'POST',
      '/v1/orders',
      JSON.stringify(order('big', { strategy: 'x'.repeat(4000) })),
      auth,
    )
    expect(tooBig).toMatchObject({ status: 413, json: { error: 'SERVICE_PAYLOAD_TOO_LARGE' } })
    const emptyJson = await raw(svc.url, 'POST', '/v1/orders', '', auth)
    expect(emptyJson.status).toBe(400)
    expect(emptyJson.json.error).toBe('SERVICE_INVALID_REQUEST')
  })

  it('takes only application/json: text/plain, forms and no content type are 415', async () => {
    const body = JSON.stringify(order('edge-media'))
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json']) {
      const r = await raw(svc.url, 'POST', '/v1/orders', body, { ...auth, 'content-type': type })
      expect(r, type).toMatchObject({ status: 415, json: { error: 'SERVICE_UNSUPPORTED_MEDIA_TYPE' } })
    }
    const charset = await raw(svc.url, 'POST', '/v1/preview', body, {
      ...auth,
      'content-type': 'application/json; charset=utf-8',
    })
    expect(charset.status).toBe(200)
    expect(await count()).toBe(1)
  })

  it('refuses duplicate keys and numbers a double cannot hold, with nothing stored', async () => {
    const before = await count()
    const cases = [
      '{"side":"BUY","side":"SELL","symbol":"AAPL","quantity":"10","urgency":"HIGH","correlationId":"dup-1"}',
      '{"side":"BUY","symbol":"AAPL","quantity":1e9000000000000000,"urgency":"HIGH","correlationId":"num-1"}',
      '{"side":"BUY","symbol":"AAPL","quantity":9007199254740993,"urgency":"HIGH","correlationId":"num-2"}',
      '{"side":"BUY","symbol":"AAPL","quantity":"1e9000000000000000","urgency":"HIGH","correlationId":"num-3"}',
      '{"side":"BUY","symbol":"AAPL","quantity":"1e3","urgency":"HIGH","correlationId":"num-4"}',
      '{"side":"BUY","symbol":"AAPL","quantity":"10","urgency":"HIGH","correlationId":"proto-1","__proto__":{"admin":true}}',
      '{"side":"BUY","symbol":"AAPL","quantity":"10","urgency":"HIGH","correlationId":"trail-1",}',
    ]
    for (const body of cases) {
      const r = await raw(svc.url, 'POST', '/v1/orders', body, auth)
      expect(r.status, body).toBe(400)
      expect(r.json.error, body).toBe('SERVICE_INVALID_REQUEST')
    }
    expect(await count()).toBe(before)
    // an exact JSON number is fine, and is parsed as the decimal it spells
    const exact = await raw(
      svc.url,
      'POST',
      '/v1/preview',
      '{"side":"BUY","symbol":"AAPL","quantity":250,"urgency":"MEDIUM","correlationId":"n"}',
      auth,
    )
    expect(exact.status).toBe(200)
  })

  it('matches enums and symbols on ASCII only: ſell, ſpy, hıgh are refused, never folded', async () => {
    for (const [field, value] of [
      ['side', 'ſell'],
      ['symbol', 'ſpy'],
      ['urgency', 'hıgh'],
      ['side', 'ＢＵＹ'],
    ] as const) {
      const r = await http(`${svc.url}/v1/orders`, 'POST', order(`ascii-${field}`, { [field]: value }), auth)
      expect(r.status, value).toBe(400)
      expect(r.json.issues.map((i: { path: string }) => i.path)).toEqual([field])
    }
  })

  it('answers a replay of a correlation id with 200, and a different order under it with 409 naming the fields', async () => {
    const first = await http(`${svc.url}/v1/orders`, 'POST', order('idem-1', { quantity: '12' }), auth)
    expect(first.status).toBe(202)
    const replay = await http(`${svc.url}/v1/orders`, 'POST', order('idem-1', { quantity: '12.0' }), auth)
    expect(replay).toMatchObject({ status: 200, json: { executionId: first.json.executionId, created: false } })
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ side: 'SELL' }, ['side']],
      [{ symbol: 'MSFT' }, ['symbol']],
      [{ quantity: '13' }, ['quantity']],
      [{ urgency: 'LOW' }, ['urgency']],
      [{ strategy: 'twap' }, ['strategy']],
      [{ side: 'SELL', quantity: '1', closeType: 'FULL' }, ['side', 'quantity', 'closeType']],
    ]
    for (const [change, fields] of cases) {
      const r = await http(`${svc.url}/v1/orders`, 'POST', order('idem-1', { quantity: '12', ...change }), auth)
      expect(r.status, JSON.stringify(change)).toBe(409)
      expect(r.json.error).toBe('SERVICE_IDEMPOTENCY_CONFLICT')
      expect(r.json.issues.map((i: { path: string }) => i.path)).toEqual(fields)
      for (const f of fields) expect(r.json.message).toContain(f)
    }
    const list = await http(`${svc.url}/v1/orders?limit=1000`, 'GET', undefined, auth)
    expect(list.json.executions.filter((e: { correlationId: string }) => e.correlationId === 'idem-1')).toHaveLength(1)
  })
})
