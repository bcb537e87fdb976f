// The service as a child process, killed with SIGKILL mid-execution and started again, against a fake
// Alpaca that outlives it (as the real broker does). Nothing may be sent twice, overfilled or lost.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Dec } from '@acx/engine'
import { startFakeAlpaca, type FakeAlpacaServer } from '@acx/test-utils'
import { eventually, http, tempDir } from './support/testService.js'

const packageDir = join(import.meta.dirname, '..')
const runTs = join(packageDir, '../../scripts/runTs.mjs')

interface Child {
  readonly proc: ChildProcess
  readonly url: Promise<string>
  readonly output: () => string
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [runTs, 'src/main.ts'], {
    cwd: packageDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const url = new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /"address":"(http:\/\/[^"]+)"/.exec(out)
      if (m) resolve(m[1]!)
    })
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()))
    proc.on('exit', (code) => reject(new Error(`service exited (${code}) before listening:\n${out}`)))
  })
  return { proc, url, output: () => out }
}

const killHard = (child: Child) =>
  new Promise<void>((resolve) => {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve()
    child.proc.once('exit', () => resolve())
    child.proc.kill('SIGKILL')
  })

describe('a service killed with SIGKILL mid-execution', () => {
  const children: Child[] = []
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
  ] as const)('resumes after a kill %s: unique client order ids, exact fills', async (_, killPoint) => {
    tmp = tempDir()
    fake = await startFakeAlpaca({
      assets: { AAPL: { tradable: true, fractionable: false } },
      quotes: { AAPL: { bid: '189.99', ask: '190.01', bidSize: '500', askSize: '500' } },
      buyingPower: '100000000',
    })
    fake.knobs.restingFillRatio = 0.3 // part of each resting slice fills at once…
    fake.knobs.fillOnCancelRatio = 0.2 // …and more races the cancel
    const env = {
      ACX_BROKER: 'alpaca', ACX_PORT: '0', ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'), ACX_LOG_LEVEL: 'info',
      APCA_API_KEY_ID: fake.keyId, APCA_API_SECRET_KEY: fake.secretKey,
      APCA_API_BASE_URL: fake.tradingBaseUrl, APCA_DATA_BASE_URL: fake.dataBaseUrl,
      AC_TOTAL_TIME_SECONDS: '4', AC_NUM_SLICES: '4', AC_SLICE_WAIT_SECONDS: '0.5', ORDER_POLL_INTERVAL_SECONDS: '0.05',
      // the killed worker's lease must expire before the new one takes the execution over
      ACX_LEASE_SECONDS: '1.5', ACX_TAKEOVER_INTERVAL_SECONDS: '0.25',
    }
    const first = startChild(env)
    children.push(first)
    const url = await first.url
    const posted = await http(`${url}/v1/orders`, 'POST', {
      side: 'BUY', symbol: 'AAPL', quantity: '1000', urgency: 'MEDIUM', correlationId: `crash-${killPoint}`,
    })
    expect(posted.status).toBe(202)
    const id = posted.json.executionId as string
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

    const second = startChild(env)
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
    // every order the store knows is at Alpaca, and the other way round
    const stored = done.childOrders.map((c: { clientOrderId: string }) => c.clientOrderId).sort()
    expect(stored).toEqual([...atAlpaca].sort())
    // exact totals: Alpaca's fills, the store's fills, the position and the requested quantity agree
    const alpacaFilled = fake.fills.reduce((s, f) => s.add(f.qty), new Dec(0))
    const storeFilled = done.fills.reduce((s: Dec, f: { qty: string }) => s.add(f.qty), new Dec(0))
    expect(alpacaFilled.toString()).toBe('1000')
    expect(storeFilled.toString()).toBe('1000')
    expect(fake.positionQty('AAPL').toString()).toBe('1000')
    expect(done.totals.filledQuantity).toBe('1000')
    const fillIds = done.fills.map((f: { fillId: string }) => f.fillId)
    expect(new Set(fillIds).size).toBe(fillIds.length)
    // money: the store's notional equals Alpaca's, to the cent
    const notional = (fills: ReadonlyArray<{ qty: string | Dec; price: string | Dec }>) =>
      fills.reduce((s, f) => s.add(new Dec(f.qty).mul(f.price)), new Dec(0))
    expect(notional(done.fills).toFixed(2)).toBe(notional(fake.fills).toFixed(2))
  }, 60_000)
})
