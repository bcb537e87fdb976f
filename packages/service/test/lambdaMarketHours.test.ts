import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SqsBatchResponse, SqsEvent, LambdaContext } from '../src/lambda/handler.js'
import { createSqliteStore } from '../src/index.js'
import { tempDir } from './support/testService.js'

/** A one-hour weekday session that is not now, whatever the time of day: three hours ahead or four behind. */
function closedSession(nowMs = Date.now()): string {
  const hour = new Date(nowMs).getUTCHours()
  const open = hour + 3 <= 22 ? hour + 3 : hour - 4
  const hh = (h: number) => String(h).padStart(2, '0')
  return `${hh(open)}:00-${hh(open + 1)}:00 Etc/UTC`
}

const ENV = {
  ACX_SIM_SESSION: closedSession(),
  ACX_SIM_TIME_SCALE: '1',
  ACX_LOG_LEVEL: 'silent',
} as const

describe('the Lambda handler while the market is closed', () => {
  const tmp = tempDir()
  const dbPath = join(tmp.dir, 'lambda-closed.sqlite')
  let handler: (e: SqsEvent, c: LambdaContext) => Promise<SqsBatchResponse>
  beforeAll(async () => {
    Object.assign(process.env, ENV, { ACX_DB_PATH: dbPath })
    ;({ handler } = await import('../src/lambda/handler.js'))
  })
  afterAll(() => {
    for (const k of [...Object.keys(ENV), 'ACX_DB_PATH']) delete process.env[k]
    tmp.cleanup()
  })

  it('returns the intent to the queue instead of storing it scheduled (nothing would start it)', async () => {
    process.env.ACX_OUTSIDE_HOURS = 'queue' // the service's default; the handler refuses all the same
    try {
      const body = JSON.stringify({
        side: 'BUY',
        symbol: 'AAPL',
        quantity: '10',
        urgency: 'MEDIUM',
        correlationId: 'closed-1',
      })
      const res = await handler({ Records: [{ messageId: 'm1', body }] }, { getRemainingTimeInMillis: () => 600_000 })
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }])
    } finally {
      delete process.env.ACX_OUTSIDE_HOURS
    }
    const store = createSqliteStore({ path: dbPath })
    expect(await store.listExecutions({ limit: 10 })).toEqual([])
    await store.close()
  })
})
