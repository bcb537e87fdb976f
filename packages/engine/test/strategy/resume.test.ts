import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { createAcConfig } from '../../src/config/createAcConfig.js'
import { Dec } from '../../src/domain/dec.js'
import { createEngine } from '../../src/engine.js'
import type { BrokerPort } from '../../src/ports/broker.js'
import { crashingBroker } from '../support/crashingBroker.js'
import { createVirtualClock } from '../../src/ports/clock.js'
import {
  childOrdersFromJournal,
  createInMemoryJournal,
  type ExecutionJournal,
} from '../../src/ports/executionJournal.js'
import { createSimulatedMarket } from '../../src/sim/simulatedMarket.js'

const sum = (xs: readonly Dec[]) => xs.reduce((a, b) => a.add(b), new Dec(0))

const setup = () => {
  const clock = createVirtualClock()
  const market = createSimulatedMarket({
    clock,
    seed: 11,
    tradeProbability: 0.15,
    meanTradeSize: 40,
    dailyVolatility: 0,
    symbols: { AAPL: { price: '190', spread: '0.02' } },
  })
  const journal = createInMemoryJournal()
  const config = createAcConfig()
  return { clock, market, journal, config }
}
const intent = { side: 'BUY', symbol: 'AAPL', quantity: '1000', urgency: 'MEDIUM', correlationId: 'rs-1' } as const

