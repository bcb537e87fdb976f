// Following executions: Server-Sent Events per execution and for all of them (resumed with
// Last-Event-ID), look-up by correlation id, and the list's cursor paging, on a real listening server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from './support/testService.js'
import { readEventStream, type SseBlock } from './support/eventStream.js'

const TOKEN = 'events-token-0123456789abcdef'
const auth = { authorization: `Bearer ${TOKEN}` }
const order = (correlationId: string) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '300',
  urgency: 'MEDIUM',
  correlationId,
})
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

interface Frame {
  readonly id: string
  readonly event: string
  readonly data: { readonly type: string; readonly at: string; readonly executionId: string } & Record<string, unknown>
}

/** The frames of a Server-Sent Events response with an id (comments and the retry line dropped), as parsed JSON. */
async function readEvents(
  url: string,
  headers: Record<string, string> = {},
  until?: (frames: readonly Frame[]) => boolean,
): Promise<{ status: number; frames: Frame[]; contentType: string | null }> {
  const frame = (b: SseBlock): Frame | undefined =>
    b.id === undefined ? undefined : { id: b.id, event: b.event as string, data: JSON.parse(b.data as string) }
  const r = await readEventStream(url, { ...auth, ...headers }, frame, until)
  return { status: r.status, frames: r.items, contentType: r.contentType }
}

