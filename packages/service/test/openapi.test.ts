// The OpenAPI description against the running service: every route fastify registers is described and
// every described operation exists; every route is driven on the simulated market through its answers,
// and each answer's status must be described and its body valid against the described schema (ajv,
// JSON Schema 2020-12, strict); the document itself is valid OpenAPI 3.1.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { join } from 'node:path'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import formatsPlugin from 'ajv-formats'
import { Validator } from '@seriousme/openapi-schema-validator'
import { createRealClock, createSimulatedMarket } from '@acx/engine'
import type { z } from 'zod'
import type { errorBody, ServiceErrorCode } from '../src/errors.js'
import { buildOpenApiDocument, openApiPath } from '../src/http/openapi.js'
import { API_ROUTES, PAGE_ROUTES } from '../src/http/routes.js'
import type { ErrorBody } from '../src/http/schemas.js'
import { eventually, FAST_ENV, startService, tempDir, type RunningService } from './support/testService.js'
import { rawRequest, type RawAnswer } from './support/rawRequest.js'
import { readEventStream, type SseBlock } from './support/eventStream.js'

const TOKEN = 'openapi-token-0123456789abcdef'
const auth = { authorization: `Bearer ${TOKEN}` }
const FINAL = ['filled', 'partially_filled', 'failed', 'cancelled']

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is walked as plain JSON
type Json = any

/** `ajv-formats` is CommonJS with a default export. */
const addFormats = ((formatsPlugin as unknown as { default?: typeof formatsPlugin }).default ??
  formatsPlugin) as unknown as (ajv: Ajv2020) => void

type Answer = Pick<RawAnswer, 'status' | 'headers' | 'text'>

const raw = rawRequest

interface SseEvent {
  readonly id: string
  readonly event: string
  readonly data: string
}

/** Reads an event stream until it ends, or until `enough` (then aborts it): the events with data. */
async function readStream(
  url: string,
  headers: Record<string, string>,
  enough?: (events: readonly SseEvent[]) => boolean,
): Promise<{ status: number; contentType: string; events: SseEvent[]; text: string }> {
  const withData = (b: SseBlock): SseEvent | undefined =>
    b.data === undefined ? undefined : { id: b.id ?? '', event: b.event ?? '', data: b.data }
  const r = await readEventStream(url, headers, withData, enough)
  return { status: r.status, contentType: r.contentType, events: r.items, text: r.text }
}

/** `$ref`s into the document's components, made absolute so that ajv finds them under `$defs`. */
const SCHEMAS_ID = 'https://acx.invalid/openapi/components.json'
function absoluteRefs(value: Json): Json {
  if (Array.isArray(value)) return value.map(absoluteRefs)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string'
        ? v.replace('#/components/schemas/', `${SCHEMAS_ID}#/$defs/`)
        : absoluteRefs(v),
    ]),
  )
}

/** Every `$ref` in the document, with where it is. */
function refsIn(value: Json, at = '#'): Array<[string, string]> {
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) =>
    k === '$ref' && typeof v === 'string' ? [[at, v] as [string, string]] : refsIn(v, `${at}/${k}`),
  )
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((node, key) => (node === undefined || node === null ? undefined : node[key]), doc)
}

/** `method path` of every route fastify registered, from its route tree. */
function registeredRoutes(tree: string): string[] {
  const out: string[] = []
  const stack: string[] = []
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S+) \(([A-Z, ]+)\)$/.exec(line)
    if (!m) continue
    const depth = m[1]!.length / 4
    stack.length = depth
    const path = (stack[depth - 1] ?? '') + m[2]!
    stack.push(path)
    for (const method of m[3]!.split(', ')) out.push(`${method} ${path}`)
  }
  return out
}

