/**
 * The fake Alpaca's market hours: what `GET /v2/clock` and `GET /v2/calendar` answer, in Alpaca's shapes.
 *
 * - `/v2/clock` (https://docs.alpaca.markets/reference/getclock-1, object: https://docs.alpaca.markets/reference/clock):
 *   `{ timestamp, is_open, next_open, next_close }`, RFC 3339 in New York time with its offset
 *   (`2022-04-28T16:00:00-04:00`), the timestamp to nanoseconds. `next_close` is the next close after now
 *   (while open, this session's), `next_open` the next open after now.
 * - `/v2/calendar` (https://docs.alpaca.markets/reference/getcalendar-1): one entry per trading day between
 *   `start` and `end` (inclusive), `{ date, open, close, session_open, session_close, settlement_date }`,
 *   dates and times in New York, early closes in `close`; holidays and weekends have no entry.
 *
 * Alpaca's calendar is New York's, so the fake's sessions are always in America/New_York. Wall times are
 * converted with the engine's own functions (the adapter uses them too; test-utils must not import it).
 */
import { instantOfWallTime, wallTimeOf } from '@acx/engine'

/** A trading day as the calendar lists it: `date` `YYYY-MM-DD`, `open`/`close` `HH:MM`, New York time. */
export interface FakeCalendarDay {
  readonly date: string
  readonly open: string
  readonly close: string
}

/**
 * When the fake's equities trade (crypto pairs trade around the clock whatever this says).
 *
 * - `open` (the default): open whenever asked, so a test that does not care about market hours trades at
 *   any hour. `/v2/clock` says open, closing a day after now and opening again a day later; the calendar
 *   lists no sessions (no schedule produces this).
 * - `fixed`: `/v2/clock` answers exactly this (times in epoch ms), for states a schedule cannot produce,
 *   or to pin a state while the real clock runs. `/v2/calendar` answers `calendar`; without it, the one
 *   session the clock describes while closed (its next open to its next close, which must fall on the same
 *   New York day and on whole minutes), none while open.
 * - `session`: a weekday session in New York time, `open`–`close` (default 09:30–16:00), without the
 *   `holidays` (dates) and closing early on the `earlyCloses` days (date → `HH:MM`). Both endpoints
 *   follow it at the server's `now()`.
 */
export type FakeMarketHours =
  | { readonly kind: 'open' }
  | {
      readonly kind: 'fixed'
      readonly isOpen: boolean
      readonly nextOpenMs: number
      readonly nextCloseMs: number
      readonly calendar?: readonly FakeCalendarDay[]
    }
  | {
      readonly kind: 'session'
      readonly open?: string
      readonly close?: string
      readonly holidays?: readonly string[]
      readonly earlyCloses?: Readonly<Record<string, string>>
    }

const NEW_YORK = 'America/New_York'
const DAY_MS = 86_400_000
const DATE = /^\d{4}-\d{2}-\d{2}$/
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/
/** The longest calendar range the fake lists (Alpaca serves 1970–2029; no test needs that). */
const MAX_CALENDAR_DAYS = 3_660

/** New York wall time of an instant, as if it were UTC (ms), whole seconds. */
const wallMs = (utcMs: number): number => wallTimeOf(NEW_YORK, utcMs)

const offsetMs = (utcMs: number): number => wallMs(utcMs) - Math.floor(utcMs / 1000) * 1000

/** The instant of a New York wall time (`date` `YYYY-MM-DD`, `hhmm` `HH:MM`). */
function newYorkInstant(date: string, hhmm: string): number {
  const m = HHMM.exec(hhmm)
  if (!DATE.test(date) || !m) throw new Error(`not a New York date and time: ${date} ${hhmm}`)
  return instantOfWallTime(NEW_YORK, Date.parse(`${date}T00:00:00Z`) + (Number(m[1]) * 60 + Number(m[2])) * 60_000)
}

/** The New York date (`YYYY-MM-DD`) of an instant. */
const newYorkDate = (utcMs: number): string => new Date(wallMs(utcMs)).toISOString().slice(0, 10)

const newYorkHhmm = (utcMs: number): string => new Date(wallMs(utcMs)).toISOString().slice(11, 16)

/** RFC 3339 in New York time with its offset, as Alpaca writes clock times (`nanos`: the timestamp's nine digits). */
function newYorkIso(utcMs: number, nanos = false): string {
  const off = Math.round(offsetMs(utcMs) / 60_000)
  const sign = off < 0 ? '-' : '+'
  const abs = Math.abs(off)
  const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
  const wall = new Date(wallMs(utcMs)).toISOString().slice(0, 19)
  const fraction = nanos ? `.${String(((utcMs % 1000) + 1000) % 1000).padStart(3, '0')}000000` : ''
  return `${wall}${fraction}${zone}`
}

const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)

const isWeekday = (date: string): boolean => {
  const d = new Date(`${date}T00:00:00Z`).getUTCDay()
  return d !== 0 && d !== 6
}

/** Checks market hours; throws naming what is wrong. */
export function assertFakeMarketHours(hours: FakeMarketHours): void {
  if (hours.kind === 'fixed') {
    if (!Number.isFinite(hours.nextOpenMs) || !Number.isFinite(hours.nextCloseMs))
      throw new Error('fixed market hours: nextOpenMs and nextCloseMs must be finite')
    for (const d of hours.calendar ?? []) {
      if (!DATE.test(d.date) || !HHMM.test(d.open) || !HHMM.test(d.close))
        throw new Error(`fixed market hours: bad calendar day ${JSON.stringify(d)}`)
    }
    return
  }
  if (hours.kind !== 'session') return
  const open = hours.open ?? '09:30'
  const close = hours.close ?? '16:00'
  if (!HHMM.test(open) || !HHMM.test(close) || close <= open)
    throw new Error(`session: open ${open} and close ${close} must be HH:MM, the close after the open`)
  for (const d of hours.holidays ?? []) if (!DATE.test(d)) throw new Error(`session: holiday ${d} is not YYYY-MM-DD`)
  for (const [d, c] of Object.entries(hours.earlyCloses ?? {})) {
    if (!DATE.test(d) || !HHMM.test(c) || c <= open) throw new Error(`session: early close ${d} ${c} is not valid`)
  }
}

