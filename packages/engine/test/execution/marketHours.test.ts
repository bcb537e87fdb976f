import { describe, expect, it } from 'vitest'
import type { BrokerPort, SubmitOrderRequest } from '../../src/ports/broker.js'
import { aHarness, anIntent } from '../support/builders.js'

const NY = { open: '09:30', close: '16:00', timeZone: 'America/New_York' }
const at = (iso: string) => Date.parse(iso)
const quiet = { tradeProbability: 0.2, dailyVolatility: 0, session: NY }

describe('market hours', () => {
  it('plans the configured horizon when the session has room for it', async () => {
    const h = aHarness({ startMs: at('2026-01-05T15:00:00Z'), market: quiet }) // Monday 10:00 EST
    const r = await h.engine.execute(anIntent())
    expect(r.horizonSeconds).toBe(300)
    expect(r.horizonShortenedFromSeconds).toBeNull()
  })

  it('never plans past the close: the horizon is cut to end the margin before it, re-optimised and logged', async () => {
    // 15:57 EST: the session closes at 21:00Z, the default margin is 60 s, so 120 s are left
    const h = aHarness({ startMs: at('2026-01-05T20:57:00Z'), market: { ...quiet, tradeProbability: 0 } })
    const r = await h.engine.execute(anIntent())
    expect(r.horizonSeconds).toBe(120)
    expect(r.horizonShortenedFromSeconds).toBe(300)
    const planned = h.journal.entries.find((e) => e.type === 'execution_planned')
    expect(planned?.type === 'execution_planned' && planned.plan.slices.map((s) => s.startSeconds)).toEqual([
      0, 24, 48, 72, 96,
    ])
    expect(planned?.type === 'execution_planned' && planned.expectedFinishAt).toBe(at('2026-01-05T20:59:00Z'))
    // every slice went out before the margin began, and the market fallback for the rest before the close
    for (const o of h.market.orders()) {
      expect(o.submittedAtMs).toBeLessThan(at(o.type === 'limit' ? '2026-01-05T20:59:00Z' : '2026-01-05T21:00:00Z'))
    }
    expect(
      h.logger.records.some((l) => l.msg === 'Horizon shortened to end before the close' && l.obj.to_seconds === 120),
    ).toBe(true)
    // re-optimised, not truncated: exactly the plan of an engine configured with T = 120 s, for the same quote
    const arrival = h.journal.entries.find((e) => e.type === 'arrival_quote')
    const quote = arrival?.type === 'arrival_quote' ? arrival.quote : null
    const shorter = aHarness({ config: { ac: { totalTimeSeconds: 120, sliceWaitSeconds: 24 } } }).engine.plan(
      anIntent(),
      { quote },
    )
    expect(planned?.type === 'execution_planned' && planned.plan.slices.map((x) => x.fraction)).toEqual(
      shorter.slices.map((x) => x.fraction),
    )
    expect(planned?.type === 'execution_planned' && planned.plan.expectedCostBps).toBe(shorter.expectedCostBps)
    expect(shorter.slices.map((x) => x.fraction)).not.toEqual(
      h.engine.plan(anIntent(), { quote }).slices.map((x) => x.fraction),
    )
  })

  it('refuses to start inside the close margin or while closed, naming the next open, with nothing sent', async () => {
    const late = aHarness({ startMs: at('2026-01-05T20:59:30Z'), market: quiet })
    const r = await late.engine.execute(anIntent())
    expect(r.error).toMatchObject({ code: 'market_closed', retryAtMs: at('2026-01-06T14:30:00Z') })
    const weekend = aHarness({ startMs: at('2026-01-10T15:00:00Z'), market: quiet }) // Saturday
    const w = await weekend.engine.execute(anIntent({ urgency: 'HIGH' }))
    expect(w.error).toMatchObject({ code: 'market_closed', retryAtMs: at('2026-01-12T14:30:00Z') })
    expect([...late.market.orders(), ...weekend.market.orders()]).toEqual([])
  })

  it('trades a crypto pair on a Saturday, with gtc limits and ioc market orders', async () => {
    const h = aHarness({ startMs: at('2026-01-10T15:00:00Z'), market: { ...quiet, tradeProbability: 0 } })
    const seen: SubmitOrderRequest[] = []
    const venue: BrokerPort = { ...h.market, submitOrder: (req) => (seen.push(req), h.market.submitOrder(req)) }
    const { createEngine } = await import('../../src/engine.js')
    const { reference } = await import('@acx/ac-core-wasm')
    const engine = createEngine({ broker: venue, clock: h.clock, config: h.config, core: reference })
    const r = await engine.execute(anIntent({ symbol: 'BTC/USD', quantity: '2', urgency: 'LOW' }))
    expect(r.error?.code).not.toBe('market_closed')
    expect(new Set(seen.map((q) => `${q.type}:${q.timeInForce}`))).toEqual(new Set(['limit:gtc', 'market:ioc']))
  })
})

