import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { Dec, type Quote } from '@acx/engine'
import { dashboardAssets } from '@acx/dashboard'
import { loadConfig } from '../../src/index.js'
import { journalHead } from '../../src/dashboard/journalHead.js'
import { createQuoteTape } from '../../src/dashboard/quoteTape.js'
import { reportView } from '../../src/dashboard/reportView.js'
import type { ReportInput } from '../../src/report/buildReport.js'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from '../support/testService.js'

const TOKEN = 'dashboard-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

describe('the dashboard on the service', () => {
  const tmp = tempDir()
  let svc: RunningService
  let off: RunningService
  beforeAll(async () => {
    svc = await startService({
      ...FAST_ENV,
      ACX_DB_PATH: join(tmp.dir, 'on.sqlite'),
      ACX_API_TOKEN: TOKEN,
      ACX_LOG_LEVEL: 'warn',
    })
    off = await startService({
      ...FAST_ENV,
      ACX_DB_PATH: join(tmp.dir, 'off.sqlite'),
      ACX_DASHBOARD: 'off',
      ACX_LOG_LEVEL: 'warn',
    })
  })
  afterAll(async () => {
    await svc.stop()
    await off.stop()
    tmp.cleanup()
  })

  it('serves the page at / without the token, under a strict Content-Security-Policy, revalidated each time', async () => {
    const res = await fetch(`${svc.url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(await res.text()).toBe(dashboardAssets.find((a) => a.name === 'index.html')!.body)
    const etag = res.headers.get('etag')!
    const again = await fetch(`${svc.url}/`, { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  it('serves the hashed script and stylesheet for good, gzipped when asked, and nothing else under /ui', async () => {
    const js = dashboardAssets.find((a) => a.name.endsWith('.js'))!
    const res = await fetch(`${svc.url}/ui/${js.name}`, { headers: { 'accept-encoding': 'gzip' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    // fetch decodes gzip itself: ask for the raw bytes through node's http
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${svc.url}/ui/${js.name}`, { headers: { 'accept-encoding': 'gzip;q=1, br;q=0' } }, (r) => {
          const chunks: Buffer[] = []
          r.on('data', (c: Buffer) => chunks.push(c))
          r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }))
        }).on('error', reject),
      )
    })
    expect(raw.encoding).toBe('gzip')
    expect(gunzipSync(raw.body).toString('utf8')).toBe(js.body)
    expect(raw.body.length).toBeLessThan(js.body.length / 2)
    expect((await http(`${svc.url}/ui/app.js`, 'GET')).json).toMatchObject({ error: 'SERVICE_ROUTE_NOT_FOUND' })
    expect((await http(`${svc.url}/ui/index.html`, 'GET')).status).toBe(404)
    // the API stays behind the token
    expect((await http(`${svc.url}/v1/report`, 'GET')).status).toBe(401)
    expect((await http(`${svc.url}/v1/events/head`, 'GET')).status).toBe(401)
  })

  it('with ACX_DASHBOARD=off serves no page but keeps the API routes; a bad value stops start-up naming it', async () => {
    expect((await http(`${off.url}/`, 'GET')).json).toMatchObject({ error: 'SERVICE_ROUTE_NOT_FOUND' })
    expect((await http(`${off.url}/v1/report`, 'GET')).status).toBe(200)
    const bad = loadConfig({ ACX_DASHBOARD: 'yes' })
    expect(bad.ok).toBe(false)
    expect(bad.ok ? [] : bad.problems.map((p) => p.variable)).toEqual(['ACX_DASHBOARD'])
    const defaults = loadConfig({})
    expect(defaults.ok && defaults.config.ACX_DASHBOARD).toBe('on')
  })

  it('gives the head of the journal, the bid/ask each child was priced from, and the report of what ran', async () => {
    expect((await http(`${svc.url}/v1/events/head`, 'GET', undefined, auth)).json).toEqual({ lastEventId: null })
    const post = await http(
      `${svc.url}/v1/orders`,
      'POST',
      { side: 'BUY', symbol: 'AAPL', quantity: '1000', urgency: 'MEDIUM', correlationId: 'dash-api-1' },
      auth,
    )
    const id = post.json.executionId as string
    const done = await eventually(async () => {
      const d = await http(`${svc.url}/v1/orders/${id}`, 'GET', undefined, auth)
      return d.json.finishedAt ? d.json : undefined
    }, 20_000)
    const journal = (await svc.service.store.journalAfter(undefined, 10_000))!
    expect((await http(`${svc.url}/v1/events/head`, 'GET', undefined, auth)).json).toEqual({
      lastEventId: journal.at(-1)!.id,
    })

    const tape = (await http(`${svc.url}/v1/orders/${id}/quotes`, 'GET', undefined, auth)).json
    expect(tape.complete).toBe(true)
    expect(tape.quotes[0]).toEqual(done.arrivalQuote)
    const limits = done.childOrders.filter((c: { limitPrice: string | null }) => c.limitPrice !== null)
    expect(limits.length).toBeGreaterThan(0)
    for (const c of limits) {
      // the quote in force when the child was sent: its limit lies inside that bid/ask (a buy between them)
      const before = tape.quotes.filter((q: { at: string }) => q.at <= c.createdAt).at(-1)
      expect(before, c.clientOrderId).toBeDefined()
      expect(new Dec(c.limitPrice).gte(before.bid) && new Dec(c.limitPrice).lte(before.ask)).toBe(true)
    }
    expect((await http(`${svc.url}/v1/orders/nope/quotes`, 'GET', undefined, auth)).status).toBe(404)

    const report = (await http(`${svc.url}/v1/report?since=1d`, 'GET', undefined, auth)).json
    expect(report.executions).toBe(1)
    expect(report.strategies).toHaveLength(1)
    const ac = report.strategies[0]
    expect(ac.strategy).toBe('almgren_chriss')
    expect(ac.criteria.find((c: { name: string }) => c.name === 'fill_rate')).toEqual({
      name: 'fill_rate',
      target: '> 95%',
      value: done.fillPercentage,
      unit: '%',
      sample: 1,
      pass: done.fillPercentage > 95,
    })
    expect(ac.shortfall.valuesBps).toEqual([done.shortfallBps])
    expect(report.comparison.pass).toBeNull()
    const bad = await http(`${svc.url}/v1/report?since=yesterday&x=1`, 'GET', undefined, auth)
    expect(bad.status).toBe(400)
    expect(bad.json.issues.map((i: { path: string }) => i.path)).toEqual(['x'])
    const badSince = await http(`${svc.url}/v1/report?since=yesterday`, 'GET', undefined, auth)
    expect(badSince.json.issues).toEqual([
      { path: 'since', message: 'expected a duration (30m, 24h, 7d) or an ISO-8601 date or time' },
    ])
  }, 30_000)
})

