// The service as a child process on its built-in simulated market, stopped (SIGTERM) or killed (SIGKILL)
// mid-execution and started again. The venue's state file outlives the process, as a real venue does:
// every execution must resume against the same orders, and the venue's fills must equal the stored ones.
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Dec } from '@acx/engine'
import { killHard, startChildService, type ChildService } from './support/childService.js'
import { fillsOf, type ExecutionJson } from './support/executionJson.js'
import { eventually, http, tempDir } from './support/testService.js'

const SYMBOLS = ['AAPL', 'MSFT', 'SPY', 'TSLA', 'XYZ'] as const
const FINISHED = new Set(['filled', 'partially_filled', 'failed', 'cancelled'])

/** A MEDIUM execution runs 60 s of venue time in 4 slices; the venue and the engine run 20× faster than wall time. */
const serviceEnv = (dir: string, extra: Record<string, string> = {}): Record<string, string> => ({
  ACX_PORT: '0',
  ACX_DB_PATH: join(dir, 'acx.sqlite'),
  ACX_LOG_LEVEL: 'info', // the venue file: acx.sim-venue.sqlite
  ACX_SIM_TIME_SCALE: '20',
  AC_TOTAL_TIME_SECONDS: '60',
  AC_NUM_SLICES: '4',
  AC_SLICE_WAIT_SECONDS: '10',
  ...extra,
})

type Execution = ExecutionJson

const sum = (qtys: Iterable<string | Dec>) => [...qtys].reduce<Dec>((s, q) => s.add(q), new Dec(0))

async function post(url: string, correlationId: string, symbol: string): Promise<string> {
  const r = await http(`${url}/v1/orders`, 'POST', {
    side: 'BUY',
    symbol,
    quantity: '1000',
    urgency: 'MEDIUM',
    correlationId,
  })
  expect(r.status).toBe(202)
  return r.json.executionId as string
}

async function list(url: string): Promise<Array<{ executionId: string; status: string }>> {
  return (await http(`${url}/v1/orders?limit=1000`, 'GET')).json.executions
}

/** Child orders the service has sent so far (from its metrics). */
async function childOrdersSent(url: string): Promise<number> {
  const text = (await http(`${url}/metrics`, 'GET')).text
  return [...text.matchAll(/^acx_child_orders_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
}

/** SIGTERM, and the exit code. */
const stop = (child: ChildService): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.proc.exitCode !== null) return resolve(child.proc.exitCode)
    child.proc.once('exit', (code) => resolve(code))
    child.proc.kill('SIGTERM')
  })

/** The venue's orders and fills per client order id, read from its state file once the service has let go of it. */
function venueState(dir: string): Map<string, { id: string; status: string; filledQty: string; fills: string[] }> {
  const db = new Database(join(dir, 'acx.sim-venue.sqlite'), { readonly: true })
  try {
    const orders = db.prepare('SELECT id, client_order_id, status, filled_qty FROM orders').all() as Array<{
      id: string
      client_order_id: string
      status: string
      filled_qty: string
    }>
    const fills = db.prepare('SELECT order_id, qty FROM fills ORDER BY order_id, idx').all() as Array<{
      order_id: string
      qty: string
    }>
    const byId = new Map(
      orders.map((o) => [o.id, { id: o.id, status: o.status, filledQty: o.filled_qty, fills: [] as string[] }]),
    )
    for (const f of fills) byId.get(f.order_id)!.fills.push(f.qty)
    return new Map(orders.map((o) => [o.client_order_id, byId.get(o.id)!]))
  } finally {
    db.close()
  }
}

/**
 * Each execution's stored child orders against the venue: the same orders (client and broker ids), and
 * per client order id the same filled quantity in the venue's fills as in the store's. Returns the number
 * of child orders compared.
 */
function expectStoreMatchesVenue(executions: readonly Execution[], venue: ReturnType<typeof venueState>): number {
  const sent = executions.flatMap((e) => e.childOrders.filter((c) => c.brokerOrderId !== null))
  const all = executions.flatMap((e) => e.childOrders.map((c) => c.clientOrderId))
  expect(new Set(all).size).toBe(all.length) // no client order id used twice
  expect(sent.map((c) => c.clientOrderId).sort()).toEqual([...venue.keys()].sort())
  for (const c of sent) {
    const v = venue.get(c.clientOrderId)!
    expect(v.id).toBe(c.brokerOrderId)
    const stored = executions.flatMap((e) => fillsOf(e)).filter((f) => f.clientOrderId === c.clientOrderId)
    expect({ cid: c.clientOrderId, filled: sum(stored.map((f) => f.qty)).toString() }).toEqual({
      cid: c.clientOrderId,
      filled: sum(v.fills).toString(),
    })
    expect(sum(v.fills).toString()).toBe(new Dec(v.filledQty).toString())
    expect(new Dec(c.filledQuantity).toString()).toBe(new Dec(v.filledQty).toString()) // no fill dropped as a "duplicate"
  }
  const fillIds = executions.flatMap((e) => fillsOf(e).map((f) => f.fillId))
  expect(new Set(fillIds).size).toBe(fillIds.length)
  return sent.length
}

