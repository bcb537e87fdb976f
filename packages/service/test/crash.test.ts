// The service as a child process, killed with SIGKILL mid-execution and started again, against a fake
// Alpaca that outlives it (as the real broker does). Nothing may be sent twice, overfilled or lost.
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Dec } from '@acx/engine'
import { startFakeAlpaca, type FakeAlpacaServer } from '@acx/test-utils'
import { killHard, startChildService, type ChildService } from './support/childService.js'
import { eventually, http, tempDir } from './support/testService.js'
import { fillsOf } from './support/executionJson.js'

/** A fake Alpaca quoting AAPL, with part of each resting order filling at once. */
async function aliveAlpaca(): Promise<FakeAlpacaServer> {
  const fake = await startFakeAlpaca({
    assets: { AAPL: { tradable: true, fractionable: false } },
    quotes: { AAPL: { bid: '189.99', ask: '190.01', bidSize: '500', askSize: '500' } },
    buyingPower: '100000000',
  })
  fake.knobs.restingFillRatio = 0.3
  return fake
}

/** The service on that fake Alpaca with a SQLite file in `dir`: a short AC execution, plus `extra`. */
const serviceEnv = (fake: FakeAlpacaServer, dir: string, extra: Record<string, string>): Record<string, string> => ({
  ACX_BROKER: 'alpaca',
  ACX_PORT: '0',
  ACX_DB_PATH: join(dir, 'acx.sqlite'),
  ACX_LOG_LEVEL: 'info',
  APCA_API_KEY_ID: fake.keyId,
  APCA_API_SECRET_KEY: fake.secretKey,
  APCA_API_BASE_URL: fake.tradingBaseUrl,
  APCA_DATA_BASE_URL: fake.dataBaseUrl,
  AC_NUM_SLICES: '4',
  ORDER_POLL_INTERVAL_SECONDS: '0.05',
  ...extra,
})

/** Posts a 1000-share AAPL MEDIUM order; returns the execution id. */
async function postOrder(url: string, correlationId: string): Promise<string> {
  const posted = await http(`${url}/v1/orders`, 'POST', {
    side: 'BUY',
    symbol: 'AAPL',
    quantity: '1000',
    urgency: 'MEDIUM',
    correlationId,
  })
  expect(posted.status).toBe(202)
  return posted.json.executionId as string
}