interface Session {
  readonly date: string
  readonly open: string
  readonly close: string
}

/** The schedule of a `session`: whether a date trades, and its session. */
function schedule(hours: Extract<FakeMarketHours, { kind: 'session' }>) {
  const holidays = new Set(hours.holidays ?? [])
  const trades = (date: string): boolean => isWeekday(date) && !holidays.has(date)
  const sessionOn = (date: string): Session => ({
    date,
    open: hours.open ?? '09:30',
    close: hours.earlyCloses?.[date] ?? hours.close ?? '16:00',
  })
  const nextTradingDay = (after: string): string => {
    let d = addDays(after, 1)
    for (let i = 0; i < 366 && !trades(d); i++) d = addDays(d, 1)
    if (!trades(d)) throw new Error(`no trading day within a year after ${after}`)
    return d
  }
  return { trades, sessionOn, nextTradingDay }
}

const openOf = (s: Session): number => newYorkInstant(s.date, s.open)
const closeOf = (s: Session): number => newYorkInstant(s.date, s.close)

interface ClockState {
  readonly isOpen: boolean
  readonly nextOpenMs: number
  readonly nextCloseMs: number
}

function clockState(hours: FakeMarketHours, nowMs: number): ClockState {
  switch (hours.kind) {
    case 'open':
      return { isOpen: true, nextCloseMs: nowMs + DAY_MS, nextOpenMs: nowMs + 2 * DAY_MS }
    case 'fixed':
      return hours
    case 'session': {
      const { trades, sessionOn, nextTradingDay } = schedule(hours)
      const today = newYorkDate(nowMs)
      const todays = trades(today) ? sessionOn(today) : undefined
      if (todays && nowMs >= openOf(todays) && nowMs < closeOf(todays)) {
        return { isOpen: true, nextCloseMs: closeOf(todays), nextOpenMs: openOf(sessionOn(nextTradingDay(today))) }
      }
      const next = todays && nowMs < openOf(todays) ? todays : sessionOn(nextTradingDay(today))
      return { isOpen: false, nextOpenMs: openOf(next), nextCloseMs: closeOf(next) }
    }
  }
}

/** The `GET /v2/clock` body at `nowMs`. */
export function clockBody(hours: FakeMarketHours, nowMs: number): Record<string, unknown> {
  const c = clockState(hours, nowMs)
  return {
    timestamp: newYorkIso(nowMs, true),
    is_open: c.isOpen,
    next_open: newYorkIso(c.nextOpenMs),
    next_close: newYorkIso(c.nextCloseMs),
  }
}

/** A calendar query bound: `YYYY-MM-DD`, or an RFC 3339 time whose date part is taken as written. */
function dateParam(raw: string | undefined, fallback: string): string | undefined {
  if (raw === undefined || raw === '') return fallback
  const d = raw.slice(0, 10)
  return DATE.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) ? d : undefined
}

type CalendarAnswer =
  | { readonly ok: true; readonly body: readonly Record<string, unknown>[] }
  | { readonly ok: false; readonly message: string }

/**
 * The `GET /v2/calendar` body for the `start`/`end` query at `nowMs`. Without `start`, from today (New
 * York); without `end`, 30 days after `start`.
 */
export function calendarBody(
  hours: FakeMarketHours,
  query: Readonly<Record<string, string>>,
  nowMs: number,
): CalendarAnswer {
  const start = dateParam(query['start'], newYorkDate(nowMs))
  const end = start === undefined ? undefined : dateParam(query['end'], addDays(start, 30))
  if (start === undefined || end === undefined) return { ok: false, message: 'invalid start or end' }
  const days = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS
  if (days > MAX_CALENDAR_DAYS) return { ok: false, message: `at most ${MAX_CALENDAR_DAYS} days in this fake` }
  const inRange = (d: string): boolean => d >= start && d <= end
  let sessions: Session[] = []
  let next = (date: string): string => {
    let n = addDays(date, 1)
    while (!isWeekday(n)) n = addDays(n, 1)
    return n
  }
  switch (hours.kind) {
    case 'open':
      break
    case 'fixed': {
      const listed =
        hours.calendar ??
        (hours.isOpen
          ? []
          : [
              {
                date: newYorkDate(hours.nextOpenMs),
                open: newYorkHhmm(hours.nextOpenMs),
                close: newYorkHhmm(hours.nextCloseMs),
              },
            ])
      sessions = [...listed].filter((s) => inRange(s.date)).sort((a, b) => a.date.localeCompare(b.date))
      break
    }
    case 'session': {
      const { trades, sessionOn, nextTradingDay } = schedule(hours)
      for (let d = start; d <= end; d = addDays(d, 1)) if (trades(d)) sessions.push(sessionOn(d))
      next = nextTradingDay
    }
  }
  return {
    ok: true,
    body: sessions.map((s) => ({
      date: s.date,
      open: s.open,
      close: s.close,
      session_open: '0400',
      session_close: '2000',
      settlement_date: next(s.date), // T+1
    })),
  }
}