describe('resume after a restart', () => {
  it('reconciles an order whose submit response was lost in the crash, then finishes without reusing ids', async () => {
    const { clock, market, journal, config } = setup()
    const dying = crashingBroker(
      market,
      (m, r) => m === 'submitOrder' && (r as { clientOrderId: string }).clientOrderId === 'rs-1-s1-a0',
    )
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
    // the journal's fills, keyed by their deterministic fill id, add up to the result across both runs
    const fills = new Map(
      journal.entries.flatMap((e) => (e.type === 'fill' ? [[e.fill.fillId, e.fill.qty] as const] : [])),
    )
    expect(sum([...fills.values()]).eq(r.totalFilled)).toBe(true)
    expect(
      journal.entries.filter((e) => e.type === 'execution_started').map((e) => (e as { resumed: boolean }).resumed),
    ).toEqual([false, true])
  })

  it('looks again for a sent child an asynchronous venue does not show yet, and adopts it instead of re-sending its quantity', async () => {
    const { clock, market, journal, config } = setup()
    const dying = crashingBroker(
      market,
      (m, r) => m === 'submitOrder' && (r as { clientOrderId: string }).clientOrderId === 'rs-1-s1-a0',
    )
    void createEngine({ broker: dying, clock, config, journal, core: reference }).execute(intent)
    await clock.sleep(90_000)
    const children = childOrdersFromJournal(journal.entries, 'rs-1')
    expect(children.find((c) => c.clientOrderId === 'rs-1-s1-a0')?.status).toBe('submitted')
    // the venue answers "not found" to the first two look-ups of that order, which exists
    let misses = 0
    const slowVenue: BrokerPort = {
      ...market,
      async getOrderByClientId(id) {
        if (id === 'rs-1-s1-a0' && misses < 2) {
          misses++
          return null
        }
        return market.getOrderByClientId(id)
      },
    }
    const r = await createEngine({ broker: slowVenue, clock, config, journal, core: reference }).execute(intent, {
      resume: { startedAt: journal.entries[0]!.atMs, children, arrivalMid: new Dec('190') },
    })
    expect(misses).toBe(2)
    const s1 = childOrdersFromJournal(journal.entries, 'rs-1').find((c) => c.clientOrderId === 'rs-1-s1-a0')
    expect(s1?.status).toMatch(/canceled|filled/) // adopted and cancelled, never marked rejected
    expect(r.totalFilled.eq(sum(market.fills().map((f) => f.qty)))).toBe(true)
    expect(r.totalFilled.lte(1000)).toBe(true)
  })

  it('reads an order again when a venue says "not found" just after accepting it', async () => {
    const { clock, market, journal, config } = setup()
    let misses = 0
    const slowVenue: BrokerPort = {
      ...market,
      async getOrder(id) {
        if (misses < 2) {
          misses++
          const { BrokerError } = await import('../../src/ports/broker.js')
          throw new BrokerError('BROKER_NOT_FOUND', `order ${id} not found`, { brokerStatus: 404 })
        }
        return market.getOrder(id)
      },
    }
    const r = await createEngine({ broker: slowVenue, clock, config, journal, core: reference }).execute({
      ...intent,
      correlationId: 'nf-1',
    })
    expect(misses).toBe(2)
    expect(r.error?.code).not.toBe('broker_error')
    expect(r.totalFilled.eq(sum(market.fills().map((f) => f.qty)))).toBe(true)
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

  it('settles a child whose completing fill was journaled but not the filled status it led to', async () => {
    const { clock, market, journal, config } = setup()
    // the process dies between the two writes of the fill that completes a child: the fill is stored,
    // the child's move to filled is not (the journal write never returns)
    let dead = false
    let settled: string | undefined
    const dying: ExecutionJournal = {
      append(entry) {
        if (dead) return new Promise<never>(() => {})
        if (entry.type === 'child_order_status' && entry.to === 'filled') {
          dead = true
          settled = entry.clientOrderId
          return new Promise<never>(() => {})
        }
        return journal.append(entry)
      },
    }
    void createEngine({ broker: market, clock, config, journal: dying, core: reference }).execute(intent)
    await clock.sleep(400_000)
    expect(settled).toBeDefined()
    // as a store rebuilds it: the last journaled status, the quantity, price and ids of every stored fill
    const children = childOrdersFromJournal(journal.entries, 'rs-1').map((c) => {
      const own = journal.entries.flatMap((e) =>
        e.type === 'fill' && e.fill.clientOrderId === c.clientOrderId ? [e.fill] : [],
      )
      const filledQty = sum(own.map((f) => f.qty))
      const value = sum(own.map((f) => f.qty.mul(f.price)))
      return {
        ...c,
        filledQty,
        avgPx: filledQty.isZero() ? new Dec(0) : value.div(filledQty),
        fillIds: own.map((f) => f.fillId),
      }
    })
    const stuck = children.find((c) => c.clientOrderId === settled)
    expect(stuck?.status).not.toBe('filled')
    expect(stuck?.filledQty.eq(stuck.qty)).toBe(true)

    const r = await createEngine({ broker: market, clock, config, journal, core: reference }).execute(intent, {
      resume: { startedAt: journal.entries[0]!.atMs, children },
    })
    expect(r.error?.code).not.toBe('cancel_unconfirmed')
    expect(childOrdersFromJournal(journal.entries, 'rs-1').find((c) => c.clientOrderId === settled)?.status).toBe(
      'filled',
    )
    expect(r.totalFilled.eq(sum(market.fills().map((f) => f.qty)))).toBe(true)
    expect(r.totalFilled.lte(1000)).toBe(true)
  })

  it('continues attempts after the highest used for the same slice (market fallback after the horizon)', async () => {
    const { clock, market, journal, config } = setup()
    const dying = crashingBroker(
      market,
      (m, r) => m === 'submitOrder' && (r as { clientOrderId: string }).clientOrderId === 'rs-1-s5-a0',
    )
    void createEngine({ broker: dying, clock, config: createAcConfig(), journal, core: reference }).execute(intent)
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
    const dying = crashingBroker(
      market,
      (m, r) => m === 'submitOrder' && (r as { clientOrderId: string }).clientOrderId === 'rs-w-s0-a1',
    )
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

describe('resume after a crash at a random moment (property)', () => {
  it('never duplicates a client order id, never overfills, and books every fill once', async () => {
    const fc = (await import('fast-check')).default
    const { STRATEGY_NAMES } = await import('../../src/domain/strategyName.js')
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 0, max: 1e6 }),
          crashAtCall: fc.integer({ min: 3, max: 30 }),
          strategy: fc.constantFrom(...STRATEGY_NAMES),
          quantity: fc.integer({ min: 1, max: 3000 }),
          tradeProbability: fc.double({ min: 0, max: 1, noNaN: true }),
          fillOnCancelProbability: fc.double({ min: 0, max: 1, noNaN: true }),
          downSeconds: fc.integer({ min: 0, max: 400 }),
        }),
        async (s) => {
          const clock = createVirtualClock()
          const market = createSimulatedMarket({
            clock,
            seed: s.seed,
            tradeProbability: s.tradeProbability,
            meanTradeSize: 60,
            faults: { fillOnCancelProbability: s.fillOnCancelProbability },
            symbols: { AAPL: { price: '190', spread: '0.02' } },
          })
          const journal = createInMemoryJournal()
          const config = createAcConfig()
          const it = {
            side: 'BUY',
            symbol: 'AAPL',
            quantity: String(s.quantity),
            urgency: 'MEDIUM',
            correlationId: 'px',
            strategy: s.strategy,
          } as const
          let calls = 0
          let crashed = false
          const dying = crashingBroker(market, () => {
            crashed = ++calls >= s.crashAtCall
            return crashed
          })
          const first = createEngine({ broker: dying, clock, config, journal, core: reference }).execute(it)
          // either the first run finishes, or it hangs forever after the crash: wait out its horizon
          const done = await Promise.race([first.then(() => true), clock.sleep(900_000).then(() => false)])
          if (done && !crashed) return
          await clock.sleep(s.downSeconds * 1000)
          const children = childOrdersFromJournal(journal.entries, 'px')
          const started = journal.entries.find((e) => e.type === 'execution_started')
          if (started === undefined) return // crashed before anything was journaled: nothing to resume
          const r = await createEngine({ broker: market, clock, config, journal, core: reference }).execute(it, {
            resume: { startedAt: started.atMs, children },
          })
          const ids = market.orders().map((o) => o.clientOrderId)
          expect(new Set(ids).size).toBe(ids.length)
          const simFilled = sum(market.fills().map((f) => f.qty))
          expect(simFilled.lte(s.quantity)).toBe(true)
          expect(r.totalFilled.eq(simFilled)).toBe(true)
          const fills = new Map(
            journal.entries.flatMap((e) => (e.type === 'fill' ? [[e.fill.fillId, e.fill.qty] as const] : [])),
          )
          expect(sum([...fills.values()]).eq(simFilled)).toBe(true)
          expect(market.orders().every((o) => ['filled', 'canceled', 'rejected', 'expired'].includes(o.status))).toBe(
            true,
          )
        },
      ),
      { numRuns: 250 },
    )
  })
})
