import { createVirtualClock, type VirtualClock } from '@acx/engine'
import { FAKE_KEY_ID, FAKE_SECRET_KEY, readAlpacaFixture, type FakeMarketHours } from '@acx/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import type { AlpacaBrokerOptions } from '../src/index.js'
import { DEFAULT_MARKET, startHarness, type Harness } from './support/harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const at = (iso: string): number => Date.parse(iso)
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** New York's session, 09:30–16:00, with Thanksgiving 2026 off and the day after it closing at 13:00. */
const NEW_YORK: FakeMarketHours = {
  kind: 'session',
  holidays: ['2026-11-26'],
  earlyCloses: { '2026-11-27': '13:00' },
}

/** The fake and the adapter on one virtual clock starting at `startIso`. */
async function onClock(
  startIso: string,
  marketHours: FakeMarketHours = NEW_YORK,
  broker: Partial<AlpacaBrokerOptions> = {},
): Promise<{ h: Harness; clock: VirtualClock }> {
  const clock = createVirtualClock({ startMs: at(startIso) })
  h = await startHarness({
    market: {
      ...DEFAULT_MARKET,
      assets: { ...DEFAULT_MARKET.assets, BTCUSD: { class: 'crypto' } }, // Alpaca's legacy crypto symbol
      now: () => clock.now(),
      marketHours,
    },
    broker: { clock, ...broker },
  })
  return { h, clock }
}

const clockReads = (x: Harness): number => x.server.count('GET', '/v2/clock')
const calendarReads = (x: Harness): number => x.server.count('GET', '/v2/calendar')

/** The clock as ISO times, for readable expectations. */
const read = async (x: Harness, symbol = 'AAPL') => {
  const c = await x.broker.getMarketClock(symbol)
  return { isOpen: c.isOpen, alwaysOpen: c.alwaysOpen, nextOpen: iso(c.nextOpenMs), nextClose: iso(c.nextCloseMs) }
}

