import { describe, expect, it } from 'vitest'
import { parseOrderIntent } from '../../src/domain/orderIntent.js'
import { createAcConfig } from '../../src/config/createAcConfig.js'
import { fnv1a32, routeStrategy } from '../../src/routing/routeStrategy.js'

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
