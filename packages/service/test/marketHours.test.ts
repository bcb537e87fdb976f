// The service around the trading session, on the simulated market's own session (ACX_SIM_SESSION) and a
// fast clock started at a chosen instant: intents while closed are scheduled for the open (or refused),
// an execution never plans past the close, and one the close stops before it sends anything starts
// again at the next open.
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createRealClock, createSimulatedMarket } from '@acx/engine'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from './support/testService.js'

const order = (correlationId: string, extra: Record<string, unknown> = {}) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '100',
  urgency: 'MEDIUM',
  correlationId,
  ...extra,
})
const FINAL = ['filled', 'partially_filled', 'failed', 'cancelled']
const SESSION = '09:30-16:00 America/New_York'
/** Monday 5 January 2026 (New York is UTC−5 in January). */
const NEW_YORK = (hhmmss: string, day = 5) => Date.parse(`2026-01-0${day}T${hhmmss}-05:00`)

describe('market hours', () => {
  let tmp: ReturnType<typeof tempDir>
  const services: RunningService[] = []
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop().catch(() => {})
    tmp.cleanup()
  })

  /** The service on the simulated market with a session, its clock starting at `startMs` and running `scale` × real time. */
  async function start(startMs: number, env: Record<string, string> = {}, scale = 600, quiet = false) {
    tmp = tempDir()
    const offset = startMs - Date.now()
    const clock = createRealClock({ scale, wallNow: () => Date.now() + offset })
    // a quiet market: limit orders rest unfilled, so an execution lasts its whole horizon
    const broker = quiet
      ? createSimulatedMarket({
          clock,
          seed: 7,
          symbols: { AAPL: { price: '190', spread: '0.02' } },
          tradeProbability: 0,
          dailyVolatility: 0,
          session: { open: '09:30', close: '16:00', timeZone: 'America/New_York' },
        })
      : undefined
    const svc = await startService(
      {
        ...FAST_ENV,
        ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'),
        ACX_SIM_SESSION: SESSION,
        ACX_SIM_TIME_SCALE: String(scale),
        AC_TOTAL_TIME_SECONDS: '300',
        AC_CLOSE_MARGIN_SECONDS: '60',
        ...env,
      },
      broker ? { clock, broker } : { clock },
    )
    services.push(svc)
    return svc
  }
  const post = (svc: RunningService, body: unknown) => http(`${svc.url}/v1/orders`, 'POST', body)
  const get = async (svc: RunningService, id: string) => (await http(`${svc.url}/v1/orders/${id}`, 'GET')).json
  const finished = (svc: RunningService, id: string) =>
    eventually(async () => {
      const d = await get(svc, id)
      return FINAL.includes(d.status) ? d : undefined
    }, 20_000)

  it('stores an intent that arrives before the open as scheduled, then runs it from the open', async () => {
    // 30 minutes before the open: 3 s of wall time at 600×, room for a slow start-up
    const svc = await start(NEW_YORK('09:00:00'))
    const r = await post(svc, order('pre-open'))
    expect(r.status).toBe(202)
    expect(r.json.status).toBe('scheduled')
    const scheduled = await get(svc, r.json.executionId)
    expect(scheduled).toMatchObject({ status: 'scheduled', scheduledFor: '2026-01-05T14:30:00.000Z', startedAt: null })
    const preview = await http(`${svc.url}/v1/preview`, 'POST', order('pre-open-preview'))
    expect(preview.json.market).toEqual({
      isOpen: false,
      nextOpen: '2026-01-05T14:30:00.000Z',
      nextClose: '2026-01-05T21:00:00.000Z',
    })
    // planned as it would run from the open
    expect(preview.json.plan.slices[0].plannedStart).toBe('2026-01-05T14:30:00.000Z')
    const done = await finished(svc, r.json.executionId)
    expect(done.status).toBe('filled')
    expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(NEW_YORK('09:30:00'))
    expect(done.scheduledFor).toBeNull()
    const metrics = (await http(`${svc.url}/metrics`, 'GET')).text
    expect(metrics).toMatch(/acx_scheduled_executions_total 1/)
  }, 30_000) // ≈ 4 s of wall time (3 s to the open, the run); a loaded machine takes longer

  it('with ACX_OUTSIDE_HOURS=reject refuses an intent while closed with 422 market_closed, storing nothing', async () => {
    const svc = await start(NEW_YORK('09:00:00'), { ACX_OUTSIDE_HOURS: 'reject' })
    const r = await post(svc, order('rejected'))
    expect(r).toMatchObject({ status: 422, json: { error: 'SERVICE_ORDER_REFUSED', reason: 'market_closed' } })
    expect(r.json.message).toContain('2026-01-05T14:30:00.000Z')
    expect((await http(`${svc.url}/v1/orders/by-correlation-id/rejected`, 'GET')).status).toBe(404)
  })

  it('schedules an intent inside the close margin for the next session, and cancels it there at once', async () => {
    const svc = await start(NEW_YORK('15:59:30'), {}, 1)
    const r = await post(svc, order('in-margin'))
    expect(r.json.status).toBe('scheduled')
    expect((await get(svc, r.json.executionId)).scheduledFor).toBe('2026-01-06T14:30:00.000Z')
    const c = await http(`${svc.url}/v1/orders/${r.json.executionId}/cancel`, 'POST')
    expect(c.status).toBe(202)
    expect(c.json).toMatchObject({ status: 'cancelled', cancelRequested: true, childOrders: [] })
  })

  it('shortens the horizon to end a margin before the close, and shows it', async () => {
    // from 15:56 at 100×: under 240 s to the close, less the 60 s margin: at most 180 s of the configured 300
    const svc = await start(NEW_YORK('15:56:00'), {}, 100)
    const r = await post(svc, order('near-close'))
    const done = await finished(svc, r.json.executionId)
    expect(done.plan).toMatchObject({ shortenedFromSeconds: 300 })
    // the horizon is exactly the time from the start to the margin
    const left = (NEW_YORK('15:59:00') - Date.parse(done.startedAt)) / 1000
    expect(done.plan.horizonSeconds).toBeLessThanOrEqual(180)
    expect(Math.abs(done.plan.horizonSeconds - left)).toBeLessThan(0.5)
    expect(done.result).toMatchObject({ horizonShortenedFromSeconds: 300 })
    expect(Date.parse(done.expectedFinishAt)).toBeLessThanOrEqual(NEW_YORK('15:59:00'))
    expect(svc.logs().some((l) => l.msg === 'Horizon shortened to end before the close')).toBe(true)
  })

  it(
    'starts again at the next open an execution the close stopped before it sent anything',
    { timeout: 30_000 },
    async () => {
      // one at a time: the second waits behind the first, whose horizon (T = 20 min, cut for the close)
      // runs to the margin itself, its slices resting their whole share of it on a quiet market; from
      // 15:50 at 120× that is under 5 s of wall time, with 5 s of room for a slow start-up
      const env = {
        ACX_MAX_CONCURRENT_EXECUTIONS: '1',
        AC_TOTAL_TIME_SECONDS: '1200',
        AC_SLICE_WAIT_SECONDS: '400',
      }
      const svc = await start(NEW_YORK('15:50:00'), env, 120, true)
      const first = await post(svc, order('first'))
      const second = await post(svc, order('second'))
      expect(second.json.status).toBe('queued')
      await finished(svc, first.json.executionId)
      const rescheduled = await eventually(async () => {
        const d = await get(svc, second.json.executionId)
        return d.status === 'scheduled' ? d : undefined
      })
      expect(rescheduled).toMatchObject({ scheduledFor: '2026-01-06T14:30:00.000Z', childOrders: [], result: null })
      const journal = await svc.service.manager.entries(second.json.executionId)
      expect(journal.map((e) => e.type)).toEqual(['execution_started', 'execution_finished'])
      expect(journal[1]!.entry).toMatchObject({ result: { error: { code: 'market_closed' } } })
    },
  )
})
