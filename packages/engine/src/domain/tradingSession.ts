import { EngineError } from '../errors.js'
import type { MarketClock } from '../ports/broker.js'

/** A daily session on weekdays, in a time zone: `{ open: '09:30', close: '16:00', timeZone: 'America/New_York' }`. */
export interface TradingSession {
  /** Local opening time, `HH:MM`. */
  readonly open: string
  /** Local closing time, `HH:MM`, after `open`. */
  readonly close: string
  /** An IANA time zone. */
  readonly timeZone: string
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/
const DAY_MS = 86_400_000

const minutesOf = (hhmm: string): number => {
  const m = HHMM.exec(hhmm)
  if (!m) throw new EngineError('ENGINE_INVALID_ARGUMENT', `session time must be HH:MM (got ${hhmm})`)
  return Number(m[1]) * 60 + Number(m[2])
}

/** Checks a session; throws `ENGINE_INVALID_ARGUMENT` naming what is wrong. */
export function assertTradingSession(s: TradingSession): void {
  if (minutesOf(s.close) <= minutesOf(s.open)) {
    throw new EngineError('ENGINE_INVALID_ARGUMENT', `session close ${s.close} must be after its open ${s.open}`)
  }
  try {
    wallFormat(s.timeZone)
  } catch (cause) {
    throw new EngineError('ENGINE_INVALID_ARGUMENT', `unknown time zone ${s.timeZone}`, { cause })
  }
}

/** One formatter per time zone (building one costs far more than using it); bounded, zones are few. */
const wallFormats = new Map<string, Intl.DateTimeFormat>()
const MAX_WALL_FORMATS = 64

function wallFormat(timeZone: string): Intl.DateTimeFormat {
  let f = wallFormats.get(timeZone)
  if (f === undefined) {
    if (wallFormats.size >= MAX_WALL_FORMATS) wallFormats.clear()
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    wallFormats.set(timeZone, f)
  }
  return f
}

/** The wall time in `timeZone` of an instant, as if it were UTC (ms), in whole seconds. */
export function wallTimeOf(timeZone: string, utcMs: number): number {
  const parts = wallFormat(timeZone).formatToParts(new Date(utcMs))
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value)
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
}

/** The zone's offset from UTC at `utcMs`, in ms (local = UTC + offset). */
const offsetMs = (timeZone: string, utcMs: number): number =>
  wallTimeOf(timeZone, utcMs) - Math.floor(utcMs / 1000) * 1000

/**
 * The UTC instant of a wall time in `timeZone`, the wall time given as if it were UTC (ms): two passes
 * settle the offset across a daylight-saving change.
 */
export function instantOfWallTime(timeZone: string, wallMs: number): number {
  const first = wallMs - offsetMs(timeZone, wallMs)
  return wallMs - offsetMs(timeZone, first)
}

/** The UTC instant of a local wall time on the local day that starts at `localDayMs` (ms of local midnight as if UTC). */
function utcOf(timeZone: string, localDayMs: number, minutes: number): number {
  return instantOfWallTime(timeZone, localDayMs + minutes * 60_000)
}

/**
 * The market clock of a weekday session at `nowMs`: open from `open` to `close` local time, Monday to
 * Friday (no holidays), closed otherwise; `nextOpenMs`/`nextCloseMs` as the port defines them.
 */
export function sessionClock(session: TradingSession, nowMs: number): MarketClock {
  const openMin = minutesOf(session.open)
  const closeMin = minutesOf(session.close)
  const localNow = nowMs + offsetMs(session.timeZone, nowMs)
  const today = Math.floor(localNow / DAY_MS) * DAY_MS
  const weekday = (dayMs: number): boolean => {
    const d = new Date(dayMs).getUTCDay()
    return d !== 0 && d !== 6
  }
  const openAt = (dayMs: number) => utcOf(session.timeZone, dayMs, openMin)
  const closeAt = (dayMs: number) => utcOf(session.timeZone, dayMs, closeMin)
  if (weekday(today) && nowMs >= openAt(today) && nowMs < closeAt(today)) {
    let next = today + DAY_MS
    while (!weekday(next)) next += DAY_MS
    return { isOpen: true, nextOpenMs: openAt(next), nextCloseMs: closeAt(today), alwaysOpen: false }
  }
  let day = weekday(today) && nowMs < openAt(today) ? today : today + DAY_MS
  while (!weekday(day)) day += DAY_MS
  return { isOpen: false, nextOpenMs: openAt(day), nextCloseMs: closeAt(day), alwaysOpen: false }
}

/** A symbol that trades around the clock: crypto pairs such as `BTC/USD`. */
export const tradesAroundTheClock = (symbol: string): boolean => symbol.includes('/')

export const ALWAYS_OPEN: MarketClock = { isOpen: true, nextOpenMs: null, nextCloseMs: null, alwaysOpen: true }