describe('a service killed with SIGKILL mid-execution', () => {
  const children: ChildService[] = []
  let fake: FakeAlpacaServer | undefined
  let tmp: ReturnType<typeof tempDir> | undefined
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') for (const c of children) console.error(c.output().slice(-4000))
    for (const c of children.splice(0)) await killHard(c)
    await fake?.close()
    tmp?.cleanup()
  }, 20_000)

  // Kill points: while a child order's POST is in flight (created at Alpaca, response not yet back),
  // and between slices while an order rests.
  it.each([
    ['while a submit is in flight', 'submit'],
    ['while a slice rests', 'resting'],
  ] as const)(
    'resumes after a kill %s: unique client order ids, exact fills',
    async (_, killPoint) => {
      tmp = tempDir()
      fake = await aliveAlpaca()
      fake.knobs.fillOnCancelRatio = 0.2 // more fills race the cancel
      const env = serviceEnv(fake, tmp.dir, {
        AC_TOTAL_TIME_SECONDS: '4',
        AC_SLICE_WAIT_SECONDS: '0.5',
        // the killed worker's lease must expire before the new one takes the execution over
        ACX_LEASE_SECONDS: '1.5',
        ACX_TAKEOVER_INTERVAL_SECONDS: '0.25',
        UNKNOWN_OUTCOME_TIMEOUT_SECONDS: '2',
      })
      const first = startChildService(env)
      children.push(first)
      const id = await postOrder(await first.url, `crash-${killPoint}`)
      const childPosts = () => fake!.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders').length

      if (killPoint === 'submit') {
        // the second slice's order is created at Alpaca, but its response is held back: kill then
        await eventually(async () => (childPosts() >= 1 ? true : undefined))
        fake.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'delay', ms: 10_000, process: 'before' })
        await eventually(async () => (childPosts() >= 2 ? true : undefined))
      } else {
        await eventually(async () => (childPosts() >= 2 && fake!.fills.length >= 2 ? true : undefined))
      }
      await killHard(first)
      fake.clearFaults()
      const before = fake.orders().length

      const second = startChildService(env)
      children.push(second)
      const url2 = await second.url
      const done = await eventually(async () => {
        const d = await http(`${url2}/v1/orders/${id}`, 'GET')
        return d.status === 200 && d.json.status !== 'running' && d.json.status !== 'queued' ? d.json : undefined
      }, 30_000)

      expect(done.status).toBe('filled')
      expect(done.resumes).toBe(1)
      // every child order Alpaca ever saw has its own client order id: nothing was sent twice
      const atAlpaca = fake.orders().map((o) => o.client_order_id as string)
      expect(new Set(atAlpaca).size).toBe(atAlpaca.length)
      expect(atAlpaca.length).toBeGreaterThan(before) // the resumed run did send more
      // every order Alpaca has is in the store with its broker id, and the store has no other sent order
      // (a child journaled but killed before its send is in the store only, rejected)
      type StoredChild = { clientOrderId: string; brokerOrderId: string | null; status: string }
      const sent = (done.childOrders as StoredChild[])
        .filter((c) => c.brokerOrderId !== null)
        .map((c) => c.clientOrderId)
        .sort()
      expect(sent).toEqual([...atAlpaca].sort())
      for (const c of (done.childOrders as StoredChild[]).filter((x) => x.brokerOrderId === null))
        expect(c.status).toBe('rejected')
      // exact totals: Alpaca's fills, the store's fills, the position and the requested quantity agree
      const alpacaFilled = fake.fills.reduce((s, f) => s.add(f.qty), new Dec(0))
      const storeFilled = fillsOf(done).reduce((s: Dec, f) => s.add(f.qty), new Dec(0))
      expect(alpacaFilled.toString()).toBe('1000')
      expect(storeFilled.toString()).toBe('1000')
      expect(fake.positionQty('AAPL').toString()).toBe('1000')
      expect(done.filledQuantity).toBe('1000')
      const fillIds = fillsOf(done).map((f) => f.fillId)
      expect(new Set(fillIds).size).toBe(fillIds.length)
      // money: the store's notional equals Alpaca's, to the cent
      const notional = (fills: ReadonlyArray<{ qty: string | Dec; price: string | Dec }>) =>
        fills.reduce((s, f) => s.add(new Dec(f.qty).mul(f.price)), new Dec(0))
      expect(notional(fillsOf(done)).toFixed(2)).toBe(notional(fake.fills).toFixed(2))
    },
    60_000,
  )
  it('on SIGTERM stops intake, brings the execution to a safe point, exits 0, and the next start resumes at once', async () => {
    tmp = tempDir()
    fake = await aliveAlpaca()
    const env = serviceEnv(fake, tmp.dir, {
      AC_TOTAL_TIME_SECONDS: '6',
      AC_SLICE_WAIT_SECONDS: '1',
      // long enough that only a released lease (not an expired one) explains a prompt resume
      ACX_LEASE_SECONDS: '60',
      ACX_TAKEOVER_INTERVAL_SECONDS: '60',
    })
    const first = startChildService(env)
    children.push(first)
    const id = await postOrder(await first.url, 'term-1')
    await eventually(async () => (fake!.orders().length >= 1 ? true : undefined))
    const exited = new Promise<number | null>((resolve) => first.proc.once('exit', (code) => resolve(code)))
    first.proc.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(first.output()).toContain('Shutting down')
    // nothing left open at the broker
    expect(
      fake.orders().filter((o) => !['filled', 'canceled', 'expired', 'rejected'].includes(o.status as string)),
    ).toEqual([])

    const second = startChildService(env)
    children.push(second)
    const url2 = await second.url
    const done = await eventually(async () => {
      const d = await http(`${url2}/v1/orders/${id}`, 'GET')
      return d.json.status === 'filled' ? d.json : undefined
    }, 30_000)
    expect(done.resumes).toBe(1)
    const atAlpaca = fake.orders().map((o) => o.client_order_id as string)
    expect(new Set(atAlpaca).size).toBe(atAlpaca.length)
    expect(fake.positionQty('AAPL').toString()).toBe('1000')
  }, 60_000)
})
