// The Lambda artefact as a user deploys it: `npm run bundle` builds one file, which is copied alone into
// an empty folder (no node_modules anywhere above it) and invoked in a separate Node process, the way
// Lambda's Node runtime loads `index.handler`. Its world is the real protocols on 127.0.0.1: DynamoDB
// (dynalite), SQS (local-aws-sqs, whose messages make the event), Secrets Manager (a fake of its JSON
// edge holding the Alpaca keys) and Alpaca (the fake Alpaca server).
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs'
import { execFile, execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeAlpaca, type FakeAlpacaServer } from '@acx/test-utils'
import { createDynamoStore } from '../src/persistence/dynamoStore.js'
import { createDynamoTable, DYNAMO_TTL_ATTRIBUTE } from '../src/persistence/dynamoTable.js'
import type { SqsBatchResponse } from '../src/lambda/handler.js'
import {
  scanTable,
  startDynalite,
  startFakeSecretsManager,
  startLocalSqs,
  type FakeSecretsManager,
  type LocalServer,
  type LocalSqs,
} from './support/localAws.js'

const run = promisify(execFile)
const packageDir = join(import.meta.dirname, '..')
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:acx-dev/alpaca-AbCdEf'
const TABLE = 'acx-lambda'

/** What the Lambda runtime does: import the module, call `handler` once per event, in one process. */
const INVOKER = `
import { readFileSync, writeFileSync } from 'node:fs'
const [eventsFile, outFile] = process.argv.slice(2)
const { handler } = await import('./index.mjs')
const out = []
for (const event of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
  const deadline = Date.now() + 120_000
  out.push(await handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() }))
}
writeFileSync(outFile, JSON.stringify(out))
process.exit(0) // Lambda freezes the process instead; the broker's stream would keep it alive
`