describe('the OpenAPI description', () => {
  const tmp = tempDir()
  let svc: RunningService
  const document: Json = buildOpenApiDocument()
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true })
  addFormats(ajv)
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: absoluteRefs(document.components.schemas) })
  const compiled = new Map<unknown, ValidateFunction>()
  const validator = (schema: Json): ValidateFunction => {
    let v = compiled.get(schema)
    if (!v) compiled.set(schema, (v = ajv.compile(absoluteRefs(schema))))
    return v
  }
  /** `operationId status` of every answer seen, and how many answers were checked. */
  const seen = new Set<string>()
  let checkedAnswers = 0
  let checkedEvents = 0

  /** The described operation of a method and path template. */
  const operationOf = (method: string, template: string): Json => {
    const op = document.paths[template]?.[method.toLowerCase()]
    if (!op) throw new Error(`${method} ${template} is not described`)
    return op
  }

  const expectValid = (schema: Json, value: unknown, what: string): void => {
    const validate = validator(schema)
    const ok = validate(value)
    expect(ok ? null : { what, value, errors: validate.errors }).toBeNull()
  }

  /** Checks an answer against its operation's description: status described, body valid, headers as described. */
  function check(method: string, template: string, answer: Answer, contentType = answer.headers['content-type']): Json {
    const op = operationOf(method, template)
    const described = op.responses[String(answer.status)]
    expect(described, `${method} ${template} answered ${answer.status}: ${answer.text.slice(0, 300)}`).toBeDefined()
    seen.add(`${op.operationId} ${answer.status}`)
    checkedAnswers++
    for (const [name, header] of Object.entries<Json>(described.headers ?? {})) {
      const value = answer.headers[name.toLowerCase()]
      if (value !== undefined) expectValid(header.schema, Number(value), `${name} header`)
    }
    if (method === 'HEAD') {
      expect(answer.text).toBe('')
      return undefined
    }
    const media = String(contentType ?? '')
      .split(';')[0]!
      .trim()
    const content = described.content?.[media]
    expect(content, `${method} ${template} ${answer.status} answered ${media}`).toBeDefined()
    if (media !== 'application/json') return answer.text
    const body: unknown = JSON.parse(answer.text)
    expectValid(content.schema, body, `${method} ${template} ${answer.status}`)
    return body
  }

  /** Calls an operation (`{param}` filled from `params`), checks the answer, and returns its JSON body. */
  async function call(
    method: 'GET' | 'POST' | 'HEAD',
    template: string,
    options: {
      params?: Record<string, string>
      query?: string
      body?: unknown
      contentType?: string
      headers?: Record<string, string>
      token?: boolean
      path?: string
    } = {},
  ): Promise<Answer & { json: Json }> {
    const path =
      options.path ??
      template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? '')) +
        (options.query ? `?${options.query}` : '')
    const body =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body)
    const headers = {
      ...(options.token === false ? {} : auth),
      ...(body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
      ...options.headers,
    }
    const answer = await raw(svc.url, method, path, body, headers)
    const json = check(method, template, answer)
    // every GET answers HEAD alike: the same status, no body
    if (method === 'GET' && !String(answer.headers['content-type']).startsWith('text/event-stream')) {
      const head = await raw(svc.url, 'HEAD', path, undefined, headers)
      expect(head.status, `HEAD ${path}`).toBe(answer.status)
      check('HEAD', template, head)
    }
    return { ...answer, json }
  }

  /** Reads an operation's event stream, checking the answer and every event's data against the description. */
  async function stream(
    template: string,
    path: string,
    headers: Record<string, string> = {},
    enough?: (events: readonly SseEvent[]) => boolean,
  ) {
    const r = await readStream(`${svc.url}${path}`, { ...auth, ...headers }, enough)
    // HEAD answers alike: the same status, no body (and no stream)
    const head = await raw(svc.url, 'HEAD', path, undefined, { ...auth, ...headers })
    expect(head.status, `HEAD ${path}`).toBe(r.status)
    check('HEAD', template, head)
    if (r.status !== 200) {
      check('GET', template, { status: r.status, headers: { 'content-type': r.contentType }, text: r.text })
      return { status: r.status, events: [] as Json[] }
    }
    check('GET', template, { status: 200, headers: { 'content-type': r.contentType }, text: '' })
    const item = operationOf('GET', template).responses['200'].content['text/event-stream']['x-itemSchema']
    const events = r.events.map((e) => {
      expectValid(item.properties.event, e.event, 'SSE event field')
      const data: Json = JSON.parse(e.data)
      expectValid(item.properties.data.contentSchema, data, `SSE ${e.event} data`)
      expect({ id: data.id, type: data.type }).toEqual({ id: e.id, type: e.event })
      checkedEvents++
      return data
    })
    return { status: r.status, events }
  }

  const finished = (id: string) =>
    eventually(async () => {
      const r = await call('GET', '/v1/orders/{id}', { params: { id } })
      return FINAL.includes(r.json.status) ? r.json : undefined
    }, 20_000)

  const order = (correlationId: string, extra: Record<string, unknown> = {}) => ({
    side: 'BUY',
    symbol: 'AAPL',
    quantity: '100',
    urgency: 'HIGH',
    correlationId,
    ...extra,
  })

  beforeAll(async () => {
    // a quiet market (resting limit orders rarely fill), so that an Almgren–Chriss execution runs its 3 s
    const clock = createRealClock({ scale: 100 })
    const market = createSimulatedMarket({
      clock,
      seed: 3,
      symbols: { AAPL: { price: '190', spread: '0.02' }, XYZ: { price: '12.5', spread: '0.06' } },
      tradeProbability: 0.02,
      dailyVolatility: 0,
    })
    svc = await startService(
      {
        ...FAST_ENV,
        ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'),
        ACX_API_TOKEN: TOKEN,
        ACX_BODY_LIMIT_BYTES: '2048',
        ACX_MAX_EVENT_STREAMS: '2',
        ACX_MAX_CONCURRENT_EXECUTIONS: '1',
        ACX_MAX_QUEUED_EXECUTIONS: '1',
        // XYZ's Almgren–Chriss limit prices (≈ 5 bps from its mid) break the collar; AAPL's (≈ 0.1 bps) do not
        RISK_PRICE_COLLAR_BPS: '1',
      },
      { broker: market, clock },
    )
  })
  afterAll(async () => {
    await svc.stop()
    tmp.cleanup()
  })

  it('is valid OpenAPI 3.1: schema-valid, every $ref resolves, operation ids unique, path parameters declared', async () => {
    const result = await new Validator().validate(document)
    expect(result.errors ?? null).toBeNull()
    expect(result.valid).toBe(true)
    expect(document.openapi).toBe('3.1.0')
    const unresolved = refsIn(document).filter(([, ref]) => resolvePointer(document, ref) === undefined)
    expect(unresolved).toEqual([])
    const operations = Object.entries<Json>(document.paths).flatMap(([path, item]) =>
      Object.entries<Json>(item).map(([method, op]) => ({ path, method, op })),
    )
    const ids = operations.map((o) => o.op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const { path, method, op } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path')
      expect(declared.map((p: Json) => p.name).sort(), `${method} ${path}`).toEqual(inPath.sort())
      for (const p of declared) expect(p.required).toBe(true)
      for (const requirement of op.security ?? document.security)
        for (const scheme of Object.keys(requirement)) expect(document.components.securitySchemes[scheme]).toBeDefined()
      for (const tag of op.tags) expect(document.tags.map((t: Json) => t.name)).toContain(tag)
    }
    // every component compiles under strict 2020-12 (unknown keywords or formats would throw)
    for (const id of Object.keys(document.components.schemas))
      expect(ajv.getSchema(`${SCHEMAS_ID}#/$defs/${id}`)).toBeTruthy()
  })

  it('is generated from the schemas the server validates and answers with (the compiler holds views and errorBody to them)', () => {
    // errorBody (errors.ts) has exactly the fields of the Error schema
    expectTypeOf<keyof ReturnType<typeof errorBody>>().toEqualTypeOf<keyof z.output<typeof ErrorBody>>()
    // the public routes need no token; every other one names the bearer scheme (by the document's default)
    for (const route of API_ROUTES) {
      const op = operationOf(route.method, openApiPath(route.url))
      expect(op.security, route.operationId).toEqual(route.public ? [] : undefined)
    }
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
    // a field the response schemas lack fails: they are closed
    const execution = document.components.schemas.Execution
    expect(execution.additionalProperties).toBe(false)
    expect(validator({ $ref: '#/components/schemas/Health' })({ status: 'ok', extra: 1 })).toBe(false)
  })

  it('describes every route fastify registers but the dashboard page, and nothing it does not', () => {
    // the dashboard's page (ACX_DASHBOARD=on) and its files: public, no part of the API, not described
    const pages = Object.values(PAGE_ROUTES).flatMap((r) => [`GET ${r.url}`, `HEAD ${r.url}`])
    const all = registeredRoutes(svc.service.app.printRoutes({ commonPrefix: false }))
    expect(all).toEqual(expect.arrayContaining(pages))
    const registered = all.filter((r) => !pages.includes(r))
    expect(registered.length).toBeGreaterThan(API_ROUTES.length)
    const described = Object.entries<Json>(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(registered.map((r) => r.replace(/:(\w+)/g, '{$1}')).sort()).toEqual([...described].sort())
    for (const key of described) {
      const [method, path] = key.split(' ') as [string, string]
      expect(svc.service.app.hasRoute({ method, url: path.replace(/\{(\w+)\}/g, ':$1') }), key).toBe(true)
    }
  })

  it('answers every route as described: happy paths, refusals and errors', async () => {
    // public routes, without the token
    expect((await call('GET', '/healthz', { token: false })).json).toEqual({ status: 'ok' })
    expect((await call('GET', '/readyz', { token: false })).status).toBe(200)
    expect((await call('GET', '/metrics', { token: false })).text).toContain('acx_')
    expect((await call('GET', '/openapi.json', { token: false })).json).toEqual(document)

    // every other route wants the token; every route refuses headers over 16 KB
    for (const [path, item] of Object.entries<Json>(document.paths)) {
      for (const method of Object.keys(item).map((m) => m.toUpperCase())) {
        const concrete = path.replace(/\{(\w+)\}/g, 'x')
        const body = method === 'POST' ? '{}' : undefined
        const json: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' }
        if (item[method.toLowerCase()].security === undefined) {
          const denied = await raw(svc.url, method, concrete, body, json)
          expect(denied.status, `${method} ${path}`).toBe(401)
          check(method, path, denied)
        }
        const huge = await raw(svc.url, method, concrete, body, { ...auth, ...json, 'x-filler': 'x'.repeat(20_000) })
        expect(huge.status, `${method} ${path}`).toBe(431)
        check(method, path, huge)
      }
    }

    // every POST refuses what is not JSON, what is too large, and malformed JSON
    for (const route of API_ROUTES.filter((r) => r.method === 'POST')) {
      const path = openApiPath(route.url)
      const params = { id: 'x' }
      expect((await call('POST', path, { params, body: 'side=BUY', contentType: 'text/plain' })).status).toBe(415)
      expect((await call('POST', path, { params, body: { reason: 'x'.repeat(4000) } })).status).toBe(413)
      expect((await call('POST', path, { params, body: '{"side":' })).status).toBe(400)
    }

    // submit: admitted, replayed, conflicting, invalid, over a limit, refused by the venue
    const intent = order('oa-filled')
    expectValid(operationOf('POST', '/v1/orders').requestBody.content['application/json'].schema, intent, 'intent')
    const admitted = await call('POST', '/v1/orders', { body: intent })
    expect(admitted.status).toBe(202)
    const filledId: string = admitted.json.executionId
    const filled = await finished(filledId)
    expect(filled.status).toBe('filled')
    expect((await call('POST', '/v1/orders', { body: intent })).status).toBe(200)
    const conflict = await call('POST', '/v1/orders', { body: { ...intent, quantity: '101' } })
    expect(conflict).toMatchObject({ status: 409, json: { error: 'SERVICE_IDEMPOTENCY_CONFLICT' } })
    const invalid = await call('POST', '/v1/orders', {
      body: { side: 'HOLD', symbol: 'a a', quantity: '-1', urgency: 'x', correlationId: 'oa-bad', colour: 1 },
    })
    expect(invalid.status).toBe(400)
    expect(invalid.json.issues.map((i: Json) => i.path)).toEqual(expect.arrayContaining(['colour', 'side', 'quantity']))
    const risky = await call('POST', '/v1/orders', { body: order('oa-risk', { quantity: '10000' }) })
    expect(risky).toMatchObject({
      status: 422,
      json: { error: 'SERVICE_RISK_LIMIT', limit: 'RISK_MAX_ORDER_NOTIONAL' },
    })
    const unknown = await call('POST', '/v1/orders', { body: order('oa-zzzz', { symbol: 'ZZZZ' }) })
    expect(unknown).toMatchObject({ status: 422, json: { error: 'SERVICE_ORDER_REFUSED', reason: 'asset_not_found' } })

    // an execution the risk gate stops (a child past the price collar), with its journal
    const collared = await call('POST', '/v1/orders', {
      body: order('oa-collar', { symbol: 'XYZ', urgency: 'MEDIUM' }),
    })
    const failed = await finished(collared.json.executionId)
    expect(failed.result.error).toMatchObject({ code: 'risk_limit', riskCode: 'RISK_PRICE_COLLAR_BPS' })

    // look-ups and the list
    expect((await call('GET', '/v1/orders/{id}', { params: { id: 'nope' } })).status).toBe(404)
    expect((await call('GET', '/v1/orders/{id}', { path: '/v1/orders/%E0%A4%A' })).status).toBe(400)
    const byCorrelation = await call('GET', '/v1/orders/by-correlation-id/{correlationId}', {
      params: { correlationId: 'oa-filled' },
    })
    expect(byCorrelation.json.executionId).toBe(filledId)
    expect(
      (await call('GET', '/v1/orders/by-correlation-id/{correlationId}', { params: { correlationId: 'nope' } })).status,
    ).toBe(404)
    expect(
      (
        await call('GET', '/v1/orders/by-correlation-id/{correlationId}', {
          path: '/v1/orders/by-correlation-id/%E0%A4%A',
        })
      ).status,
    ).toBe(400)
    const page = await call('GET', '/v1/orders', { query: 'limit=1&symbol=aapl' })
    expect(page.json.executions).toHaveLength(1)
    const next = await call('GET', '/v1/orders', { query: `limit=1&cursor=${page.json.nextCursor}` })
    expect(next.status).toBe(200)
    for (const query of ['limit=0', 'status=done', 'cursor=nope', 'colour=red'])
      expect((await call('GET', '/v1/orders', { query })).status, query).toBe(400)

    // what the dashboard reads: the journal's head, the quotes an execution was priced from, the report
    const head = await call('GET', '/v1/events/head')
    expect(typeof head.json.lastEventId).toBe('string')
    const tape = await call('GET', '/v1/orders/{id}/quotes', { params: { id: filledId } })
    expect(tape.json.quotes[0]).toEqual(filled.arrivalQuote)
    expect((await call('GET', '/v1/orders/{id}/quotes', { params: { id: 'nope' } })).status).toBe(404)
    expect((await call('GET', '/v1/orders/{id}/quotes', { path: '/v1/orders/%E0%A4%A/quotes' })).status).toBe(400)
    const report = await call('GET', '/v1/report', { query: 'since=1d&symbol=aapl' })
    expect(report.json).toMatchObject({ symbol: 'AAPL', executions: 1 })
    for (const query of ['since=yesterday', 'symbol=a%20a', 'colour=red'])
      expect((await call('GET', '/v1/report', { query })).status, query).toBe(400)

    const { correlationId: _none, ...previewIntent } = order('oa-preview', { urgency: 'MEDIUM' })
    const preview = await call('POST', '/v1/preview', { body: previewIntent })
    expect(preview.json.plan.strategy).toBe('almgren_chriss')
    expect((await call('POST', '/v1/preview', { body: { ...previewIntent, symbol: 'ZZZZ' } })).status).toBe(422)
    expect((await call('POST', '/v1/preview', { body: { ...previewIntent, side: 'HOLD' } })).status).toBe(400)

    // event streams: one execution to its end (and resumed), all of them, bounds and bad input
    const one = await stream('/v1/orders/{id}/events', `/v1/orders/${filledId}/events`)
    expect(one.events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'execution_started',
        'arrival_quote',
        'execution_planned',
        'child_order_created',
        'fill',
      ]),
    )
    expect(one.events.at(-1)?.type).toBe('execution_finished')
    const resumed = await stream('/v1/orders/{id}/events', `/v1/orders/${filledId}/events`, {
      'last-event-id': one.events[1].id,
    })
    expect(resumed.events.map((e) => e.id)).toEqual(one.events.slice(2).map((e) => e.id))
    const riskEvents = await stream('/v1/orders/{id}/events', `/v1/orders/${collared.json.executionId}/events`)
    expect(riskEvents.events.map((e) => e.type)).toContain('risk_check_failed')
    expect((await stream('/v1/orders/{id}/events', '/v1/orders/nope/events')).status).toBe(404)
    expect(
      (await stream('/v1/orders/{id}/events', `/v1/orders/${filledId}/events`, { 'last-event-id': '1;x' })).status,
    ).toBe(400)
    expect((await stream('/v1/events', '/v1/events', { 'last-event-id': '1;x' })).status).toBe(400)
    const ids = new Set([filledId, collared.json.executionId])
    const all = await stream('/v1/events', '/v1/events', {}, (events) => {
      const done = events.filter((e) => e.event === 'execution_finished').map((e) => JSON.parse(e.data).executionId)
      return [...ids].every((id) => done.includes(id))
    })
    expect(new Set(all.events.map((e) => e.executionId))).toEqual(ids)
    const open = [0, 1].map(() => {
      const abort = new AbortController()
      return { abort, res: fetch(`${svc.url}/v1/events`, { headers: auth, signal: abort.signal }) }
    })
    for (const o of open) expect((await o.res).status).toBe(200)
    expect((await stream('/v1/events', '/v1/events')).status).toBe(503)
    expect((await stream('/v1/orders/{id}/events', `/v1/orders/${filledId}/events`)).status).toBe(503)
    for (const o of open) o.abort.abort()
    await eventually(async () => {
      const r = await fetch(`${svc.url}/v1/events`, { headers: auth, signal: AbortSignal.timeout(500) }).catch(
        () => undefined,
      )
      return r?.status === 200 ? true : undefined
    })

    // the queue's bound, the kill switch, cancels
    const running = await call('POST', '/v1/orders', { body: order('oa-long-1', { urgency: 'MEDIUM' }) })
    await eventually(async () => {
      const r = await call('GET', '/v1/orders/{id}', { params: { id: running.json.executionId } })
      return r.json.status === 'running' ? true : undefined
    })
    const waiting = await call('POST', '/v1/orders', { body: order('oa-long-2', { urgency: 'MEDIUM' }) })
    expect(waiting.json.status).toBe('queued')
    const full = await call('POST', '/v1/orders', { body: order('oa-long-3', { urgency: 'MEDIUM' }) })
    expect(full).toMatchObject({ status: 429, json: { error: 'SERVICE_QUEUE_FULL' } })
    expect(Number(full.headers['retry-after'])).toBeGreaterThan(0)
    expect((await call('POST', '/v1/admin/halt', { body: {} })).status).toBe(400)
    expect((await call('POST', '/v1/admin/halt', { body: { reason: 'openapi test' } })).json.status).toBe('halted')
    const notReady = await call('GET', '/readyz', { token: false })
    expect(notReady).toMatchObject({ status: 503, json: { status: 'not_ready' } })
    expect(notReady.json.reasons).toContain('halted')
    expect((await call('POST', '/v1/orders', { body: order('oa-halted') })).json.error).toBe('SERVICE_HALTED')
    expect((await call('POST', '/v1/preview', { body: previewIntent })).json.error).toBe('SERVICE_HALTED')
    await finished(running.json.executionId)
    expect((await call('POST', '/v1/admin/resume')).json).toEqual({ status: 'trading' })
    const cancelled = await call('POST', '/v1/orders/{id}/cancel', { params: { id: waiting.json.executionId } })
    expect(cancelled.status).toBe(202)
    await finished(waiting.json.executionId)
    expect((await call('POST', '/v1/orders/{id}/cancel', { params: { id: waiting.json.executionId } })).status).toBe(
      409,
    )
    expect((await call('POST', '/v1/orders/{id}/cancel', { params: { id: 'nope' } })).status).toBe(404)
    expect((await call('POST', '/v1/orders/{id}/cancel', { path: '/v1/orders/%E0%A4%A/cancel' })).status).toBe(400)

    // an unknown route answers the same error body
    const lost = await raw(svc.url, 'GET', '/v1/nope', undefined, auth)
    expect(lost.status).toBe(404)
    expectValid({ $ref: '#/components/schemas/Error' }, JSON.parse(lost.text), 'route not found')

    // every described answer was seen, but those no test can provoke on a healthy service: a request that
    // takes 300 s to arrive (408), a bug (500), a shutdown (SERVICE_DRAINING), a failing store or venue,
    // an intent the engine cannot plan
    const unprovoked: ReadonlySet<ServiceErrorCode> = new Set([
      'SERVICE_REQUEST_TIMEOUT',
      'SERVICE_INTERNAL',
      'SERVICE_DRAINING',
      'SERVICE_STORE_UNAVAILABLE',
      'SERVICE_VENUE_UNAVAILABLE',
      'SERVICE_UNPROCESSABLE',
    ])
    const missing: string[] = []
    for (const item of Object.values<Json>(document.paths)) {
      for (const [method, op] of Object.entries<Json>(item)) {
        for (const status of Object.keys(op.responses)) {
          if (seen.has(`${op.operationId} ${status}`)) continue
          // a HEAD answer has no body: its codes are the GET's
          const described = (method === 'head' ? item.get : op).responses[status]
          const codes: string[] = described.content?.['application/json']?.schema?.properties?.error?.enum ?? []
          if (codes.length === 0 || !codes.every((c) => unprovoked.has(c as ServiceErrorCode)))
            missing.push(`${op.operationId} ${status}`)
        }
      }
    }
    expect(missing).toEqual([])
    // what was checked, for the record
    console.info(
      `openapi: ${seen.size} operation×status pairs seen, ${checkedAnswers} answers and ${checkedEvents} events checked`,
    )
  }, 60_000)
})