describe('market clock: crypto pairs', () => {
  it('answers a crypto pair as trading around the clock without asking Alpaca', async () => {
    const { h } = await onClock('2026-01-10T15:00:00Z') // a Saturday: equities closed
    expect(await h.broker.getMarketClock('BTC/USD')).toEqual({
      isOpen: true,
      nextOpenMs: null,
      nextCloseMs: null,
      alwaysOpen: true,
    })
    expect(h.server.requests).toEqual([])
    expect((await read(h)).isOpen).toBe(false)
  })

  it('knows a crypto symbol without a slash by its asset class, read once', async () => {
    const { h } = await onClock('2026-01-10T15:00:00Z')
    expect((await h.broker.getMarketClock('BTCUSD')).alwaysOpen).toBe(true)
    expect((await h.broker.getMarketClock('BTCUSD')).alwaysOpen).toBe(true)
    expect(h.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v2/assets/BTCUSD'])
  })

  it('throws BROKER_NOT_FOUND for a symbol Alpaca does not have, without reading the clock', async () => {
    const { h } = await onClock('2026-01-05T15:00:00Z')
    await expect(h.broker.getMarketClock('NOPE')).rejects.toMatchObject({ code: 'BROKER_NOT_FOUND' })
    expect(clockReads(h)).toBe(0)
  })
})

describe('market clock: equities, from /v2/clock', () => {
  it("is open during the session: closing at today's close, the next session's open after it", async () => {
    const { h } = await onClock('2026-01-05T15:00:00Z') // Monday 10:00 EST
    expect(await read(h)).toEqual({
      isOpen: true,
      alwaysOpen: false,
      nextClose: '2026-01-05T21:00:00.000Z',
      nextOpen: '2026-01-06T14:30:00.000Z',
    })
    expect([clockReads(h), calendarReads(h)]).toEqual([1, 0])
  })

  it('closes at the early close on an early-close day', async () => {
    const { h } = await onClock('2026-11-27T16:00:00Z') // Friday after Thanksgiving, 11:00 EST
    expect(await read(h)).toMatchObject({
      isOpen: true,
      nextClose: '2026-11-27T18:00:00.000Z',
      nextOpen: '2026-11-30T14:30:00.000Z',
    })
  })

  it('is closed on a holiday, pointing at the next session with its early close', async () => {
    const { h } = await onClock('2026-11-26T16:00:00Z') // Thanksgiving
    expect(await read(h)).toMatchObject({
      isOpen: false,
      nextOpen: '2026-11-27T14:30:00.000Z',
      nextClose: '2026-11-27T18:00:00.000Z',
    })
  })

  it("is closed before the open of a trading day: that day's session is next", async () => {
    const { h } = await onClock('2026-01-05T14:00:00Z') // Monday 09:00 EST
    expect(await read(h)).toMatchObject({
      isOpen: false,
      nextOpen: '2026-01-05T14:30:00.000Z',
      nextClose: '2026-01-05T21:00:00.000Z',
    })
  })

  it('is closed after a Friday close until Monday, in daylight saving time after the change', async () => {
    const { h } = await onClock('2026-03-06T22:00:00Z') // Friday 17:00 EST; clocks change on Sunday 8 March
    expect(await read(h)).toMatchObject({
      isOpen: false,
      nextOpen: '2026-03-09T13:30:00.000Z',
      nextClose: '2026-03-09T20:00:00.000Z',
    })
    expect(calendarReads(h)).toBe(0) // the clock's next open and close are one session's
  })
})

describe('market clock: the next session from /v2/calendar when the clock does not give it', () => {
  // Monday 13:00 EST, the market closed during the session (a market-wide halt): the clock's next close is
  // still today's, before its next open.
  const HALTED: FakeMarketHours = {
    kind: 'fixed',
    isOpen: false,
    nextOpenMs: at('2026-01-06T14:30:00Z'),
    nextCloseMs: at('2026-01-05T21:00:00Z'),
    calendar: [
      { date: '2026-01-05', open: '09:30', close: '16:00' },
      { date: '2026-01-06', open: '09:30', close: '13:00' },
      { date: '2026-01-07', open: '09:30', close: '16:00' },
    ],
  }

  it("takes the close of the session in which the clock's next open falls, early close included", async () => {
    const { h } = await onClock('2026-01-05T18:00:00Z', HALTED)
    expect(await read(h)).toEqual({
      isOpen: false,
      alwaysOpen: false,
      nextOpen: '2026-01-06T14:30:00.000Z',
      nextClose: '2026-01-06T18:00:00.000Z',
    })
    expect([clockReads(h), calendarReads(h)]).toEqual([1, 1])
    const q = h.server.requests.find((r) => r.path === '/v2/calendar')?.query
    // a day either side of the next open, whichever way Alpaca reads the times
    expect([q?.['start']?.slice(0, 10), q?.['end']?.slice(0, 10)]).toEqual(['2026-01-05', '2026-01-07'])
  })

  it('throws BROKER_BAD_RESPONSE when the calendar has no session at the clock’s next open', async () => {
    const { h } = await onClock('2026-01-05T18:00:00Z', { ...HALTED, calendar: [HALTED.calendar![0]!] })
    await expect(h.broker.getMarketClock('AAPL')).rejects.toMatchObject({
      code: 'BROKER_BAD_RESPONSE',
      message: expect.stringContaining('its calendar has no session then'),
    })
  })

  it('throws a failed calendar read as it is (one attempt), and remembers nothing', async () => {
    const { h } = await onClock('2026-01-05T18:00:00Z', HALTED)
    h.server.inject({ method: 'GET', path: '/v2/calendar' }, { kind: 'status', status: 503 })
    await expect(h.broker.getMarketClock('AAPL')).rejects.toMatchObject({
      code: 'BROKER_UNAVAILABLE',
      retryable: true,
    })
    expect([clockReads(h), calendarReads(h)]).toEqual([1, 1])
    expect((await read(h)).nextClose).toBe('2026-01-06T18:00:00.000Z')
    expect([clockReads(h), calendarReads(h)]).toEqual([2, 2])
  })
})

describe('market clock: reuse', () => {
  it('reuses an answer until the open or close it names, then asks again', async () => {
    const { h, clock } = await onClock('2026-01-05T15:00:00Z', NEW_YORK, { marketClockMaxAgeMs: 86_400_000 })
    await read(h)
    await clock.advanceTo(at('2026-01-05T20:59:59Z'))
    expect((await read(h)).isOpen).toBe(true)
    expect(clockReads(h)).toBe(1)
    await clock.advanceTo(at('2026-01-05T21:00:00Z'))
    expect(await read(h)).toMatchObject({
      isOpen: false,
      nextOpen: '2026-01-06T14:30:00.000Z',
      nextClose: '2026-01-06T21:00:00.000Z',
    })
    expect(clockReads(h)).toBe(2)
    await clock.advanceTo(at('2026-01-06T14:29:59Z'))
    expect((await read(h)).isOpen).toBe(false)
    await clock.advanceTo(at('2026-01-06T14:30:00Z'))
    expect((await read(h)).isOpen).toBe(true)
    expect(clockReads(h)).toBe(3)
  })

  it('asks again after marketClockMaxAgeMs (60 s by default) at the latest', async () => {
    const { h, clock } = await onClock('2026-01-05T15:00:00Z')
    await read(h)
    await clock.advance(59_999)
    await read(h)
    expect(clockReads(h)).toBe(1)
    await clock.advance(1)
    await read(h)
    expect(clockReads(h)).toBe(2)
  })

  it('asks every time with marketClockMaxAgeMs 0', async () => {
    const { h } = await onClock('2026-01-05T15:00:00Z', NEW_YORK, { marketClockMaxAgeMs: 0 })
    await read(h)
    await read(h)
    expect(clockReads(h)).toBe(2)
  })

  it('serves every equity from the one market clock, and concurrent calls from one read', async () => {
    const { h } = await onClock('2026-01-05T15:00:00Z')
    await h.broker.getAsset('LOWP')
    await h.broker.getAsset('AAPL')
    const clocks = await Promise.all([
      h.broker.getMarketClock('AAPL'),
      h.broker.getMarketClock('LOWP'),
      h.broker.getMarketClock('AAPL'),
    ])
    expect(new Set(clocks.map((c) => c.nextCloseMs))).toEqual(new Set([at('2026-01-05T21:00:00Z')]))
    expect(clockReads(h)).toBe(1)
  })

  it('does not keep an answer whose transition has passed on Alpaca’s own clock', async () => {
    // Open, but the close it names is already behind its timestamp: asked again next time.
    const { h } = await onClock('2026-01-05T21:00:05Z', {
      kind: 'fixed',
      isOpen: true,
      nextOpenMs: at('2026-01-06T14:30:00Z'),
      nextCloseMs: at('2026-01-05T21:00:00Z'),
    })
    await read(h)
    await read(h)
    expect(clockReads(h)).toBe(2)
  })

  it('throws an unreadable clock as BROKER_BAD_RESPONSE', async () => {
    const { h } = await onClock('2026-01-05T15:00:00Z')
    h.server.inject({ method: 'GET', path: '/v2/clock' }, { kind: 'status', status: 200, body: { is_open: 'yes' } })
    await expect(h.broker.getMarketClock('AAPL')).rejects.toMatchObject({ code: 'BROKER_BAD_RESPONSE' })
  })
})

describe("the fake Alpaca's market hours (Alpaca's shapes)", () => {
  const get = async (x: Harness, path: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${x.server.tradingBaseUrl}${path}`, {
      headers: { 'APCA-API-KEY-ID': FAKE_KEY_ID, 'APCA-API-SECRET-KEY': FAKE_SECRET_KEY },
    })
    return { status: res.status, body: await res.json() }
  }
  const keysOf = (o: unknown): string[] => Object.keys(o as object).sort()

  it('answers /v2/clock with the documented fields, in New York time with its offset', async () => {
    const { h } = await onClock('2026-01-05T15:00:00.123Z')
    const { body } = await get(h, '/v2/clock')
    expect(keysOf(body)).toEqual(keysOf(readAlpacaFixture<{ payload: unknown }>('clock').payload))
    expect(body).toEqual({
      timestamp: '2026-01-05T10:00:00.123000000-05:00',
      is_open: true,
      next_open: '2026-01-06T09:30:00-05:00',
      next_close: '2026-01-05T16:00:00-05:00',
    })
  })

  it('lists the trading days of /v2/calendar with their early closes and settlement dates (T+1)', async () => {
    const { h } = await onClock('2026-11-20T15:00:00Z')
    const { body } = await get(h, '/v2/calendar?start=2026-11-25&end=2026-11-30')
    const documented = readAlpacaFixture<{ payload: unknown[] }>('calendar').payload[0]
    expect((body as unknown[]).map(keysOf)).toEqual([1, 2, 3].map(() => keysOf(documented)))
    expect(body).toEqual([
      {
        date: '2026-11-25',
        open: '09:30',
        close: '16:00',
        session_open: '0400',
        session_close: '2000',
        settlement_date: '2026-11-27',
      },
      {
        date: '2026-11-27',
        open: '09:30',
        close: '13:00',
        session_open: '0400',
        session_close: '2000',
        settlement_date: '2026-11-30',
      },
      {
        date: '2026-11-30',
        open: '09:30',
        close: '16:00',
        session_open: '0400',
        session_close: '2000',
        settlement_date: '2026-12-01',
      },
    ])
    expect((await get(h, '/v2/calendar?start=2026-11-28T00:00:00.000Z&end=2026-11-29T00:00:00.000Z')).body).toEqual([])
    expect((await get(h, '/v2/calendar?start=someday')).status).toBe(400)
  })

  it('is open whenever asked by default, with no sessions in its calendar', async () => {
    h = await startHarness()
    const { body } = await get(h, '/v2/clock')
    expect((body as { is_open: boolean }).is_open).toBe(true)
    expect((await get(h, '/v2/calendar')).body).toEqual([])
  })

  it('lists, for a fixed closed clock, the one session it describes', async () => {
    const { h } = await onClock('2026-01-05T18:00:00Z', {
      kind: 'fixed',
      isOpen: false,
      nextOpenMs: at('2026-01-06T14:30:00Z'),
      nextCloseMs: at('2026-01-06T21:00:00Z'),
    })
    const { body } = await get(h, '/v2/calendar?start=2026-01-01&end=2026-01-31')
    expect(body).toMatchObject([{ date: '2026-01-06', open: '09:30', close: '16:00' }])
  })

  it('refuses market hours that make no sense', async () => {
    h = await startHarness()
    const server = h.server
    expect(() => server.setMarketHours({ kind: 'session', open: '16:00', close: '09:30' })).toThrow(
      /close after the open/,
    )
    expect(() => server.setMarketHours({ kind: 'session', holidays: ['26 Nov'] })).toThrow(/holiday/)
    expect(() => server.setMarketHours({ kind: 'session', earlyCloses: { '2026-11-27': '9:00' } })).toThrow(
      /early close/,
    )
    expect(() =>
      server.setMarketHours({ kind: 'fixed', isOpen: true, nextOpenMs: Number.NaN, nextCloseMs: 0 }),
    ).toThrow(/finite/)
  })
})
