import { createVirtualClock } from '@acx/engine'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createTokenBucket } from '../src/tokenBucket.js'
import { startHarness } from './support/harness.js'

describe('token bucket', () => {
  it('lets the burst through at once, then spaces requests at the refill rate', async () => {
    const clock = createVirtualClock({ autoAdvance: false })
    const t0 = clock.now()
    const bucket = createTokenBucket({ maxPerMinute: 70, burst: 10, clock })
    const times: number[] = []
    const all = Array.from({ length: 13 }, () => bucket.take().then(() => times.push(clock.now() - t0)))
    await clock.advance(5_000)
    await Promise.all(all)
    expect(times.slice(0, 10)).toEqual(Array(10).fill(0))
    expect(times.slice(10)).toEqual([1_000, 2_000, 3_000]) // (70 − 10) per minute = one a second
  })

  it('never lets more than maxPerMinute through in any 60-second window', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 50 }), async (max, burstRaw) => {
        const burst = Math.min(burstRaw, max - 1)
        const clock = createVirtualClock({ autoAdvance: false })
        const bucket = createTokenBucket({ maxPerMinute: max, burst, clock })
        const times: number[] = []
        const n = max + 5
        const all = Array.from({ length: n }, () => bucket.take().then(() => times.push(clock.now())))
        await clock.advance((Math.ceil((n - burst) / (max - burst)) + 1) * 60_000)
        await Promise.all(all)
        times.sort((a, b) => a - b)
        for (let i = 0; i < times.length; i++) {
          const inWindow = times.filter((t) => t >= (times[i] as number) && t < (times[i] as number) + 60_000).length
          expect(inWindow).toBeLessThanOrEqual(max)
        }
      }),
      { numRuns: 15 },
    )
  })

  it('holds everyone until a 429 reset', async () => {
    const clock = createVirtualClock({ autoAdvance: false })
    const bucket = createTokenBucket({ maxPerMinute: 200, burst: 10, clock })
    bucket.pauseUntil(clock.now() + 2_500)
    let done = false
    const p = bucket.take().then(() => (done = true))
    await clock.advance(2_000)
    expect(done).toBe(false)
    await clock.advance(600)
    await p
    expect(done).toBe(true)
  })

  it('throttles the adapter’s real requests to maxRequestsPerMinute', async () => {
    // 62 a minute with a burst of 2: two at once, then one a second. Three reads take ≥ 1 s.
    const h = await startHarness({ broker: { maxRequestsPerMinute: 62, burst: 2, tradeUpdates: false } })
    try {
      const t0 = Date.now()
      await Promise.all([h.broker.getAccount(), h.broker.getAccount(), h.broker.getAccount()])
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950)
      expect(h.server.count('GET', '/v2/account')).toBe(3)
    } finally {
      await h.close()
    }
  })
})