/** Runs the invoker; a failure carries the function's last log lines. */
async function invokeIn(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run(process.execPath, ['invoke.mjs', 'events.json', 'out.json'], { cwd: dir, timeout: 60_000, env })
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${e.message}\n${(e.stdout ?? '').slice(-4000)}\n${(e.stderr ?? '').slice(-2000)}`, { cause: err })
  }
}

/** An SQS message as the event source mapping hands it to the function. */
const record = (m: Message, queueArn: string) => ({
  messageId: m.MessageId!,
  receiptHandle: m.ReceiptHandle!,
  body: m.Body!,
  attributes: m.Attributes ?? {},
  messageAttributes: {},
  md5OfBody: m.MD5OfBody!,
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: 'us-east-1',
})

describe('the Lambda artefact, alone in an empty folder', () => {
  let dir: string
  let dynamo: LocalServer
  let sqs: LocalSqs
  let secrets: FakeSecretsManager
  let fake: FakeAlpacaServer
  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'bundle'], { cwd: packageDir, stdio: 'pipe' })
    dir = mkdtempSync(join(tmpdir(), 'acx-lambda-'))
    copyFileSync(join(packageDir, 'build/lambda/index.mjs'), join(dir, 'index.mjs'))
    writeFileSync(join(dir, 'invoke.mjs'), INVOKER)
    dynamo = await startDynalite()
    await createDynamoTable({ tableName: TABLE, endpoint: dynamo.endpoint })
    sqs = await startLocalSqs([
      { QueueName: 'intents-dlq' },
      {
        QueueName: 'intents',
        Attributes: {
          VisibilityTimeout: '600',
          RedrivePolicy: JSON.stringify({
            maxReceiveCount: 1,
            deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:intents-dlq',
          }),
        },
      },
    ])
    fake = await startFakeAlpaca({
      assets: { AAPL: { tradable: true, fractionable: false } },
      quotes: { AAPL: { bid: '189.99', ask: '190.01' } },
      buyingPower: '100000000',
    })
    secrets = await startFakeSecretsManager({
      [SECRET_ARN]: JSON.stringify({ APCA_API_KEY_ID: fake.keyId, APCA_API_SECRET_KEY: fake.secretKey }),
    })
  }, 60_000)
  afterAll(async () => {
    await fake?.close()
    await secrets?.stop()
    await sqs?.stop()
    await dynamo?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('is one minified file with no native module, under 1.5 MB', () => {
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'invoke.mjs'])
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8')
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(1.5 * 1024 * 1024)
    for (const absent of ['better-sqlite3', 'fastify', 'prom-client', 'client-sqs']) expect(code).not.toContain(absent)
  })

  it('executes a good intent once, skips its duplicate and reports the poison message', async () => {
    const intent = { side: 'BUY', symbol: 'AAPL', quantity: '300', urgency: 'MEDIUM', correlationId: 'bundle-1' }
    const queueUrl = sqs.queueUrl('intents')
    for (const body of [JSON.stringify(intent), JSON.stringify(intent), '{"side": "BUY", "symbol": ']) {
      await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }))
    }
    const received = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    )
    const messages = received.Messages ?? []
    expect(messages).toHaveLength(3)
    const poison = messages.find((m) => m.Body!.endsWith(': '))!
    const event = { Records: messages.map((m) => record(m, 'arn:aws:sqs:us-east-1:123456789012:intents')) }
    // a second invocation in the same process (a warm start): the duplicate again
    const warm = {
      Records: [
        record(
          messages.find((m) => m !== poison)!,
          'arn:aws:sqs:us-east-1:123456789012:intents',
        ),
      ],
    }
    writeFileSync(join(dir, 'events.json'), JSON.stringify([event, warm]))

    // only what the function's configuration would set: no NODE_PATH, no inherited options
    await invokeIn(dir, {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      ACX_STORE: 'dynamodb',
      ACX_DYNAMODB_TABLE: TABLE,
      ACX_DYNAMODB_ENDPOINT: dynamo.endpoint,
      ACX_RETENTION_DAYS: '30',
      ACX_BROKER: 'alpaca',
      ACX_ALPACA_SECRET_ARN: SECRET_ARN,
      ACX_SECRETS_MANAGER_ENDPOINT: secrets.endpoint,
      APCA_API_BASE_URL: fake.tradingBaseUrl,
      APCA_DATA_BASE_URL: fake.dataBaseUrl,
      ACX_LOG_LEVEL: 'info',
      AC_TOTAL_TIME_SECONDS: '1',
      AC_MAX_HORIZON_SECONDS: '2', // what the participation cap may stretch it to (the time budget counts it)
      AC_NUM_SLICES: '2',
      AC_SLICE_WAIT_SECONDS: '0.25',
      ORDER_POLL_INTERVAL_SECONDS: '0.05',
    })
    const [first, second] = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as SqsBatchResponse[]
    expect(first!.batchItemFailures).toEqual([{ itemIdentifier: poison.MessageId }])
    expect(second!.batchItemFailures).toEqual([])
    // the keys were read once, for the cold start, and never from the environment
    expect(secrets.reads()).toEqual([SECRET_ARN])

    const store = createDynamoStore({ tableName: TABLE, endpoint: dynamo.endpoint })
    try {
      const list = await store.listExecutions({ limit: 10 })
      expect(list.map((r) => [r.correlationId, r.status, r.quantity, r.strategy])).toEqual([
        ['bundle-1', 'filled', '300', 'almgren_chriss'],
      ])
      const filledAtBroker = fake.fills.reduce((sum, f) => sum + f.qty.toNumber(), 0)
      expect(filledAtBroker).toBe(300)
    } finally {
      await store.close()
    }

    // as the event source mapping does: the successes are deleted, the failure comes back and, past
    // maxReceiveCount, moves to the dead-letter queue as it was sent
    for (const m of messages.filter((x) => x !== poison))
      await sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }))
    await sqs.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: poison.ReceiptHandle!,
        VisibilityTimeout: 0,
      }),
    )
    const dead = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl('intents-dlq'), MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    )
    expect(dead.Messages?.map((m) => m.Body)).toEqual([poison.Body])
  }, 90_000)

  it("stamps every item of the execution with the table's TTL attribute (ACX_RETENTION_DAYS is set)", async () => {
    const items = await scanTable(dynamo.endpoint, TABLE)
    const data = items.filter((i) => !['control', 'probe'].includes(i.kind?.S ?? ''))
    // the execution, its correlation guard, child orders, fills and journal entries
    expect(data.length).toBeGreaterThan(5)
    expect(data.filter((i) => i[DYNAMO_TTL_ATTRIBUTE]?.N === undefined)).toEqual([])
  })
})
