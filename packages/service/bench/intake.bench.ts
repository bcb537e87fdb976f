// Orders accepted and persisted per second: POST /v1/orders over loopback against a real SQLite file,
// with GET /healthz (no body, no store) in the same run as the HTTP floor to compare with.
// Run: npm run bench -w @acx/service   (prints; CI does not gate on it)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createService, loadConfig } from '../src/index.js'

const REQUESTS = 6000
const CONCURRENCY = 32

async function measure(label: string, send: (i: number) => Promise<Response>): Promise<number> {
  let next = 0
  let failed = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const res = await send(next++)
        await res.arrayBuffer()
        if (res.status >= 300) failed++
      }
    }),
  )
  const rate = REQUESTS / ((performance.now() - t0) / 1000)
  console.log(`${label.padEnd(34)} ${rate.toFixed(0).padStart(8)} req/s${failed ? `  (${failed} failed)` : ''}`)
  return rate
}

const dir = mkdtempSync(join(tmpdir(), 'acx-bench-'))
const loaded = loadConfig({
  ACX_PORT: '0',
  ACX_DB_PATH: join(dir, 'acx.sqlite'),
  ACX_LOG_LEVEL: 'silent',
  // executions queue behind one slow runner, so the figure is intake, not trading
  ACX_MAX_CONCURRENT_EXECUTIONS: '1',
  AC_TOTAL_TIME_SECONDS: '3600',
  AC_SLICE_WAIT_SECONDS: '60',
})
if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
const service = await createService(loaded.config, pino({ level: 'silent' }))
const url = await service.start()
try {
  console.log(`service intake, ${REQUESTS} requests, ${CONCURRENCY} concurrent, loopback, Node ${process.version}`)
  await measure('warm-up', () => fetch(`${url}/healthz`))
  const floor = await measure('GET /healthz (HTTP floor)', () => fetch(`${url}/healthz`))
  const body = (i: number) =>
    JSON.stringify({ side: 'BUY', symbol: 'AAPL', quantity: '100', urgency: 'MEDIUM', correlationId: `bench-${i}` })
  const post = await measure('POST /v1/orders (stored, queued)', (i) =>
    fetch(`${url}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) }),
  )
  console.log(`ratio POST/healthz: ${(post / floor).toFixed(2)}`)
} finally {
  await service.manager.drain(1000)
  await service.app.close()
  await service.store.close()
  rmSync(dir, { recursive: true, force: true })
}
