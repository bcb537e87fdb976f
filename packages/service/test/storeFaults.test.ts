// A store that stops taking writes (a full disk): the service must not crash, must not leave an open
// child order unattended, must refuse intake with 503 while it lasts, and must recover by itself.
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeSync, openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { killHard, startChildService } from './support/childService.js'
import { createRealClock, createSimulatedMarket, Dec, type SimulatedMarket } from '@acx/engine'
import type { ExecutionStore } from '../src/persistence/executionStore.js'
import { createSqliteStore } from '../src/persistence/sqliteStore.js'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from './support/testService.js'
import { fillsOf } from './support/executionJson.js'

const WRITES = new Set([
  'append',
  'createExecution',
  'setStatus',
  'requestCancel',
  'markResumed',
  'acquireLease',
  'renewLease',
  'releaseLease',
  'setHalt',
  'prune',
  'probe',
])

/** SQLite's own error for a full disk, as better-sqlite3 throws it. */
const sqliteFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })

interface FaultyStore extends ExecutionStore {
  /** While true every write throws SQLITE_FULL; reads still work (as on a full disk). */
  full: boolean
  /** Only these methods fail while `full` (default: every write). */
  only: Set<string> | null
  /** Writes refused so far. */
  refused: number
}

function faulty(inner: ExecutionStore): FaultyStore {
  const state = { full: false, only: null as Set<string> | null, refused: 0 }
  return new Proxy(inner as FaultyStore, {
    get(target, prop, receiver) {
      if (prop === 'full' || prop === 'only' || prop === 'refused') return state[prop]
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function' || !WRITES.has(String(prop))) return value
      return async (...args: unknown[]) => {
        if (state.full && (state.only === null || state.only.has(String(prop)))) {
          state.refused++
          throw sqliteFull()
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
    set(_target, prop, value) {
      if (prop === 'full' || prop === 'only' || prop === 'refused') {
        ;(state as Record<string, unknown>)[prop] = value
        return true
      }
      return false
    },
  })
}

const order = (correlationId: string, extra: Record<string, unknown> = {}) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '1000',
  urgency: 'MEDIUM',
  correlationId,
  ...extra,
})

const sum = (xs: ReadonlyArray<{ qty: Dec | string }>) => xs.reduce((s, x) => s.add(x.qty), new Dec(0))

describe('a store that stops taking writes', () => {
  let tmp: ReturnType<typeof tempDir>
  let svc: RunningService | undefined
  afterEach(async () => {
    await svc?.stop().catch(() => {})
    svc = undefined
    tmp.cleanup()
  })

  async function start(tradeProbability = 0.3): Promise<{ store: FaultyStore; market: SimulatedMarket }> {
    tmp = tempDir()
    const store = faulty(createSqliteStore({ path: join(tmp.dir, 'acx.sqlite') }))
    const clock = createRealClock({ scale: 50 })
    const market = createSimulatedMarket({
      clock,
      seed: 3,
      symbols: { AAPL: { price: '190', spread: '0.02' } },
      tradeProbability,
      dailyVolatility: tradeProbability < 0.1 ? 0 : 0.02,
    })
    svc = await startService(
      {
        ...FAST_ENV,
        ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'),
        ACX_STORE_PROBE_SECONDS: '0.1',
        ACX_TAKEOVER_INTERVAL_SECONDS: '0.2',
        ACX_LEASE_SECONDS: '2',
      },
      { store, broker: market, clock },
    )
    return { store, market }
  }

  it('refuses intake with 503 and Retry-After while it lasts, stores nothing, and reports not ready', async () => {
    const { store } = await start()
    store.full = true
    const r = await http(`${svc!.url}/v1/orders`, 'POST', order('full-1'))
    expect(r.status).toBe(503)
    expect(r.json).toMatchObject({ error: 'SERVICE_STORE_UNAVAILABLE' })
    const ready = await http(`${svc!.url}/readyz`, 'GET')
    expect(ready.status).toBe(503)
    expect(ready.json.reasons).toContain('store_unavailable')
    expect(ready.json.storeError).toMatch(/SQLITE_FULL/)
    // while down, the next attempt is refused at once (no half-stored intent either way)
    const again = await http(`${svc!.url}/v1/orders`, 'POST', order('full-2'))
    expect(again.status).toBe(503)
    expect(
      Number(
        (
          await fetch(`${svc!.url}/v1/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(order('full-3')),
          })
        ).headers.get('retry-after'),
      ),
    ).toBeGreaterThan(0)
    store.full = false
    await eventually(async () => ((await http(`${svc!.url}/readyz`, 'GET')).status === 200 ? true : undefined))
    for (const id of ['full-1', 'full-2', 'full-3']) expect(await store.getExecutionByCorrelationId(id)).toBeNull()
    // and intake works again
    expect((await http(`${svc!.url}/v1/orders`, 'POST', order('after-1', { urgency: 'HIGH' }))).status).toBe(202)
  })

  it('stops running executions at a safe point (open child cancelled and confirmed), sends nothing while down, then resumes and fills', async () => {
    const { store, market } = await start(0.02) // children rest, mostly unfilled
    const ids: string[] = []
    for (const c of ['run-1', 'run-2', 'run-3'])
      ids.push((await http(`${svc!.url}/v1/orders`, 'POST', order(c))).json.executionId)
    // every execution has a child resting at the venue
    await eventually(async () => {
      const open = market.orders().filter((o) => o.status === 'new' || o.status === 'partially_filled')
      return open.length >= 3 ? true : undefined
    })
    store.full = true
    // a safe point: every child the venue holds is final (cancelled or filled), and it stays that way
    await eventually(async () =>
      market.orders().every((o) => ['canceled', 'filled'].includes(o.status)) ? true : undefined,
    )
    // the stop cancelled what was resting (confirmed: the venue says canceled), it did not wait for fills
    expect(market.orders().some((o) => o.status === 'canceled')).toBe(true)
    const sentWhileDown = market.orders().length
    await new Promise((r) => setTimeout(r, 500)) // 25 s of execution time
    expect(market.orders()).toHaveLength(sentWhileDown)
    expect((await http(`${svc!.url}/healthz`, 'GET')).status).toBe(200) // alive
    expect((await http(`${svc!.url}/readyz`, 'GET')).status).toBe(503)
    expect(store.refused).toBeGreaterThan(0)

    store.full = false
    for (const id of ids) {
      const done = await eventually(async () => {
        const d = await http(`${svc!.url}/v1/orders/${id}`, 'GET')
        return ['filled', 'partially_filled', 'failed', 'cancelled'].includes(d.json.status) ? d.json : undefined
      }, 30_000)
      expect(done.status).toBe('filled')
      expect(done.resumes).toBeGreaterThanOrEqual(1)
      // every fill the venue made for this execution was stored exactly once: nothing kept in memory was lost
      const corr = done.correlationId as string
      const venue = market.fills().filter((f) => f.clientOrderId.startsWith(`${corr}-`))
      expect(sum(fillsOf(done)).toString()).toBe(sum(venue).toString())
      expect(sum(fillsOf(done)).toString()).toBe('1000')
      const childIds = done.childOrders.map((c: { clientOrderId: string }) => c.clientOrderId)
      expect(new Set(childIds).size).toBe(childIds.length)
    }
    const atVenue = market.orders().map((o) => o.clientOrderId)
    expect(new Set(atVenue).size).toBe(atVenue.length)
  }, 60_000)

  it('survives a failed lease release at the end of a run (the crash this issue found) and releases it later', async () => {
    const { store } = await start()
    store.only = new Set(['releaseLease'])
    store.full = true
    const id = (await http(`${svc!.url}/v1/orders`, 'POST', order('rel-1', { urgency: 'HIGH' }))).json.executionId
    await eventually(async () =>
      (await http(`${svc!.url}/readyz`, 'GET')).json.reasons?.includes('store_unavailable') ? true : undefined,
    )
    expect((await http(`${svc!.url}/healthz`, 'GET')).status).toBe(200)
    store.full = false
    await eventually(async () => ((await http(`${svc!.url}/readyz`, 'GET')).status === 200 ? true : undefined))
    const record = await store.getExecution(id)
    expect(record).toMatchObject({ status: 'filled', leaseOwner: null })
  })
})

/** A small tmpfs of our own, or null (with the reason) where mounting is not allowed (not root, a container). */
function smallDisk(dir: string, size: string): { readonly unmount: () => void } | string {
  mkdirSync(dir, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (e) {
    return `cannot mount a tmpfs here (${(e as Error).message.split('\n')[0]})`
  }
  return { unmount: () => execFileSync('umount', ['-l', dir], { stdio: 'pipe' }) }
}

/** Writes until the disk is full; returns the file, to delete when space should return. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler')
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(64 * 1024, 1)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOSPC') throw e
  } finally {
    closeSync(fd)
  }
  return path
}

describe('a real full disk under the SQLite store (tmpfs)', () => {
  const tmp = tempDir()
  const mnt = join(tmp.dir, 'disk')
  const disk = smallDisk(mnt, '3m')
  const skip = typeof disk === 'string'
  if (skip) console.warn(`skipped: ${disk}`)
  afterAll(() => {
    if (!skip) disk.unmount()
    tmp.cleanup()
  })

  it.skipIf(skip)(
    'keeps the process up, refuses intake, stops executions, and recovers when space returns',
    async () => {
      const child = startChildService({
        ACX_PORT: '0',
        ACX_LOG_LEVEL: 'info',
        ACX_DB_PATH: join(mnt, 'acx.sqlite'),
        ACX_SIM_STATE_PATH: join(tmp.dir, 'venue.sqlite'),
        ACX_SIM_TIME_SCALE: '50',
        AC_TOTAL_TIME_SECONDS: '300',
        AC_NUM_SLICES: '3',
        AC_SLICE_WAIT_SECONDS: '30',
        ACX_STORE_PROBE_SECONDS: '0.2',
        ACX_TAKEOVER_INTERVAL_SECONDS: '0.3',
        ACX_LEASE_SECONDS: '2',
      })
      try {
        const url = await child.url
        const ids: string[] = []
        for (const c of ['disk-1', 'disk-2'])
          ids.push((await http(`${url}/v1/orders`, 'POST', order(c))).json.executionId)
        const filler = fillDisk(mnt)
        // the next write fails: not ready, intake refused, the process alive
        await eventually(
          async () =>
            (await http(`${url}/readyz`, 'GET')).json.reasons?.includes('store_unavailable') ? true : undefined,
          20_000,
        )
        const refused = await http(`${url}/v1/orders`, 'POST', order('disk-3'))
        expect(refused).toMatchObject({ status: 503, json: { error: 'SERVICE_STORE_UNAVAILABLE' } })
        expect((await http(`${url}/healthz`, 'GET')).status).toBe(200)
        rmSync(filler)
        await eventually(async () => ((await http(`${url}/readyz`, 'GET')).status === 200 ? true : undefined), 20_000)
        for (const id of ids) {
          const done = await eventually(async () => {
            const d = await http(`${url}/v1/orders/${id}`, 'GET')
            return ['filled', 'partially_filled', 'failed', 'cancelled'].includes(d.json.status) ? d.json : undefined
          }, 30_000)
          expect(done.status).toBe('filled')
          expect(sum(fillsOf(done)).toString()).toBe('1000')
        }
        expect(child.proc.exitCode).toBeNull()
      } catch (e) {
        console.error(child.output().slice(-3000))
        throw e
      } finally {
        await killHard(child)
      }
    },
    90_000,
  )
})
