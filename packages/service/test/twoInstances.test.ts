// Two service instances on one DynamoDB table (dynalite) and one SQS queue (local-aws-sqs), trading on
// one fake Alpaca. A burst of intents (with duplicates and a poison message) arrives on the queue; one
// instance is killed with SIGKILL mid-execution; the other finishes its work.
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { afterAll, describe, expect, it } from 'vitest'
import { Dec } from '@acx/engine'
import { startFakeAlpaca, type FakeAlpacaServer } from '@acx/test-utils'
import { createDynamoStore } from '../src/persistence/dynamoStore.js'
import { createDynamoTable } from '../src/persistence/dynamoTable.js'
import type { ExecutionStore } from '../src/index.js'
import { killHard, startChildService, type ChildService } from './support/childService.js'
import { startDynalite, startLocalSqs, type LocalServer, type LocalSqs } from './support/localAws.js'
import { eventually } from './support/testService.js'

const INTENTS = [
  ['two-1', 'AAPL', 'BUY', '800'],
  ['two-2', 'MSFT', 'BUY', '600'],
  ['two-3', 'AAPL', 'BUY', '500'],
  ['two-4', 'MSFT', 'BUY', '700'],
  ['two-5', 'AAPL', 'BUY', '400'],
  ['two-6', 'MSFT', 'BUY', '900'],
] as const

