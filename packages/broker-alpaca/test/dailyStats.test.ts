import { createVirtualClock } from '@acx/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveAlpacaConfig } from '../src/config.js'
import { parseDailyStats } from '../src/parse.js'
import { DEFAULT_MARKET, startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const bars = (n: number) => Array.from({ length: n }, (_, i) => ({ close: 100 + (i % 3) - 1, volume: 1000 * (i + 1) }))

describe('daily statistics from Alpaca daily bars', () => {
  it('uses the last statsLookbackDays bars, once per trading day', async () => {
    const clock = createVirtualClock({ startMs: Date.UTC(2026, 10, 4, 16) }) // a Wednesday, 11:00 in New York
    h = await startHarness({
      market: { ...DEFAULT_MARKET, now: () => clock.now(), dailyBars: { AAPL: bars(30) } },
      broker: { clock, statsLookbackDays: 10 },
    })
    const s = await h.broker.getDailyStats('AAPL')
    // the last 10 of 30 bars: volumes 21,000 … 30,000
    expect(s?.adv.toNumber()).toBe(25_500)
    expect(s?.days).toBe(10)
    const requests = () => h!.server.requests.filter((r) => r.path === '/v2/stocks/AAPL/bars').length
    await h.broker.getDailyStats('AAPL')
    expect(requests()).toBe(1) // cached for the day
    await clock.advance(86_400_000)
    await h.broker.getDailyStats('AAPL')
    expect(requests()).toBe(2) // a new trading day reads again
    const q = h.server.requests.find((r) => r.path === '/v2/stocks/AAPL/bars')?.query
    expect(q).toMatchObject({ timeframe: '1Day', adjustment: 'all', feed: 'iex' })
  })

  it('has none for a crypto pair (no request), a symbol without history or an unknown one', async () => {
    h = await startHarness()
    expect(await h.broker.getDailyStats('BTC/USD')).toBeNull()
    expect(await h.broker.getDailyStats('LOWP')).toBeNull()
    expect(await h.broker.getDailyStats('NOPE')).toBeNull()
    expect(h.server.requests.filter((r) => r.path.endsWith('/bars')).map((r) => r.path)).toEqual([
      '/v2/stocks/LOWP/bars',
    ])
  })

  it("leaves out today's bar, still forming, and refuses a bar without a time", () => {
    const day = (d: number, c: number, v: number) => ({ t: `2026-11-0${d}T05:00:00Z`, c, v })
    const raw = { bars: [day(2, 100, 10), day(3, 101, 20), day(4, 100, 30), day(5, 102, 1)] }
    const today = Date.UTC(2026, 10, 5)
    const s = parseDailyStats(raw, 'X', 20, (t) => t < today)
    expect(s?.adv.toNumber()).toBe(20)
    expect(() => parseDailyStats({ bars: [{ t: 'yesterday', c: 1, v: 1 }] }, 'X', 20)).toThrowError(/RFC 3339/)
  })

  it('refuses a look-back outside 3–250 days', () => {
    const base = { keyId: 'k', secretKey: 's', paper: true } as const
    expect(() => resolveAlpacaConfig({ ...base, statsLookbackDays: 2 })).toThrowError(/statsLookbackDays/)
    expect(() => resolveAlpacaConfig({ ...base, statsLookbackDays: 20.5 })).toThrowError(/statsLookbackDays/)
  })
})
