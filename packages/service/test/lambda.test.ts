import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAcConfig } from '@acx/engine'
import type { SqsBatchResponse, SqsEvent, LambdaContext } from '../src/lambda/handler.js'
import { checkTimeBudget, longestPlannedSeconds, plannedSeconds } from '../src/lambda/timeBudget.js'
import { createSqliteStore } from '../src/index.js'
import { tempDir } from './support/testService.js'

const context = (remainingMs: number): LambdaContext => ({ getRemainingTimeInMillis: () => remainingMs })
const message = (messageId: string, body: unknown): SqsEvent['Records'][number] => ({
  messageId,
  body: typeof body === 'string' ? body : JSON.stringify(body),
})
const intent = (correlationId: string, extra: Record<string, unknown> = {}) => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '500',
  urgency: 'MEDIUM',
  correlationId,
  ...extra,
})

describe('the time budget', () => {
  const config = createAcConfig()
  it('adds the cancel confirmation and the market fallback to the AC horizon', () => {
    const { cancelConfirmTimeoutSeconds: c, marketOrderTimeoutSeconds: m } = config.execution
    // the participation cap (default 10 %) may extend the horizon up to AC_MAX_HORIZON_SECONDS
    expect(plannedSeconds(config, 'almgren_chriss', 'AAPL')).toBe(config.impact.maxHorizonSeconds + c + m)
    const uncapped = createAcConfig({ impact: { maxParticipation: null } })
    expect(plannedSeconds(uncapped, 'almgren_chriss', 'AAPL')).toBe(300 + c + m)
    expect(plannedSeconds(config, 'market', 'AAPL')).toBe(m)
    expect(plannedSeconds(config, 'walk_the_book', 'AAPL')).toBe(3 * (10 + c) + m)
  })
  it('refuses what cannot finish before the invocation ends, counting the time scale', () => {
    const capped = createAcConfig({ impact: { maxHorizonSeconds: 600 } })
    expect(checkTimeBudget(capped, 'almgren_chriss', 'AAPL', 60_000).fits).toBe(false)
    expect(checkTimeBudget(capped, 'almgren_chriss', 'AAPL', 900_000).fits).toBe(true)
    expect(checkTimeBudget(capped, 'almgren_chriss', 'AAPL', 60_000, 100).fits).toBe(true)
    // the default cap may stretch a large order over hours: no invocation is long enough
    expect(checkTimeBudget(config, 'almgren_chriss', 'AAPL', 900_000).fits).toBe(false)
  })
})

// the handler from source, on SQLite and the simulated market (the bundle, alone: lambdaBundle.test.ts)
describe('the Lambda handler', () => {
  const tmp = tempDir()
  const dbPath = join(tmp.dir, 'lambda.sqlite')
  let handler: (e: SqsEvent, c: LambdaContext) => Promise<SqsBatchResponse>
  beforeAll(async () => {
    Object.assign(process.env, {
      ACX_DB_PATH: dbPath,
      ACX_SIM_TIME_SCALE: '1000',
      ACX_LOG_LEVEL: 'silent',
      AC_NUM_SLICES: '3',
    })
    ;({ handler } = await import('../src/lambda/handler.js'))
  })
  afterAll(() => {
    for (const k of ['ACX_DB_PATH', 'ACX_SIM_TIME_SCALE', 'ACX_LOG_LEVEL', 'AC_NUM_SLICES']) delete process.env[k]
    tmp.cleanup()
  })

  it('runs a batch to completion and reports only the bad messages as failures', async () => {
    const res = await handler(
      {
        Records: [
          message('m1', intent('lambda-1')),
          message('m2', intent('lambda-1')), // duplicate delivery: not run twice, not a failure
          message('m3', '{not json'),
          message('m4', intent('lambda-2', { side: 'HOLD' })),
          message('m5', intent('lambda-3', { urgency: 'HIGH' })),
        ],
      },
      context(60_000),
    )
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm3' }, { itemIdentifier: 'm4' }])
    const store = createSqliteStore({ path: dbPath })
    const list = await store.listExecutions({ limit: 100 })
    expect(list.map((r) => [r.correlationId, r.status]).sort()).toEqual([
      ['lambda-1', 'filled'],
      ['lambda-3', 'filled'],
    ])
    await store.close()
  })

  it('refuses an execution that cannot finish in the time left, before storing anything', async () => {
    const res = await handler({ Records: [message('m6', intent('lambda-4'))] }, context(500))
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm6' }])
    const store = createSqliteStore({ path: dbPath })
    expect(await store.getExecutionByCorrelationId('lambda-4')).toBeNull()
    await store.close()
  })
})

describe('the longest execution a configuration allows', () => {
  it('is the worst strategy over the default and every per-symbol profile', () => {
    const config = createAcConfig({ symbolProfiles: { XYZ: 'small_cap' }, impact: { maxParticipation: null } })
    const { cancelConfirmTimeoutSeconds: c, marketOrderTimeoutSeconds: m } = config.execution
    // small_cap: T 450 s
    expect(longestPlannedSeconds(config)).toEqual({ seconds: 450 + c + m, strategy: 'almgren_chriss', symbol: 'XYZ' })
    expect(longestPlannedSeconds(createAcConfig({ impact: { maxParticipation: null } })).seconds).toBe(300 + c + m)
    expect(longestPlannedSeconds(createAcConfig({ impact: { maxHorizonSeconds: 600 } })).seconds).toBe(600 + c + m)
  })
})