describe('following executions', () => {
  const tmp = tempDir()
  let svc: RunningService
  const post = async (correlationId: string) =>
    (await http(`${svc.url}/v1/orders`, 'POST', order(correlationId), auth)).json.executionId as string

  beforeAll(async () => {
    svc = await startService({
      ...FAST_ENV,
      ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'),
      ACX_API_TOKEN: TOKEN,
      ACX_SIM_TIME_SCALE: '200',
      ACX_MAX_EVENT_STREAMS: '3',
    })
  })
  afterAll(async () => {
    await svc.stop()
    tmp.cleanup()
  })

  it("streams an execution's journal as it happens, ends at its finish, and resumes after Last-Event-ID", async () => {
    const id = await post('sse-1')
    const { status, frames, contentType } = await readEvents(`${svc.url}/v1/orders/${id}/events`)
    expect(status).toBe(200)
    expect(contentType).toMatch(/^text\/event-stream/)
    const types = frames.map((f) => f.event)
    expect(types.slice(0, 3)).toEqual(['execution_started', 'arrival_quote', 'execution_planned'])
    expect(types.at(-1)).toBe('execution_finished')
    for (const t of ['child_order_created', 'child_order_status', 'fill']) expect(types).toContain(t)
    // ids increase; every frame says what it is, of which execution, when
    const ids = frames.map((f) => Number(f.id))
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(new Set(ids).size).toBe(ids.length)
    for (const f of frames) expect(f.data).toMatchObject({ id: f.id, type: f.event, executionId: id })
    for (const f of frames) expect(f.data.at).toMatch(ISO_MS)
    // the entries in the API's vocabulary: decimal strings, ISO times
    const fill = frames.find((f) => f.event === 'fill')!.data.fill as Record<string, string>
    expect(fill.quantity).toMatch(/^\d+(\.\d+)?$/)
    expect(fill.price).toMatch(/^\d+(\.\d{1,4})?$/)
    expect(fill.at).toMatch(ISO_MS)
    const finished = frames.at(-1)!.data
    expect(finished).toMatchObject({ status: 'filled', result: { filledQuantity: '300' } })
    // a client that reconnects after the third event gets exactly the rest
    const rest = await readEvents(`${svc.url}/v1/orders/${id}/events`, { 'last-event-id': frames[2]!.id })
    expect(rest.frames.map((f) => f.id)).toEqual(frames.slice(3).map((f) => f.id))
  })

  it('streams every execution on /v1/events, resumable with Last-Event-ID', async () => {
    const seen = new Set<string>()
    const pending = readEvents(`${svc.url}/v1/events`, {}, (frames) => {
      for (const f of frames) if (f.event === 'execution_finished') seen.add(f.data.executionId)
      return seen.size >= 2 && [...ids].every((i) => seen.has(i))
    })
    const ids = [await post('all-1'), await post('all-2')]
    const { frames } = await pending
    expect(new Set(frames.filter((f) => ids.includes(f.data.executionId)).map((f) => f.data.executionId))).toEqual(
      new Set(ids),
    )
    const middle = frames[Math.floor(frames.length / 2)]!
    const after = frames.slice(frames.indexOf(middle) + 1)
    const resumed = await readEvents(
      `${svc.url}/v1/events`,
      { 'last-event-id': middle.id },
      (f) => f.length >= after.length,
    )
    expect(resumed.frames.slice(0, after.length).map((f) => f.id)).toEqual(after.map((f) => f.id))
  })

  it('refuses streams past ACX_MAX_EVENT_STREAMS (503), without the token (401), for an unknown execution (404) or a bad Last-Event-ID (400)', async () => {
    const open = [0, 1, 2].map(() => {
      const abort = new AbortController()
      return { abort, res: fetch(`${svc.url}/v1/events`, { headers: auth, signal: abort.signal }) }
    })
    for (const o of open) expect((await o.res).status).toBe(200)
    const over = await fetch(`${svc.url}/v1/events`, { headers: auth })
    expect(over.status).toBe(503)
    expect(over.headers.get('retry-after')).toBe('5')
    expect(await over.json()).toMatchObject({ error: 'SERVICE_STREAM_LIMIT' })
    for (const o of open) o.abort.abort()
    // the slots come back once the clients are gone
    await eventually(async () => {
      const r = await fetch(`${svc.url}/v1/events`, { headers: auth, signal: AbortSignal.timeout(500) }).catch(
        () => undefined,
      )
      return r?.status === 200 ? true : undefined
    })
    expect((await fetch(`${svc.url}/v1/events`)).status).toBe(401)
    expect((await readEvents(`${svc.url}/v1/orders/nope/events`)).status).toBe(404)
    expect((await fetch(`${svc.url}/v1/events`, { headers: { ...auth, 'last-event-id': '1;DROP' } })).status).toBe(400)
  })

  it('shows a running execution as it goes: arrival, plan, child orders with their fills, filled and shortfall so far', async () => {
    // The window between a child's first fill and the end is about a second of wall time here; a loaded
    // machine can stall past it, so a missed window is retried with a new order (a wrong view still fails).
    let running: Awaited<ReturnType<typeof http>>['json'] | undefined
    for (let attempt = 1; running === undefined && attempt <= 5; attempt++) {
      const id = await post(`progress-${attempt}`)
      const seen = await eventually(async () => {
        const d = (await http(`${svc.url}/v1/orders/${id}`, 'GET', undefined, auth)).json
        const filledChild = d.childOrders.some((c: { fills: unknown[] }) => c.fills.length > 0)
        if (d.status === 'running' && filledChild) return d
        return ['scheduled', 'queued', 'running'].includes(d.status) ? undefined : { missed: d.status }
      })
      if (!('missed' in seen)) running = seen
    }
    if (running === undefined) throw new Error('no running execution with a fill was seen in 5 orders')
    expect(running.arrivalQuote).toMatchObject({ bid: expect.any(String), ask: expect.any(String) })
    expect(running.arrivalMid).toBe(running.arrivalQuote.mid)
    expect(running.startedAt).toMatch(ISO_MS)
    expect(Date.parse(running.expectedFinishAt)).toBe(
      Date.parse(running.startedAt) + running.plan.horizonSeconds * 1000,
    )
    expect(running.plan.slices.map((s: { plannedStart: string }) => Date.parse(s.plannedStart))).toEqual(
      running.plan.slices.map((s: { startSeconds: number }) => Date.parse(running.startedAt) + s.startSeconds * 1000),
    )
    expect(running.expectedCostBps).toBe(running.plan.expectedCostBps)
    // filled so far is the sum of the child orders' fills; the shortfall is against the arrival mid, + = cost
    const fills = running.childOrders.flatMap((c: { fills: Array<{ quantity: string; price: string }> }) => c.fills)
    const qty = fills.reduce((s: number, f: { quantity: string }) => s + Number(f.quantity), 0)
    expect(Number(running.filledQuantity)).toBe(qty)
    expect(running.fillPercentage).toBeCloseTo((100 * qty) / 300, 4)
    const avg = Number(running.avgFillPrice)
    const mid = Number(running.arrivalMid)
    expect(running.shortfallBps).toBeCloseTo(((avg - mid) / mid) * 1e4, 1)
    expect(running.result).toBeNull()
  }, 30_000)

  it('finds an execution by its correlation id', async () => {
    const id = await post('by-corr-1')
    const r = await http(`${svc.url}/v1/orders/by-correlation-id/by-corr-1`, 'GET', undefined, auth)
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ executionId: id, correlationId: 'by-corr-1', quantity: '300' })
    expect(r.json.createdAt).toMatch(ISO_MS)
    expect((await http(`${svc.url}/v1/orders/by-correlation-id/nope`, 'GET', undefined, auth)).status).toBe(404)
  })

  it('pages the list newest first with a cursor, every execution once, with filled quantity and average price', async () => {
    for (let i = 0; i < 5; i++) await post(`page-${i}`)
    const all = (await http(`${svc.url}/v1/orders?limit=1000`, 'GET', undefined, auth)).json
    expect(all.nextCursor).toBeNull()
    const seen: string[] = []
    let cursor: string | null = null
    for (let pages = 0; pages < 100; pages++) {
      const q: string = cursor === null ? '' : `&cursor=${cursor}`
      const page = (await http(`${svc.url}/v1/orders?limit=2${q}`, 'GET', undefined, auth)).json
      expect(page.executions.length).toBeLessThanOrEqual(2)
      seen.push(...page.executions.map((e: { executionId: string }) => e.executionId))
      cursor = page.nextCursor
      if (cursor === null) break
    }
    expect(seen).toEqual(all.executions.map((e: { executionId: string }) => e.executionId))
    const done = await eventually(async () => {
      const list = (await http(`${svc.url}/v1/orders?limit=1000&status=filled`, 'GET', undefined, auth)).json
      return list.executions.length >= 1 ? list.executions[0] : undefined
    })
    expect(done.filledQuantity).toBe(done.quantity)
    expect(done.avgFillPrice).toMatch(/^\d+(\.\d{1,4})?$/)
    expect(typeof done.shortfallBps).toBe('number')
    const bad = await http(`${svc.url}/v1/orders?cursor=not-a-cursor`, 'GET', undefined, auth)
    expect(bad).toMatchObject({ status: 400, json: { error: 'SERVICE_INVALID_REQUEST' } })
  })
})

describe('event streams at shutdown', () => {
  it('ends open streams so that the service stops promptly', async () => {
    const tmp = tempDir()
    const svc = await startService({ ...FAST_ENV, ACX_DB_PATH: join(tmp.dir, 'acx.sqlite') })
    const res = await fetch(`${svc.url}/v1/events`)
    expect(res.status).toBe(200)
    const reading = res.text()
    await svc.stop()
    await expect(reading).resolves.toContain('retry: 2000')
    tmp.cleanup()
  })
})
