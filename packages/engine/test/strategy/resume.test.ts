import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { acConfigFromEnv } from '../../src/config/acConfigFromEnv.js'
import { Dec } from '../../src/domain/dec.js'
import { createEngine } from '../../src/engine.js'
import type { BrokerPort } from '../../src/ports/broker.js'
import { createVirtualClock } from '../../src/ports/clock.js'
import { childOrdersFromJournal, createInMemoryJournal } from '../../src/ports/executionJournal.js'
import { createSimulatedMarket } from '../../src/sim/simulatedMarket.js'

const sum = (xs: readonly Dec[]) => xs.reduce((a, b) => a.add(b), new Dec(0))

/**
 * A broker through which the process "dies": once `crash(call)` says so, that call still reaches the
 * market but neither it nor any later call ever answers (the promise never settles).
 */
function crashingBroker(market: BrokerPort, crash: (method: string, arg: unknown) => boolean): BrokerPort {
  let dead = false
  const never = new Promise<never>(() => {})
  const wrap =
    <A extends unknown[], R>(method: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      if (dead) return never
      if (crash(method, a[0])) {
        dead = true
        await fn(...a)
        return never
      }
      return fn(...a)
    }
  return {
    getQuote: wrap('getQuote', (s) => market.getQuote(s)),
    submitOrder: wrap('submitOrder', (r) => market.submitOrder(r)),
    getOrder: wrap('getOrder', (id) => market.getOrder(id)),
    getOrderByClientId: wrap('getOrderByClientId', (id) => market.getOrderByClientId(id)),
    cancelOrder: wrap('cancelOrder', (id) => market.cancelOrder(id)),
    getPosition: wrap('getPosition', (s) => market.getPosition(s)),
    getAsset: wrap('getAsset', (s) => market.getAsset(s)),
  }
}

const setup = () => {
  const clock = createVirtualClock()
  const market = createSimulatedMarket({ clock, seed: 11, tradeProbability: 0.15, meanTradeSize: 40, dailyVolatility: 0, symbols: { AAPL: { price: '190', spread: '0.02' } } })
  const journal = createInMemoryJournal()
  const config = acConfigFromEnv({})
  return { clock, market, journal, config }
}
const intent = { side: 'BUY', symbol: 'AAPL', quantity: '1000', urgency: 'MEDIUM', correlationId: 'rs-1' } as const

