import { describe, expect, it } from 'vitest'
import { sessionClock, tradesAroundTheClock } from '../../src/domain/tradingSession.js'

const NY = { open: '09:30', close: '16:00', timeZone: 'America/New_York' }
const at = (iso: string) => Date.parse(iso)
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

describe('sessionClock', () => {
  it('is open during the session on a weekday, closing at 16:00 New York time (EST: 21:00Z)', () => {
    const c = sessionClock(NY, at('2026-01-05T15:00:00Z')) // Monday 10:00 EST
    expect(c).toMatchObject({ isOpen: true, alwaysOpen: false })
    expect(iso(c.nextCloseMs)).toBe('2026-01-05T21:00:00.000Z')
    expect(iso(c.nextOpenMs)).toBe('2026-01-06T14:30:00.000Z')
  })

  it('follows daylight saving time (EDT: 13:30Z–20:00Z)', () => {
    const c = sessionClock(NY, at('2026-07-01T14:00:00Z'))
    expect(c.isOpen).toBe(true)
    expect(iso(c.nextCloseMs)).toBe('2026-07-01T20:00:00.000Z')
    // the Monday after the spring change opens at 13:30Z
    expect(iso(sessionClock(NY, at('2026-03-07T12:00:00Z')).nextOpenMs)).toBe('2026-03-09T13:30:00.000Z')
  })

  it('is closed before the open, after the close and over the weekend, pointing at the next session', () => {
    expect(iso(sessionClock(NY, at('2026-01-05T14:00:00Z')).nextOpenMs)).toBe('2026-01-05T14:30:00.000Z')
    const evening = sessionClock(NY, at('2026-01-05T21:00:00Z'))
    expect(evening.isOpen).toBe(false)
    expect(iso(evening.nextOpenMs)).toBe('2026-01-06T14:30:00.000Z')
    const friday = sessionClock(NY, at('2026-01-09T22:00:00Z'))
    expect([iso(friday.nextOpenMs), iso(friday.nextCloseMs)]).toEqual([
      '2026-01-12T14:30:00.000Z',
      '2026-01-12T21:00:00.000Z',
    ])
    expect(sessionClock(NY, at('2026-01-10T15:00:00Z')).isOpen).toBe(false) // Saturday
  })

  it('knows crypto pairs trade around the clock', () => {
    expect(tradesAroundTheClock('BTC/USD')).toBe(true)
    expect(tradesAroundTheClock('AAPL')).toBe(false)
  })
})
