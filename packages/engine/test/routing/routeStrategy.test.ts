import { describe, expect, it } from 'vitest'
import { parseOrderIntent } from '../../src/domain/orderIntent.js'
import { createAcConfig } from '../../src/config/createAcConfig.js'
import { decideRoute, fnv1a32, routeStrategy } from '../../src/routing/routeStrategy.js'

const intent = (urgency: 'LOW' | 'MEDIUM' | 'HIGH', correlationId = 'c1', symbol = 'AAPL') => ({
  urgency,
  correlationId,
  symbol,
})

describe('routeStrategy', () => {
  it('routes HIGH → market, MEDIUM → almgren_chriss, LOW → walk_the_book by default', () => {
    const { routing } = createAcConfig()
    expect(routeStrategy(intent('HIGH'), routing)).toBe('market')
    expect(routeStrategy(intent('MEDIUM'), routing)).toBe('almgren_chriss')
    expect(routeStrategy(intent('LOW'), routing)).toBe('walk_the_book')
  })

  it('re-routes an urgency (ROUTE_MEDIUM=walk_the_book is the rollback)', () => {
    const { routing } = createAcConfig({
      routing: { byUrgency: { MEDIUM: [{ strategy: 'walk_the_book', weight: 100 }] } },
    })
    expect(routeStrategy(intent('MEDIUM'), routing)).toBe('walk_the_book')
  })

  it("routes a parsed intent for a symbol with digits by its override (the issue's LOWLIQ1 example)", () => {
    const { routing } = createAcConfig({
      routing: {
        symbolOverrides: {
          LOWLIQ1: [{ strategy: 'walk_the_book', weight: 100 }],
          LOWLIQ2: [{ strategy: 'walk_the_book', weight: 100 }],
        },
      },
    })
    const parsed = parseOrderIntent({
      side: 'BUY',
      symbol: 'lowliq1',
      quantity: '10',
      urgency: 'MEDIUM',
      correlationId: 'c',
    })
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues))
    expect(routeStrategy(parsed.value, routing)).toBe('walk_the_book')
  })

  it('lets a symbol override win over the urgency and the intent override win over both', () => {
    const { routing } = createAcConfig({
      routing: { symbolOverrides: { LOWLIQ1: [{ strategy: 'walk_the_book', weight: 100 }] } },
    })
    expect(routeStrategy(intent('MEDIUM', 'c', 'LOWLIQ1'), routing)).toBe('walk_the_book')
    expect(routeStrategy({ ...intent('MEDIUM', 'c', 'LOWLIQ1'), strategy: 'twap' }, routing)).toBe('twap')
  })

  it('splits 80/20 by a stable hash of the correlation id', () => {
    const { routing } = createAcConfig({
      routing: {
        byUrgency: {
          MEDIUM: [
            { strategy: 'almgren_chriss', weight: 80 },
            { strategy: 'walk_the_book', weight: 20 },
          ],
        },
      },
    })
    const counts = { almgren_chriss: 0, walk_the_book: 0 } as Record<string, number>
    for (let i = 0; i < 10_000; i++) {
      const s = routeStrategy(intent('MEDIUM', `order-${i}`), routing)
      counts[s] = (counts[s] ?? 0) + 1
      expect(routeStrategy(intent('MEDIUM', `order-${i}`), routing)).toBe(s)
    }
    expect(counts.almgren_chriss! / 10_000).toBeGreaterThan(0.78)
    expect(counts.almgren_chriss! / 10_000).toBeLessThan(0.82)
  })

  it('uses the FNV-1a reference values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
  })
})

describe('decideRoute', () => {
  const split = createAcConfig({
    routing: {
      byUrgency: {
        MEDIUM: [
          { strategy: 'almgren_chriss', weight: 20 },
          { strategy: 'walk_the_book', weight: 80 },
        ],
      },
      symbolOverrides: { LOWLIQ1: [{ strategy: 'walk_the_book', weight: 100 }] },
    },
  }).routing

  it('names the split and the bucket that chose the strategy, the same for the same correlation id', () => {
    // fnv1a32('test-ac-001') % 100 decides: below 20 → almgren_chriss
    const bucket = fnv1a32('test-ac-001') % 100
    const decision = decideRoute(intent('MEDIUM', 'test-ac-001'), split)
    expect(decision).toEqual({
      strategy: bucket < 20 ? 'almgren_chriss' : 'walk_the_book',
      reason: 'urgency',
      detail: `urgency MEDIUM: almgren_chriss:20,walk_the_book:80, bucket ${bucket} of 100`,
    })
    expect(decideRoute(intent('MEDIUM', 'test-ac-001'), split)).toEqual(decision)
  })

  it('says when a symbol override or the intent itself chose', () => {
    expect(decideRoute(intent('MEDIUM', 'c', 'LOWLIQ1'), split)).toEqual({
      strategy: 'walk_the_book',
      reason: 'symbol_override',
      detail: 'symbol LOWLIQ1: walk_the_book',
    })
    expect(decideRoute({ ...intent('LOW', 'c'), strategy: 'twap' }, split)).toEqual({
      strategy: 'twap',
      reason: 'intent_strategy',
      detail: 'intent strategy twap',
    })
    expect(decideRoute(intent('HIGH', 'c'), split).detail).toBe('urgency HIGH: market')
  })

  it('moves 20 % then 100 % of MEDIUM orders as the rollout raises the weight, keeping the early ones', () => {
    const at = (ac: number) =>
      createAcConfig({
        routing: {
          byUrgency: {
            MEDIUM: [
              { strategy: 'almgren_chriss', weight: ac },
              { strategy: 'walk_the_book', weight: 100 - ac },
            ],
          },
        },
      }).routing
    const ids = Array.from({ length: 2000 }, (_, i) => `roll-${i}`)
    const on20 = ids.filter((id) => decideRoute(intent('MEDIUM', id), at(20)).strategy === 'almgren_chriss')
    const on50 = ids.filter((id) => decideRoute(intent('MEDIUM', id), at(50)).strategy === 'almgren_chriss')
    expect(on20.length / ids.length).toBeCloseTo(0.2, 1)
    // a bigger weight only adds ids: an order routed to AC at 20 % stays on AC at 50 %
    expect(on20.every((id) => on50.includes(id))).toBe(true)
  })
})
