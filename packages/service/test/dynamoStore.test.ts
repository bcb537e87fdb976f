import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb'
import { Dec, clientOrderIdFor, createChildOrder, fillId, parentOrderId, type BrokerOrderId } from '@acx/engine'
import { createDynamoStore } from '../src/persistence/dynamoStore.js'
import { createDynamoTable, dynamoTableDefinition } from '../src/persistence/dynamoTable.js'
import { createTableCommand } from '../src/commands.js'
import type { ExecutionStore } from '../src/persistence/executionStore.js'
import { loadReport } from '../src/report/loadReport.js'
import { FAKE_CREDENTIALS, LOCAL_REGION, startDynalite, type LocalServer } from './support/localAws.js'
import { anIntent } from './support/storeContract.js'

let dynalite: LocalServer
let raw: DynamoDBClient
beforeAll(async () => {
  dynalite = await startDynalite()
  raw = new DynamoDBClient({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: FAKE_CREDENTIALS })
})
afterAll(async () => {
  raw?.destroy()
  await dynalite?.stop()
})

let tables = 0
const connection = () => ({ endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: FAKE_CREDENTIALS })

describe('the DynamoDB table', () => {
  it('is created once; creating it again is fine', async () => {
    const tableName = `acx-table-${++tables}`
    expect(await createDynamoTable({ tableName, ...connection() })).toEqual({ created: true })
    expect(await createDynamoTable({ tableName, ...connection() })).toEqual({ created: false })
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }))
    expect(Table?.TableStatus).toBe('ACTIVE')
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(['byCreated', 'byStatus', 'bySymbol'])
  })

  it('has string keys, on-demand billing and GSIs that project everything', () => {
    const def = dynamoTableDefinition('acx-executions')
    expect(def.BillingMode).toBe('PAY_PER_REQUEST')
    expect(def.AttributeDefinitions?.every((a) => a.AttributeType === 'S')).toBe(true)
    expect(def.GlobalSecondaryIndexes?.every((i) => i.Projection?.ProjectionType === 'ALL')).toBe(true)
    expect(() => dynamoTableDefinition('')).toThrowError(/invalid DynamoDB table name/)
    expect(() => dynamoTableDefinition('ab')).toThrowError(/invalid DynamoDB table name/)
    expect(() => dynamoTableDefinition('acx/executions')).toThrowError(/invalid DynamoDB table name/)
  })

  it('is created by `acx dynamodb create-table`', async () => {
    const tableName = `acx-cli-${++tables}`
    // endpoint only: a loopback endpoint gets a region and placeholder credentials
    const run = () => createTableCommand({ table: tableName, endpoint: dynalite.endpoint })
    expect([await run(), await run()]).toEqual([
      `created: table ${tableName} is ACTIVE\n`,
      `exists already: table ${tableName} is ACTIVE\n`,
    ])
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }))
    expect(Table?.TableStatus).toBe('ACTIVE')
  })
})

