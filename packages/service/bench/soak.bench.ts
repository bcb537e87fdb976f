// Memory under sustained load: the service in-process on its simulated market (state file included), a
// fast clock, and a steady stream of orders over loopback HTTP for a few minutes — thousands of executions.
// Every few seconds, after a full GC: executions finished, RSS, heap used, and what the simulated venue and
// the execution manager hold. Then the growth of heap and RSS per 1,000 executions, over the whole run and
// over its second half. Flat means: the venue forgets finished orders (beyond 10,000, see
// createSimulatedMarket's maxFinishedOrders) and the manager clears its maps when an execution ends.
// Printed, not asserted. Run: node ../../scripts/runTs.mjs bench/soak.bench.ts [seconds=180] [orders per second=60]
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { pino } from 'pino'
import { createRealClock, type SimulatedMarket } from '@acx/engine'
import { createService, createSimBroker, loadConfig } from '../src/index.js'

const SECONDS = Number(process.argv[2] ?? 180)
const RATE = Number(process.argv[3] ?? 60)
const SAMPLE_MS = 5_000
const MAX_IN_FLIGHT = 32

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const dir = mkdtempSync(join(tmpdir(), 'acx-soak-'))
const dbPath = join(dir, 'acx.sqlite')
const loaded = loadConfig({
  ACX_PORT: '0',
  ACX_DB_PATH: dbPath,
  ACX_LOG_LEVEL: 'silent',
  // a MEDIUM order runs 60 s of market time in 4 slices, 0.6 s of wall time; a LOW one 30 s plus its market order
  ACX_SIM_TIME_SCALE: '100',
  AC_TOTAL_TIME_SECONDS: '60',
  AC_NUM_SLICES: '4',
  AC_SLICE_WAIT_SECONDS: '10',
  WTB_STEP_WAIT_SECONDS: '10',
  ACX_MAX_CONCURRENT_EXECUTIONS: '64',
})
if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
const config = loaded.config
// the same simulated market the service would build, held here to read what it retains
const clock = createRealClock({ scale: config.ACX_SIM_TIME_SCALE })
const market = createSimBroker(config, clock) as ReturnType<typeof createSimBroker> &
  Partial<Pick<SimulatedMarket, 'retained'>>
if (typeof market.retained !== 'function')
  throw new Error(
    'createSimBroker no longer returns the simulated market itself: nothing to read its retained state from',
  )
const retained = market.retained.bind(market)
const service = await createService(config, pino({ level: 'silent' }), { broker: market, clock })
const url = await service.start()
/** Finished executions by status, from the service's own counter (a second SQLite connection would add its own page cache to the RSS). */
const finishedByStatus = async (): Promise<Map<string, number>> => {
  const byStatus = new Map<string, number>()
  for (const v of (await service.metrics.executions.get()).values)
    byStatus.set(String(v.labels.status), (byStatus.get(String(v.labels.status)) ?? 0) + v.value)
  return byStatus
}
const finished = async (): Promise<number> => [...(await finishedByStatus()).values()].reduce((a, n) => a + n, 0)

const SYMBOLS = ['AAPL', 'MSFT', 'SPY', 'TSLA', 'XYZ'] as const
const URGENCIES = ['LOW', 'MEDIUM', 'MEDIUM', 'HIGH'] as const
let s = 7
const u = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296
const intent = (i: number) => ({
  side: u() < 0.5 ? 'BUY' : 'SELL',
  symbol: SYMBOLS[Math.floor(u() * SYMBOLS.length)],
  quantity: String(100 * (1 + Math.floor(u() * 18))), // ≤ 1,800: under RISK_MAX_ORDER_NOTIONAL at every symbol
  urgency: URGENCIES[Math.floor(u() * URGENCIES.length)],
  correlationId: `soak-${i}`,
})

interface Sample {
  readonly t: number
  readonly posted: number
  readonly finished: number
  readonly running: number
  readonly queued: number
  readonly rss: number
  readonly heapUsed: number
  readonly venueOrders: number
  readonly venueFills: number
}
const samples: Sample[] = []
const MB = 1024 * 1024
const t0 = performance.now()
let posted = 0
let refused = 0
const refusals = new Map<string, number>()

