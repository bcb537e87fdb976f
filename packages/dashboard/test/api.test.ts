import { describe, expect, it } from 'vitest'
import { Api, ApiError, queryString, type TokenStore } from '../src/web/api.js'

const TOKEN = 'secret-token-0123456789'

function memoryStore(): TokenStore & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  }
}

/** A service that wants `TOKEN`, recording what each request carried. */
function fakeService() {
  const calls: Array<{ url: string; auth: string | undefined; lastEventId: string | undefined }> = []
  const fetchFn = (async (url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>
    calls.push({ url, auth: headers.authorization, lastEventId: headers['last-event-id'] })
    if (headers.authorization !== `Bearer ${TOKEN}`)
      return new Response(JSON.stringify({ error: 'SERVICE_UNAUTHORIZED', message: 'Missing or wrong bearer token' }), {
        status: 401,
      })
    if (url.startsWith('/v1/orders/nope'))
      return new Response(JSON.stringify({ error: 'SERVICE_NOT_FOUND', message: 'No such execution' }), { status: 404 })
    return new Response(JSON.stringify({ ok: url }), { status: 200 })
  }) as typeof fetch
  return { calls, fetchFn }
}

describe('Api', () => {
  it('asks for the token once on the first 401, keeps it for the session, and sends it as the bearer header only', async () => {
    const { calls, fetchFn } = fakeService()
    const store = memoryStore()
    const prompts: string[] = []
    const api = new Api(async (reason) => (prompts.push(reason), TOKEN), store, fetchFn)
    const [a, b] = await Promise.all([api.get('/v1/orders'), api.get('/v1/events/head')])
    expect(a).toEqual({ ok: '/v1/orders' })
    expect(b).toEqual({ ok: '/v1/events/head' })
    expect(prompts).toEqual(['missing'])
    expect([...store.map.values()]).toEqual([TOKEN])
    await api.stream('/v1/events', '42', new AbortController().signal)
    expect(calls.at(-1)).toEqual({ url: '/v1/events', auth: `Bearer ${TOKEN}`, lastEventId: '42' })
    expect(calls.every((c) => !c.url.includes(TOKEN))).toBe(true)
  })

  it('forgets a refused token and asks again, saying it was refused', async () => {
    const { fetchFn } = fakeService()
    const store = memoryStore()
    store.setItem('acx.apiToken', 'stale-token-0000000000')
    const prompts: string[] = []
    const api = new Api(async (reason) => (prompts.push(reason), TOKEN), store, fetchFn)
    await api.get('/v1/orders')
    expect(prompts).toEqual(['refused'])
    expect(api.token).toBe(TOKEN)
  })

  it("turns the API's error shape into an ApiError with the code and message", async () => {
    const { fetchFn } = fakeService()
    const api = new Api(async () => TOKEN, memoryStore(), fetchFn)
    const err = await api.get('/v1/orders/nope').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 404, code: 'SERVICE_NOT_FOUND', message: 'No such execution' })
  })

  it('builds query strings from the set values only', () => {
    expect(queryString({ status: 'running', symbol: '', limit: 100, cursor: undefined })).toBe(
      '?status=running&limit=100',
    )
    expect(queryString({ a: null })).toBe('')
  })
})