describe('two instances on one DynamoDB table and one SQS queue', () => {
  const children: ChildService[] = []
  let dynamo: LocalServer | undefined
  let sqs: LocalSqs | undefined
  let fake: FakeAlpacaServer | undefined
  let store: ExecutionStore | undefined
  afterAll(async () => {
    if (process.env.ACX_TEST_DEBUG) for (const c of children) console.error(c.output().slice(-6000))
    for (const c of children) await killHard(c)
    await store?.close()
    await fake?.close()
    await sqs?.stop()
    await dynamo?.stop()
  }, 20_000)

  it('executes every intent exactly once, and the survivor finishes what the killed one held', async () => {
    dynamo = await startDynalite()
    await createDynamoTable({ tableName: 'acx-two', endpoint: dynamo.endpoint })
    store = createDynamoStore({ tableName: 'acx-two', endpoint: dynamo.endpoint })
    sqs = await startLocalSqs([
      { QueueName: 'intents', Attributes: { VisibilityTimeout: '3' } },
      { QueueName: 'intents-dlq' },
    ])
    fake = await startFakeAlpaca({
      assets: { AAPL: { tradable: true, fractionable: false }, MSFT: { tradable: true, fractionable: false } },
      quotes: { AAPL: { bid: '189.99', ask: '190.01' }, MSFT: { bid: '409.98', ask: '410.02' } },
      buyingPower: '100000000',
    })
    fake.knobs.restingFillRatio = 0.3
    fake.knobs.fillOnCancelRatio = 0.2
    const env = {
      ACX_PORT: '0',
      ACX_LOG_LEVEL: 'info',
      ACX_BROKER: 'alpaca',
      APCA_API_KEY_ID: fake.keyId,
      APCA_API_SECRET_KEY: fake.secretKey,
      APCA_API_BASE_URL: fake.tradingBaseUrl,
      APCA_DATA_BASE_URL: fake.dataBaseUrl,
      ACX_STORE: 'dynamodb',
      ACX_DYNAMODB_TABLE: 'acx-two',
      ACX_DYNAMODB_ENDPOINT: dynamo.endpoint,
      ACX_INTAKE: 'sqs',
      ACX_SQS_QUEUE_URL: sqs.queueUrl('intents'),
      ACX_SQS_DLQ_URL: sqs.queueUrl('intents-dlq'),
      ACX_SQS_ENDPOINT: sqs.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AC_TOTAL_TIME_SECONDS: '4',
      AC_NUM_SLICES: '4',
      AC_SLICE_WAIT_SECONDS: '0.5',
      ORDER_POLL_INTERVAL_SECONDS: '0.05',
      ACX_LEASE_SECONDS: '1.5',
      ACX_TAKEOVER_INTERVAL_SECONDS: '0.25',
      ACX_MAX_CONCURRENT_EXECUTIONS: '8',
      UNKNOWN_OUTCOME_TIMEOUT_SECONDS: '2',
      ACX_ALPACA_MAX_REQUESTS_PER_MINUTE: '100000',
    }
    const w1 = startChildService({ ...env, ACX_WORKER_ID: 'worker-1' })
    const w2 = startChildService({ ...env, ACX_WORKER_ID: 'worker-2' })
    children.push(w1, w2)
    await Promise.all([w1.url, w2.url])

    const send = (body: string) =>
      sqs!.client.send(new SendMessageCommand({ QueueUrl: sqs!.queueUrl('intents'), MessageBody: body }))
    for (const [correlationId, symbol, side, quantity] of INTENTS) {
      const body = JSON.stringify({ side, symbol, quantity, urgency: 'MEDIUM', correlationId })
      await send(body)
      if (correlationId.endsWith('1') || correlationId.endsWith('4')) await send(body) // duplicate deliveries
    }
    await send('{"side":"BUY","symbol":"AAPL","quantity":"-5","urgency":"MEDIUM","correlationId":"poison-1"}')

    // kill a worker while it holds a running execution that has sent orders (whichever got one first:
    // both poll the same queue)
    const workers = { 'worker-1': w1, 'worker-2': w2 } as const
    const { victim, held } = await eventually(async () => {
      const running = await store!.listExecutions({ status: 'running', limit: 100 })
      for (const r of running) {
        if (r.leaseOwner === null || !(r.leaseOwner in workers) || (await store!.childOrders(r.id)).length === 0)
          continue
        return {
          victim: r.leaseOwner as keyof typeof workers,
          held: running.filter((x) => x.leaseOwner === r.leaseOwner).map((x) => x.id),
        }
      }
      return undefined
    }, 20_000)
    await killHard(workers[victim])

    const all = await eventually(async () => {
      const list = await store!.listExecutions({ limit: 100 })
      return list.length === INTENTS.length &&
        list.every((r) => ['filled', 'partially_filled', 'failed', 'cancelled'].includes(r.status))
        ? list
        : undefined
    }, 40_000)

    // every intent executed exactly once, and filled
    expect(all.map((r) => r.correlationId).sort()).toEqual(INTENTS.map(([c]) => c).sort())
    expect(all.map((r) => r.status)).toEqual(new Array(INTENTS.length).fill('filled'))
    // what the killed worker held was finished by the other one
    expect(held.length).toBeGreaterThan(0)
    for (const id of held) expect((await store.getExecution(id))!.resumes).toBeGreaterThanOrEqual(1)
    // no client order id was ever used twice at the broker
    const ids = fake.orders().map((o) => o.client_order_id as string)
    expect(new Set(ids).size).toBe(ids.length)
    // fills exact, per execution and in total, at the broker and in the store
    for (const record of all) {
      const fills = await store.fills(record.id)
      const stored = fills.reduce((s, f) => s.add(f.qty), new Dec(0))
      const atBroker = fake.fills
        .filter((f) => f.clientOrderId.startsWith(`${record.correlationId}-`))
        .reduce((s, f) => s.add(f.qty), new Dec(0))
      expect([record.correlationId, stored.toString()]).toEqual([record.correlationId, record.quantity])
      expect([record.correlationId, atBroker.toString()]).toEqual([record.correlationId, record.quantity])
      // every order the broker has is in the store (a child journaled but never sent, because its
      // worker died first, is in the store only, rejected)
      const children = await store.childOrders(record.id)
      const sent = children
        .filter((c) => c.brokerOrderId !== null)
        .map((c) => c.clientOrderId)
        .sort()
      expect(sent).toEqual(ids.filter((i) => i.startsWith(`${record.correlationId}-`)).sort())
      for (const c of children.filter((x) => x.brokerOrderId === null)) expect(c.status).toBe('rejected')
    }
    expect(fake.positionQty('AAPL').toString()).toBe('1700')
    expect(fake.positionQty('MSFT').toString()).toBe('2200')
    // the poison message went to the dead-letter queue with its reason, and stored nothing
    // (a poison message the killed worker had received comes back after the visibility timeout)
    const dead = await eventually(async () => {
      const r = await sqs!.client.send(
        new ReceiveMessageCommand({
          QueueUrl: sqs!.queueUrl('intents-dlq'),
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
        }),
      )
      return r.Messages?.length ? r : undefined
    }, 15_000)
    // (delivery is at least once: a message received by the killed worker may be dead-lettered twice)
    expect(dead.Messages?.length).toBeGreaterThanOrEqual(1)
    for (const m of dead.Messages ?? []) {
      expect(m.Body).toContain('poison-1')
      expect(m.MessageAttributes?.['acx-error']?.StringValue).toContain('quantity')
    }
    expect(await store.getExecutionByCorrelationId('poison-1')).toBeNull()
  }, 90_000)
})
