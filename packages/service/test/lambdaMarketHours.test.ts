import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SqsBatchResponse, SqsEvent, LambdaContext } from '../src/lambda/handler.js'
import { createSqliteStore } from '../src/index.js'
import { tempDir } from './support/testService.js'

// a one-minute weekday session with the default 5-minute close margin: never open for planning, any day
const ENV = {
  ACX_SIM_SESSION: '00:00-00:01 Etc/UTC',
  ACX_SIM_TIME_SCALE: '1000',
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
