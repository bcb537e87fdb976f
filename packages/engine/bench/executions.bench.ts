// Simulated executions per second (Almgren–Chriss, N = 5, virtual time) and the engine's own time per
// slice decision (from the slice's quote arriving to its order being handed to the broker: sizing,
// pricing, child order, journal, log). Printed, not asserted.
// Run: npm run bench -w @acx/engine
import { performance } from 'node:perf_hooks'
import { loadAcCoreSync, type AcCoreApi } from '@acx/ac-core-wasm'
import {
  createAcConfig,
  createEngine,
  createInMemoryJournal,
  createSimulatedMarket,
  createVirtualClock,
  type BrokerPort,
} from '../src/index.js'

const config = createAcConfig()
const core: AcCoreApi = loadAcCoreSync()
const intent = (i: number) =>
  ({
    side: i % 2 ? 'SELL' : 'BUY',
    symbol: 'AAPL',
    quantity: '1000',
    urgency: 'MEDIUM',
    correlationId: `bench-${i}`,
  }) as const

const decisions: number[] = []

/** Times the gap between a quote resolving and the next submit being called. */
function timed(broker: BrokerPort): BrokerPort {
  let quoteAt: number | undefined
  return {
    ...broker,
    getQuote: async (s) => {
      const q = await broker.getQuote(s)
      quoteAt = performance.now()
      return q
    },
    submitOrder: (r) => {
      if (quoteAt !== undefined && r.type === 'limit') decisions.push(performance.now() - quoteAt)
      quoteAt = undefined
      return broker.submitOrder(r)
    },
  }
}

/** Executions per second of wall time and per second of this process's CPU time (robust to a busy machine). */
interface Rate {
  readonly wall: number
  readonly cpu: number
}

const rate = async (n: number, body: () => Promise<void>): Promise<Rate> => {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  await body()
  const c = process.cpuUsage(c0)
  return { wall: n / ((performance.now() - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) }
}

async function sequential(n: number, measureDecisions: boolean): Promise<void> {
  for (let i = 0; i < n; i++) {
    const clock = createVirtualClock()
    const market = createSimulatedMarket({ clock, seed: i, symbols: { AAPL: { price: '190', spread: '0.02' } } })
    const engine = createEngine({
      broker: measureDecisions ? timed(market) : market,
      clock,
      config,
      core,
      journal: createInMemoryJournal(),
    })
    await engine.execute(intent(i))
  }
}

async function concurrent(n: number, batch: number): Promise<void> {
  for (let b = 0; b < n; b += batch) {
    const clock = createVirtualClock()
    const market = createSimulatedMarket({ clock, seed: b, symbols: { AAPL: { price: '190', spread: '0.02' } } })
    const engine = createEngine({ broker: market, clock, config, core, journal: createInMemoryJournal() })
    await Promise.all(Array.from({ length: batch }, (_, i) => engine.execute(intent(b + i))))
  }
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN

await sequential(300, false) // warm-up
const seq = await rate(2_000, () => sequential(2_000, false))
const conc = await rate(5_000, () => concurrent(5_000, 100))
decisions.length = 0
await sequential(2_000, true)

const show = (r: Rate) => `${r.wall.toFixed(0).padStart(6)}/s wall, ${r.cpu.toFixed(0).padStart(6)}/s per CPU-second`
console.log(`@acx/engine executions (almgren_chriss, N = 5, T = 300 s, virtual clock, simulated market)`)
console.log(`  sequential, one market each:        ${show(seq)}`)
console.log(`  100 at a time on one clock/market:  ${show(conc)}   (aim ≥ 5,000/s)`)
console.log(
  `  slice decision (quote → submit):     median ${(pct(decisions, 0.5) * 1000).toFixed(1)} µs, p99 ${(pct(decisions, 0.99) * 1000).toFixed(1)} µs over ${decisions.length}   (aim < 50 µs)`,
)