describe('journalHead', () => {
  it('finds the newest of increasing ids with gaps in a few look-ups; null for an empty or unordered journal', async () => {
    const ids = [3, 10, 11, 500, 501, 77_777]
    let lookups = 0
    const manager = {
      async journalAfter(after: string | undefined, limit: number) {
        lookups++
        const n = after === undefined ? 0 : Number(after)
        return ids
          .filter((i) => i > n)
          .slice(0, limit)
          .map((i) => ({ id: String(i), executionId: 'ex', type: 'fill', atMs: 0, entry: {} }))
      },
    }
    expect(await journalHead(manager)).toBe('77777')
    expect(lookups).toBeLessThan(2 * Math.log2(77_777) + 4)
    expect(await journalHead({ journalAfter: async () => [] })).toBeNull()
    expect(await journalHead({ journalAfter: async () => null })).toBeNull()
  })
})

describe('the quote tape', () => {
  const q = (symbol: string, ms: number, bid = '99.99', ask = '100.01'): Quote =>
    ({
      symbol,
      bid: new Dec(bid),
      ask: new Dec(ask),
      bidSize: new Dec(1),
      askSize: new Dec(1),
      timestampMs: ms,
    }) as Quote

  it('keeps the newest quotes per symbol and says when it cannot cover a span', () => {
    const tape = createQuoteTape({ startedAtMs: 1_000, perSymbol: 3, symbols: 2 })
    for (const ms of [1_000, 2_000, 3_000, 4_000]) tape.record(q('AAPL', ms))
    expect(tape.between('AAPL', 2_500, 5_000)).toEqual({
      quotes: [
        { bid: '99.99', ask: '100.01', timestampMs: 3_000 },
        { bid: '99.99', ask: '100.01', timestampMs: 4_000 },
      ],
      complete: true,
    })
    // 1,000 was dropped: a span from before it is not whole; nor one from before the tape started
    expect(tape.between('AAPL', 1_000, 5_000).complete).toBe(false)
    expect(tape.between('AAPL', 500, 5_000).complete).toBe(false)
    tape.record(q('MSFT', 5_000))
    tape.record(q('SPY', 6_000)) // a third symbol: AAPL, quoted least recently, goes
    expect(tape.between('AAPL', 2_500, 9_000)).toEqual({ quotes: [], complete: false })
    expect(tape.between('SPY', 5_500, 9_000).quotes).toHaveLength(1)
  })
})

describe('reportView', () => {
  const input = (
    strategy: string,
    qty: number,
    filled: number,
    seconds: number,
    shortfallBps: number,
    fallback: boolean,
  ) =>
    ({
      record: {
        symbol: 'AAPL',
        strategy,
        quantity: String(qty),
        status: 'filled',
        result: {
          executionTimeSeconds: seconds,
          implementationShortfallBps: shortfallBps,
          marketFallbackUsed: fallback,
        },
      },
      fills: filled ? [{ qty: String(filled) }] : [],
    }) as unknown as ReportInput

  it("judges the rollout guide's criteria per strategy with figures and samples, and AC against walk-the-book", () => {
    const view = reportView(
      [
        input('almgren_chriss', 100, 100, 300, 1, false),
        input('almgren_chriss', 100, 100, 400, 2, false),
        input('almgren_chriss', 100, 90, 700, 6, true),
        input('walk_the_book', 100, 100, 20, 5, false),
        input('walk_the_book', 100, 100, 30, 7, false),
      ],
      new Date('2026-11-25T12:00:00Z'),
      null,
      null,
    )
    const ac = view.strategies.find((s) => s.strategy === 'almgren_chriss')!
    expect(ac.criteria).toEqual([
      { name: 'fill_rate', target: '> 95%', value: 96.67, unit: '%', sample: 3, pass: true },
      { name: 'execution_time', target: '300–600 s (5–10 min)', value: 466.7, unit: 's', sample: 3, pass: true },
      { name: 'market_fallback', target: '< 10%', value: 33.33, unit: '%', sample: 3, pass: false },
    ])
    expect(ac.shortfall).toMatchObject({ count: 3, meanBps: 3, valuesBps: [1, 2, 6] })
    expect(ac.shortfall.quantilesBps).toEqual({ p5: 1.1, p25: 1.5, p50: 2, p75: 4, p95: 5.6 })
    const wtb = view.strategies.find((s) => s.strategy === 'walk_the_book')!
    expect(wtb.criteria[1]).toMatchObject({ value: 25, pass: false })
    expect(view.comparison).toMatchObject({ value: -3, almgrenChrissBps: 3, walkTheBookBps: 6, pass: true })
  })
})