describe('resume after a restart', () => {
  it('reconciles an order whose submit response was lost in the crash, then finishes without reusing ids', async () => {
    const { clock, market, journal, config } = setup()
    const dying = crashingBroker(market, (m, r) => m === 'submitOrder' && (r as { clientOrderId: string }).clientOrderId === 'rs-1-s1-a0')
    void createEngine({ broker: dying, clock, config, journal, core: reference }).execute(intent)
    await clock.sleep(90_000) // the first run dies at t = 60 s, with s1-a0 live at the broker
    const children = childOrdersFromJournal(journal.entries, 'rs-1')
    expect(children.map((c) => [c.clientOrderId, c.status])).toEqual([
      ['rs-1-s0-a0', expect.stringMatching(/filled|canceled/)],
      ['rs-1-s1-a0', 'submitted'],
    ])
    const startedAt = journal.entries[0]!.atMs

    const r = await createEngine({ broker: market, clock, config, journal, core: reference }).execute(intent, {
      resume: { startedAt, children, arrivalMid: new Dec('190') },
    })
    const ids = market.orders().map((o) => o.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
    // s1-a0 was cancelled (confirmed) by the reconcile; slice 1 began before the restart, so it is
    // skipped and its share re-planned; slices 2–4 and the fallback follow on the original grid.
    expect(market.orders().find((o) => o.clientOrderId === 'rs-1-s1-a0')?.status).toMatch(/canceled|filled/)
    expect(ids.slice(0, 3)).toEqual(['rs-1-s0-a0', 'rs-1-s1-a0', 'rs-1-s2-a0'])
    expect(r.attempts[0]?.submittedAt).toBe(startedAt + 120_000)
    expect(r.totalFilled.eq(sum(market.fills().map((f) => f.qty)))).toBe(true)
    expect(r.totalFilled.lte(1000)).toBe(true)
    expect(r.success).toBe(r.totalFilled.eq(1000))
    expect(r.executionTimeSeconds).toBeGreaterThan(240)
    expect(journal.entries.filter((e) => e.type === 'execution_started').map((e) => (e as { resumed: boolean }).resumed)).toEqual([false, true])
  })

  it('marks a journaled child the broker never received as rejected and continues', async () => {
    const { clock, market, journal, config } = setup()
    // dies on the submit of s1-a0 before it reaches the market: crash() fires but we pretend the
    // request was lost by stopping before it (a created/submitted child with no broker order)
    let dead = false
    const never = new Promise<never>(() => {})
    const lossy: BrokerPort = {
      ...market,
      getQuote: (s) => (dead ? never : market.getQuote(s)),
      submitOrder: (req) => {
        if (dead || req.clientOrderId === 'rs-1-s1-a0') {
          dead = true
          return never
        }
        return market.submitOrder(req)
      },
      getOrder: (id) => (dead ? never : market.getOrder(id)),
      cancelOrder: (id) => (dead ? never : market.cancelOrder(id)),
      getOrderByClientId: (id) => (dead ? never : market.getOrderByClientId(id)),
      getAsset: (s) => (dead ? never : market.getAsset(s)),
      getPosition: (s) => (dead ? never : market.getPosition(s)),
    }
    void createEngine({ broker: lossy, clock, config, journal, core: reference }).execute(intent)
    await clock.sleep(61_000)
    const children = childOrdersFromJournal(journal.entries, 'rs-1')
    const r = await createEngine({ broker: market, clock, config, journal, core: reference }).execute(intent, {
      resume: { startedAt: journal.entries[0]!.atMs, children },
    })
    const s1 = childOrdersFromJournal(journal.entries, 'rs-1').find((c) => c.clientOrderId === 'rs-1-s1-a0')
    expect(s1?.status).toBe('rejected')
    expect(market.orders().some((o) => o.clientOrderId === 'rs-1-s1-a0')).toBe(false)
    expect(r.totalFilled.eq(sum(market.fills().map((f) => f.qty)))).toBe(true)
    expect(r.success).toBe(true)
  })

  it('continues attempts after the highest used for the same slice (market fallback after the horizon)', async () => {
    const { clock, market, journal, config } = setup()
    const dying = crashingBroker(market, (m, r) => m === 'submitOrder' && (r as { clientOrderId: string }).clientOrderId === 'rs-1-s5-a0')
    void createEngine({ broker: dying, clock, config: acConfigFromEnv({}), journal, core: reference }).execute(intent)
    await clock.sleep(400_000)
    const children = childOrdersFromJournal(journal.entries, 'rs-1')
    expect(children.at(-1)?.clientOrderId).toBe('rs-1-s5-a0')
    const r = await createEngine({ broker: market, clock, config, journal, core: reference }).execute(intent, {
      resume: { startedAt: journal.entries[0]!.atMs, children },
    })
    // the fallback market order filled at the broker before the crash; the reconcile books it
    expect(r.success).toBe(true)
    expect(r.totalFilled.toString()).toBe('1000')
    expect(market.orders().filter((o) => o.type === 'market')).toHaveLength(1)
    expect(r.slicesUsed).toBe(5)
  })

  it('restarts a walk with attempt numbers after those already used', async () => {
    const { clock, market, journal, config } = setup()
    const low = { ...intent, urgency: 'LOW', correlationId: 'rs-w' } as const
    const dying = crashingBroker(market, (m, r) => m === 'submitOrder' && (r as { clientOrderId: string }).clientOrderId === 'rs-w-s0-a1')
    void createEngine({ broker: dying, clock, config, journal, core: reference }).execute(low)
    await clock.sleep(30_000)
    const children = childOrdersFromJournal(journal.entries, 'rs-w')
    const r = await createEngine({ broker: market, clock, config, journal, core: reference }).execute(low, {
      resume: { startedAt: journal.entries[0]!.atMs, children },
    })
    expect(r.attempts[0]?.clientOrderId).toBe('rs-w-s0-a2')
    const ids = market.orders().map((o) => o.clientOrderId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(r.totalFilled.eq(sum(market.fills().map((f) => f.qty)))).toBe(true)
    expect(r.success).toBe(true)
  })
})