describe('the DynamoDB store', () => {
  let tableName: string
  let store: ExecutionStore
  beforeEach(async () => {
    tableName = `acx-store-${++tables}`
    await createDynamoTable({ tableName, ...connection() })
    store = createDynamoStore({ tableName, ...connection() })
  })
  afterEach(async () => {
    await store.close()
  })
  const item = async (pk: string, sk: string) =>
    (
      await raw.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
      )
    ).Item

  it('serves `acx report` (a list with no practical limit) over everything it holds', async () => {
    for (let i = 0; i < 3; i++) {
      await store.createExecution({ id: `ex-r${i}`, intent: anIntent(`r-${i}`), nowMs: 10 + i })
      await store.setStatus(`ex-r${i}`, 'failed', 20 + i)
    }
    const everything = await store.listExecutions({ limit: Number.MAX_SAFE_INTEGER })
    expect(everything.map((r) => r.id)).toEqual(['ex-r2', 'ex-r1', 'ex-r0'])
    const report = await loadReport(store, { since: null })
    expect(report.rows.find((r) => r.symbol === 'ALL' && r.strategy === 'ALL')?.executions).toBe(3)
  })

  it('stores decimals as strings, never numbers', async () => {
    await store.createExecution({ id: 'ex-1', intent: anIntent('c-1', { quantity: '100.125' }), nowMs: 1 })
    const id = parentOrderId('ex-1')
    const child = createChildOrder({
      clientOrderId: clientOrderIdFor('c-1', 0, 0),
      symbol: 'AAPL',
      side: 'BUY',
      type: 'limit',
      qty: new Dec('0.1'),
      limitPrice: new Dec('190.015'),
      sliceIndex: 0,
      attempt: 0,
      createdAt: 3,
    })
    await store.append({ type: 'child_order_created', executionId: id, atMs: 3, order: child })
    await store.append({
      type: 'fill',
      executionId: id,
      atMs: 4,
      fill: {
        fillId: fillId('f-1'),
        clientOrderId: child.clientOrderId,
        brokerOrderId: 'b-1' as BrokerOrderId,
        qty: new Dec('0.1'),
        price: new Dec('190.0150000001'),
        tsEvent: 4,
        tsInit: 4,
      },
    })
    expect((await item('EX#ex-1', 'EXECUTION'))?.quantity).toEqual({ S: '100.125' })
    const stored = await item('EX#ex-1', `CHILD#${child.clientOrderId}`)
    expect([stored?.qty, stored?.limit_price, stored?.filled_qty, stored?.avg_px]).toEqual([
      { S: '0.1' },
      { S: '190.015' },
      { S: '0' },
      { S: '0' },
    ])
    const fill = await item('EX#ex-1', 'FILL#f-1')
    expect([fill?.qty, fill?.price]).toEqual([{ S: '0.1' }, { S: '190.0150000001' }])
  })

  it('journals every entry, a duplicate fill too, in time order', async () => {
    await store.createExecution({ id: 'ex-1', intent: anIntent('c-1'), nowMs: 1 })
    const id = parentOrderId('ex-1')
    const child = createChildOrder({
      clientOrderId: clientOrderIdFor('c-1', 0, 0),
      symbol: 'AAPL',
      side: 'BUY',
      type: 'market',
      qty: new Dec(1),
      sliceIndex: 0,
      attempt: 0,
      createdAt: 3,
    })
    const fill = {
      fillId: fillId('f-1'),
      clientOrderId: child.clientOrderId,
      brokerOrderId: 'b-1' as BrokerOrderId,
      qty: new Dec(1),
      price: new Dec(2),
      tsEvent: 4,
      tsInit: 4,
    }
    await store.append({
      type: 'execution_started',
      executionId: id,
      atMs: 2,
      intent: anIntent('c-1'),
      strategy: 'twap',
      resumed: false,
    })
    await store.append({ type: 'child_order_created', executionId: id, atMs: 3, order: child })
    await store.append({ type: 'fill', executionId: id, atMs: 4, fill })
    await store.append({ type: 'fill', executionId: id, atMs: 5, fill })
    const { Items = [] } = await raw.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :j)',
        ExpressionAttributeValues: { ':pk': { S: 'EX#ex-1' }, ':j': { S: 'J#' } },
        ConsistentRead: true,
      }),
    )
    expect(Items.map((i) => i.type?.S)).toEqual(['execution_started', 'child_order_created', 'fill', 'fill'])
    expect(JSON.parse(Items[2]!.entry_json!.S!)).toMatchObject({ fill: { fillId: 'f-1', qty: '1', price: '2' } })
    expect(await store.fills('ex-1')).toHaveLength(1)
  })

  it('finishes the create of a worker that died between the correlation guard and the execution', async () => {
    await store.createExecution({ id: 'ex-1', intent: anIntent('c-1'), nowMs: 1 })
    // as if the creator died after writing the guard: the execution item is missing
    await raw.send(
      new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'EX#ex-1' }, sk: { S: 'EXECUTION' } } }),
    )
    expect(await store.getExecutionByCorrelationId('c-1')).toBeNull()
    const again = await store.createExecution({ id: 'ex-2', intent: anIntent('c-1'), nowMs: 5 })
    expect(again.created).toBe(false)
    expect(again.record).toMatchObject({ id: 'ex-1', correlationId: 'c-1', status: 'queued', createdAt: 1 })
    expect(await store.getExecution('ex-2')).toBeNull()
    // queued, held by nobody: a worker takes it over
    expect((await store.orphaned(10)).map((r) => r.id)).toEqual(['ex-1'])
  })

  it('treats a create retried with its own execution id as the same create (a lost response)', async () => {
    await store.createExecution({ id: 'ex-1', intent: anIntent('c-1'), nowMs: 1 })
    await raw.send(
      new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'EX#ex-1' }, sk: { S: 'EXECUTION' } } }),
    )
    const retried = await store.createExecution({ id: 'ex-1', intent: anIntent('c-1'), nowMs: 1 })
    expect(retried).toMatchObject({ created: true, record: { id: 'ex-1', status: 'queued' } })
  })

  it('refuses an execution id used by another correlation id, and frees the correlation id', async () => {
    await store.createExecution({ id: 'ex-1', intent: anIntent('c-1'), nowMs: 1 })
    await expect(store.createExecution({ id: 'ex-1', intent: anIntent('c-2'), nowMs: 2 })).rejects.toThrow(
      /already used/,
    )
    expect((await store.getExecution('ex-1'))!.correlationId).toBe('c-1')
    expect(await store.createExecution({ id: 'ex-2', intent: anIntent('c-2'), nowMs: 3 })).toMatchObject({
      created: true,
    })
  })

  it('connects with only a loopback endpoint (placeholder region and credentials)', async () => {
    const local = createDynamoStore({ tableName, endpoint: dynalite.endpoint })
    try {
      await local.createExecution({ id: 'ex-1', intent: anIntent('c-1'), nowMs: 1 })
      expect((await store.getExecution('ex-1'))!.correlationId).toBe('c-1')
    } finally {
      await local.close()
    }
  })

  it('keeps a lease across store instances and hands it over once it expires', async () => {
    const other = createDynamoStore({ tableName, ...connection() })
    try {
      await store.createExecution({ id: 'ex-1', intent: anIntent('c-1'), nowMs: 1 })
      expect(await store.acquireLease('ex-1', 'w1', 1000, 100)).toBe(true)
      expect(await other.acquireLease('ex-1', 'w2', 1050, 100)).toBe(false)
      expect(await other.orphaned(1050)).toEqual([])
      expect((await other.orphaned(1100)).map((r) => r.id)).toEqual(['ex-1'])
      expect(await other.acquireLease('ex-1', 'w2', 1100, 100)).toBe(true)
      expect(await store.renewLease('ex-1', 'w1', 1101, 100)).toBe(false)
    } finally {
      await other.close()
    }
  })

  it('rejects a missing table name', () => {
    expect(() => createDynamoStore({ tableName: '', ...connection() })).toThrowError(/invalid DynamoDB table name/)
  })
})
