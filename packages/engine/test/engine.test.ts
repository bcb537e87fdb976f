import { describe, expect, it } from 'vitest'
import * as api from '../src/index.js'
import { aHarness, anIntent } from './support/builders.js'

describe('createEngine', () => {
  it('runs on the WebAssembly core by default (the embedding example)', async () => {
    const clock = api.createVirtualClock()
    const broker = api.createSimulatedMarket({ clock, seed: 7, symbols: { AAPL: { price: '190', spread: '0.02' } } })
    const logger = api.createMemoryLogger()
    // the rollout guide's impact semantics (per fraction of the order), whose first slice is 23.4%
    const config = api.createAcConfig({ impact: { model: 'order_fraction' } })
    const engine = api.createEngine({ broker, clock, config, logger })
    const result = await engine.execute({
      side: 'BUY',
      symbol: 'AAPL',
      quantity: '1000',
      urgency: 'MEDIUM',
      correlationId: 'embed-1',
    })
    expect(result.totalFilled.toString()).toBe('1000')
    expect(result.success).toBe(true)
    expect(result.attempts[0]?.qty.toString()).toBe('234')
  })

  it('gives the same result on the wasm core and the reference core', async () => {
    const a = aHarness()
    const ra = await a.engine.execute(anIntent({ correlationId: 'same' }))
    const clock = api.createVirtualClock()
    const broker = api.createSimulatedMarket({
      clock,
      seed: 7,
      symbols: {
        AAPL: { price: '190', spread: '0.02', position: '5000' },
        PENNY: { price: '0.5123', spread: '0.0004' },
        FRAC: { price: '50', spread: '0.02', fractionable: true },
        HALT: { price: '10', spread: '0.01', tradable: false },
      },
    })
    const rb = await api.createEngine({ broker, clock }).execute(anIntent({ correlationId: 'same' }))
    expect(rb.attempts.map((x) => x.qty.toString())).toEqual(ra.attempts.map((x) => x.qty.toString()))
    expect(rb.avgFillPrice.toString()).toBe(ra.avgFillPrice.toString())
  })

  it('plans the schedule and the pre-trade estimate without the venue', () => {
    const h = aHarness({ config: { impact: { model: 'order_fraction' } } })
    const p = h.engine.plan(anIntent({ quantity: '1000' }))
    expect(p.strategy).toBe('almgren_chriss')
    expect(p.slices.map((s) => s.qty.toNumber())).toEqual([234, 211, 194, 183, 178])
    expect(p.slices.map((s) => s.startSeconds)).toEqual([0, 60, 120, 180, 240])
    expect(p.kappa! * 300).toBeCloseTo(0.876, 3)
    expect(p.expectedStdBps).toBeGreaterThan(0)
    expect(h.engine.plan(anIntent({ urgency: 'HIGH' })).slices).toHaveLength(1)
    expect(h.market.callCounts()).toEqual({})
  })

  it('routes by urgency and by the split, the same way every time', () => {
    const h = aHarness({
      config: {
        routing: {
          byUrgency: {
            MEDIUM: [
              { strategy: 'almgren_chriss', weight: 50 },
              { strategy: 'walk_the_book', weight: 50 },
            ],
          },
        },
      },
    })
    const picks = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const s = h.engine.route(anIntent({ correlationId: `r-${i}` }))
      expect(h.engine.route(anIntent({ correlationId: `r-${i}` }))).toBe(s)
      picks.add(s)
    }
    expect([...picks].sort()).toEqual(['almgren_chriss', 'walk_the_book'])
  })

  it('runs concurrent executions on one clock and one market', async () => {
    const h = aHarness()
    const rs = await Promise.all([
      h.engine.execute(anIntent({ correlationId: 'c-a' })),
      h.engine.execute(anIntent({ correlationId: 'c-b', side: 'SELL' })),
      h.engine.execute(anIntent({ correlationId: 'c-c', urgency: 'LOW' })),
    ])
    expect(rs.map((r) => r.totalFilled.toString())).toEqual(['1000', '1000', '1000'])
    expect(new Set(h.market.orders().map((o) => o.clientOrderId)).size).toBe(h.market.orders().length)
  })
})

describe('createEngine checks the configuration against the core', () => {
  it('throws a ConfigError naming the field the kernel refuses', () => {
    const clock = api.createVirtualClock()
    const broker = api.createSimulatedMarket({ clock, seed: 1, symbols: {} })
    const core = {
      trajectory: () => {
        throw Object.assign(new Error('η̃ = η − γτ/2 must be > 0'), {
          name: 'AcCoreError',
          code: 'AC_ETA_TILDE_NONPOSITIVE',
        })
      },
      frontier: () => {
        throw new Error('unused')
      },
      sweep: () => {
        throw new Error('unused')
      },
    }
    try {
      api.createEngine({ broker, clock, core })
      expect.unreachable()
    } catch (e) {
      expect(api.isConfigError(e)).toBe(true)
      expect(api.isConfigError(e) && e.issues.map((i) => i.path)).toEqual([['ac', 'permanentImpact']])
    }
  })
})