describe('the service on the simulated market across a restart', () => {
  const children: ChildService[] = []
  let tmp: ReturnType<typeof tempDir> | undefined
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') for (const c of children) console.error(c.output().slice(-4000))
    for (const c of children.splice(0)) await killHard(c)
    tmp?.cleanup()
  }, 20_000)

  it('on SIGTERM while slices rest, the next start resumes every execution against the same venue and fills it', async () => {
    tmp = tempDir()
    const env = serviceEnv(tmp.dir, { ACX_LEASE_SECONDS: '60', ACX_TAKEOVER_INTERVAL_SECONDS: '60' })
    const first = startChildService(env)
    children.push(first)
    const url = await first.url
    const ids = await Promise.all(SYMBOLS.map((s, i) => post(url, `term-${i}`, s)))
    // stop while the first slices rest at the venue
    await eventually(async () => ((await childOrdersSent(url)) >= ids.length ? true : undefined), 20_000)
    expect(await stop(first)).toBe(0)

    const second = startChildService(env)
    children.push(second)
    const url2 = await second.url
    const done = await eventually(async () => {
      const all = await list(url2)
      return all.every((e) => FINISHED.has(e.status)) ? all : undefined
    }, 30_000)
    expect(done.map((e) => e.status)).toEqual(ids.map(() => 'filled'))
    const executions = await Promise.all(
      ids.map(async (id) => (await http(`${url2}/v1/orders/${id}`, 'GET')).json as Execution),
    )
    for (const e of executions) {
      expect(e.resumes).toBe(1)
      expect(sum(fillsOf(e).map((f) => f.qty)).toString()).toBe('1000')
      expect(e.filledQuantity).toBe('1000')
    }
    expect(await stop(second)).toBe(0)
    const venue = venueState(tmp.dir)
    expect(expectStoreMatchesVenue(executions, venue)).toBeGreaterThan(ids.length)
    // the venue's order numbers continued across the restart: one counter, no id used twice
    const venueIds = [...venue.values()].map((o) => o.id)
    expect(new Set(venueIds).size).toBe(venueIds.length)
  }, 90_000)

  it('after SIGKILL with 100 executions in flight, every status agrees with its stored fills and the venue agrees with the store', async () => {
    tmp = tempDir()
    const env = serviceEnv(tmp.dir, {
      ACX_MAX_CONCURRENT_EXECUTIONS: '100',
      // the killed worker's leases must expire before the next start takes its executions over
      ACX_LEASE_SECONDS: '1.5',
      ACX_TAKEOVER_INTERVAL_SECONDS: '0.25',
      UNKNOWN_OUTCOME_TIMEOUT_SECONDS: '2',
    })
    const first = startChildService(env)
    children.push(first)
    const url = await first.url
    const ids: string[] = []
    for (let i = 0; i < 100; i += 10) {
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, j) => post(url, `kill-${i + j}`, SYMBOLS[(i + j) % SYMBOLS.length]!)),
        )),
      )
    }
    // kill once about one and a half child orders per execution are out: orders resting, in flight, filling
    await eventually(async () => ((await childOrdersSent(url)) >= 150 ? true : undefined), 30_000)
    await killHard(first)

    const second = startChildService(env)
    children.push(second)
    const url2 = await second.url
    await eventually(async () => {
      const all = await list(url2)
      return all.length === ids.length && all.every((e) => FINISHED.has(e.status)) ? all : undefined
    }, 60_000)
    const executions: Execution[] = []
    for (const id of ids) executions.push((await http(`${url2}/v1/orders/${id}`, 'GET')).json as Execution)
    for (const e of executions) {
      const filled = sum(fillsOf(e).map((f) => f.qty))
      expect(e.filledQuantity).toBe(filled.toString())
      // the status says what the fills say: never "filled" with fills short of the quantity
      if (e.status === 'filled') expect(filled.toString()).toBe(e.quantity)
      else expect(filled.lt(e.quantity)).toBe(true)
    }
    const statuses = executions.reduce<Record<string, number>>(
      (n, e) => ({ ...n, [e.status]: (n[e.status] ?? 0) + 1 }),
      {},
    )
    expect(statuses).toEqual({ filled: 100 })
    expect(await stop(second)).toBe(0)
    expect(expectStoreMatchesVenue(executions, venueState(tmp.dir))).toBeGreaterThan(150)
  }, 120_000)
})