async function sample(): Promise<Sample> {
  const done = await finished()
  gc()
  const m = process.memoryUsage()
  const venue = retained()
  const row: Sample = {
    t: (performance.now() - t0) / 1000,
    posted,
    finished: done,
    running: service.manager.running,
    queued: service.manager.queued,
    rss: m.rss,
    heapUsed: m.heapUsed,
    venueOrders: venue.orders,
    venueFills: venue.fills,
  }
  samples.push(row)
  console.log(
    [
      row.t.toFixed(0).padStart(6),
      String(row.posted).padStart(7),
      String(row.finished).padStart(9),
      `${String(row.running).padStart(4)}/${String(row.queued).padEnd(4)}`,
      (row.rss / MB).toFixed(1).padStart(8),
      (row.heapUsed / MB).toFixed(1).padStart(9),
      String(row.venueOrders).padStart(12),
      String(row.venueFills).padStart(11),
    ].join('  '),
  )
  return row
}

/** Least-squares slope of y against x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0)
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  return sxx === 0 ? 0 : sxy / sxx
}

try {
  console.log(
    `soak: ${RATE} orders/s for ${SECONDS} s, simulated market ×${config.ACX_SIM_TIME_SCALE}, ${config.ACX_MAX_CONCURRENT_EXECUTIONS} concurrent executions, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`,
  )
  console.log(
    ['time_s', ' posted', ' finished', 'run/queue', '  rss_MB', ' heap_MB', 'venue_orders', 'venue_fills'].join('  '),
  )
  await sample()
  const sampler = setInterval(() => void sample(), SAMPLE_MS)
  // a steady stream: by second t, RATE·t orders posted, at most MAX_IN_FLIGHT at once
  let inFlight = 0
  const post = async (i: number): Promise<void> => {
    inFlight++
    try {
      const res = await fetch(`${url}/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(intent(i)),
      })
      const body = await res.text()
      if (res.status !== 202) {
        refused++
        const why = `${res.status} ${/"error":"([A-Z_]+)"/.exec(body)?.[1] ?? ''}`
        refusals.set(why, (refusals.get(why) ?? 0) + 1)
      }
    } finally {
      inFlight--
    }
  }
  const pending = new Set<Promise<void>>()
  while (performance.now() - t0 < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE)
    while (posted < due && inFlight < MAX_IN_FLIGHT) {
      const p = post(posted++)
      pending.add(p)
      void p.finally(() => pending.delete(p))
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  await Promise.all(pending)
  await Promise.race([service.manager.idle(), new Promise((r) => setTimeout(r, 60_000))])
  clearInterval(sampler)
  const last = await sample()

  const statuses = [...(await finishedByStatus())].map(([status, n]) => `${status} ${n}`).join(', ')
  const fileMb = (path: string): string => (statSync(path).size / MB).toFixed(1)
  console.log(
    `\n${last.finished} executions finished in ${last.t.toFixed(0)} s (${statuses}); ${refused} POSTs not accepted${refused ? ` (${[...refusals].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
  )
  const perThousand = (from: number, key: 'heapUsed' | 'rss'): number =>
    slope(samples.slice(from).map((r) => [r.finished, r[key] / MB] as const)) * 1000
  const half = Math.floor(samples.length / 2)
  console.log(
    `growth per 1,000 executions, whole run:  heap ${perThousand(1, 'heapUsed').toFixed(2)} MB, RSS ${perThousand(1, 'rss').toFixed(2)} MB`,
  )
  console.log(
    `growth per 1,000 executions, second half: heap ${perThousand(half, 'heapUsed').toFixed(2)} MB, RSS ${perThousand(half, 'rss').toFixed(2)} MB`,
  )
  const peak = samples.reduce((a, r) => (r.heapUsed > a.heapUsed ? r : a))
  console.log(
    `heap after GC: first ${(samples[1]!.heapUsed / MB).toFixed(1)} MB, peak ${(peak.heapUsed / MB).toFixed(1)} MB at ${peak.t.toFixed(0)} s, last ${(last.heapUsed / MB).toFixed(1)} MB; venue retains ${last.venueOrders} orders (${last.venueFills} fills)`,
  )
  console.log(
    `files: store ${fileMb(dbPath)} MB (executions are kept: ACX_RETENTION_DAYS), venue ${fileMb(join(dir, 'acx.sim-venue.sqlite'))} MB`,
  )
} finally {
  await service.stop()
  rmSync(dir, { recursive: true, force: true })
}