describe('time in force by asset class', () => {
  it('sends gtc/ioc for an asset the venue classes as crypto even without a slash (BTCUSD), day for an equity', async () => {
    const h = aHarness({ market: { tradeProbability: 0, dailyVolatility: 0 } })
    const seen: SubmitOrderRequest[] = []
    // the venue calls AAPL a crypto asset here: the engine must follow the venue's class, not the symbol
    const venue: BrokerPort = {
      ...h.market,
      getAsset: async (symbol) => ({ ...(await h.market.getAsset(symbol)), assetClass: 'crypto' }),
      submitOrder: (req) => (seen.push(req), h.market.submitOrder({ ...req, timeInForce: 'day' })),
    }
    const { createEngine } = await import('../../src/engine.js')
    const { reference } = await import('@acx/ac-core-wasm')
    const engine = createEngine({ broker: venue, clock: h.clock, config: h.config, core: reference })
    await engine.execute(anIntent({ quantity: '10', urgency: 'LOW' }))
    expect(new Set(seen.map((q) => `${q.type}:${q.timeInForce}`))).toEqual(new Set(['limit:gtc', 'market:ioc']))
    await h.engine.execute(anIntent({ quantity: '10', urgency: 'LOW', correlationId: 'equity' }))
    expect(h.market.orders().filter((o) => o.clientOrderId.startsWith('equity')).length).toBeGreaterThan(0)
  })
})

describe('assess', () => {
  it('answers with the plan the execution then follows, spread included, for the same quote', async () => {
    const h = aHarness({ market: { dailyVolatility: 0, tradeProbability: 0 } })
    const a = await h.engine.assess(anIntent({ quantity: '1000' }))
    expect(a.ok).toBe(true)
    if (!a.ok) return
    expect(a.plan.halfSpreadBps).toBeCloseTo((0.01 / 190) * 1e4, 12)
    const r = await h.engine.execute(anIntent({ quantity: '1000' }))
    expect(r.expectedCostBps).toBe(a.plan.expectedCostBps)
    expect(r.expectedStdBps).toBe(a.plan.expectedStdBps)
    expect(a.plan.expectedCostBps).toBeGreaterThan(
      h.engine.plan(anIntent({ quantity: '1000' })).expectedCostBps as number,
    )
  })

  it('refuses what the execution would refuse, with the same codes, sending nothing', async () => {
    const h = aHarness()
    const code = async (over: Parameters<typeof anIntent>[0]) => {
      const a = await h.engine.assess(anIntent(over))
      return a.ok ? 'ok' : `${a.refusal.kind}:${a.refusal.code}`
    }
    expect(await code({ symbol: 'ZZZZ' })).toBe('venue:asset_not_found')
    expect(await code({ symbol: 'HALT' })).toBe('venue:asset_not_tradable')
    expect(await code({ symbol: 'AAPL', quantity: '10.5' })).toBe('venue:fractional_not_allowed')
    expect(await code({ side: 'SELL', closeType: 'FULL', quantity: '5001' })).toBe('venue:insufficient_position')
    expect(await code({ side: 'SELL', closeType: 'FULL', quantity: '5000' })).toBe('ok')
    expect(h.market.orders()).toEqual([])
    // the execution stops with the same code
    expect((await h.engine.execute(anIntent({ symbol: 'ZZZZ' }))).error?.code).toBe('asset_not_found')
  })

  it('says when the market is closed and plans for the open', async () => {
    const h = aHarness({ startMs: at('2026-01-10T15:00:00Z'), market: { session: NY } })
    const a = await h.engine.assess(anIntent())
    expect(a.ok && a.market).toMatchObject({ isOpen: false, nextOpenMs: at('2026-01-12T14:30:00Z') })
    expect(a.ok && a.plan.horizonSeconds).toBe(300)
  })

  it('inside the close margin, plans for the next open, in full', async () => {
    // 15:59:30 in New York: open, but within the 60-second margin of the close
    const h = aHarness({ startMs: at('2026-01-05T20:59:30Z'), market: { session: NY } })
    const a = await h.engine.assess(anIntent())
    expect(a.ok && a.market).toMatchObject({ isOpen: true, nextOpenMs: at('2026-01-06T14:30:00Z') })
    expect(a.ok && a.plan).toMatchObject({ horizonSeconds: 300, shortenedFromSeconds: null })
  })

  it('refuses a session no longer than the close margin with market_closed (a zero horizon has no plan)', async () => {
    const short = { open: '09:30', close: '09:31', timeZone: 'America/New_York' } // 60 s: the default margin
    const h = aHarness({ startMs: at('2026-01-10T15:00:00Z'), market: { session: short } })
    const a = await h.engine.assess(anIntent())
    expect(a).toMatchObject({ ok: false, refusal: { kind: 'venue', code: 'market_closed' } })
    expect(a.ok ? '' : a.refusal.message).toContain('AC_CLOSE_MARGIN_SECONDS (60 s)')
    expect(h.market.orders()).toEqual([])
  })

  it('near the close, plans a horizon cut to end the margin before it', async () => {
    // 15:57 (T = 300 s, margin 60 s): 180 s to the close, the plan cut to the 120 s before the margin
    const h = aHarness({ startMs: at('2026-01-05T20:57:00Z'), market: { session: NY } })
    const a = await h.engine.assess(anIntent())
    expect(a.ok && a.plan).toMatchObject({ horizonSeconds: 120, shortenedFromSeconds: 300 })
  })
})
