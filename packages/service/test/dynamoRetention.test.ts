import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parentOrderId, type ExecutionResult } from '@acx/engine'
import { createDynamoStore } from '../src/persistence/dynamoStore.js'
import { createDynamoTable, DYNAMO_TTL_ATTRIBUTE } from '../src/persistence/dynamoTable.js'
import { anIntent } from './support/storeContract.js'
import { scanTable, startDynalite, type LocalServer } from './support/localAws.js'

const DAY_S = 86_400
const T0 = Date.UTC(2026, 0, 5, 15, 0, 0)

describe('DynamoDB retention (the table TTL)', () => {
  let dynamo: LocalServer
  beforeAll(async () => {
    dynamo = await startDynalite()
  })
  afterAll(() => dynamo.stop())

  /** Every item of the table: [pk, sk, expires_at or undefined]. */
  const scan = async (table: string) =>
    (await scanTable(dynamo.endpoint, table)).map(
      (i) => [i.pk!.S, i.sk!.S!.replace(/#.*/, ''), i[DYNAMO_TTL_ATTRIBUTE]?.N] as const,
    )

  /** One execution created at T0, started, finished an hour later; the store's clock is `now`. */
  async function lifecycle(table: string, retentionDays?: number) {
    await createDynamoTable({ tableName: table, endpoint: dynamo.endpoint })
    let now = T0
    const store = createDynamoStore({
      tableName: table,
      endpoint: dynamo.endpoint,
      nowMs: () => now,
      ...(retentionDays !== undefined ? { retentionDays } : {}),
    })
    const id = parentOrderId('ex-ttl')
    await store.createExecution({ id, intent: anIntent('c-ttl'), nowMs: T0 })
    await store.append({ type: 'execution_started', executionId: id, atMs: T0, strategy: 'almgren_chriss' } as never)
    now = T0 + 3_600_000
    const result = { totalFilled: '100', fillPercentage: 100 } as unknown as ExecutionResult
    await store.append({ type: 'execution_finished', executionId: id, atMs: now, status: 'filled', result })
    await store.setHalt({ reason: 'test', sinceMs: now })
    await store.close()
    return scan(table)
  }

  it('stamps execution, guard and journal items with the last write plus ACX_RETENTION_DAYS (epoch s)', async () => {
    const items = await lifecycle('ttl-on', 30)
    const finishedPlus30 = String((T0 + 3_600_000) / 1000 + 30 * DAY_S)
    const startedPlus30 = String(T0 / 1000 + 30 * DAY_S)
    expect([...items].sort()).toEqual(
      [
        ['EX#ex-ttl', 'EXECUTION', finishedPlus30],
        ['CID#c-ttl', 'CORRELATION', finishedPlus30], // touched when its execution finished
        ['EX#ex-ttl', 'J', startedPlus30],
        ['EX#ex-ttl', 'J', finishedPlus30],
        ['CONTROL#halt', 'CONTROL', undefined], // the kill switch never expires
      ].sort(),
    )
  })

  it('stamps nothing when retention is off (ACX_RETENTION_DAYS=0)', async () => {
    const items = await lifecycle('ttl-off', 0)
    expect(items.filter(([, , ttl]) => ttl !== undefined)).toEqual([])
    expect(items.length).toBe(5)
  })
})
