import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs'
import type { OrderIntent } from '@acx/engine'
import {
  createSqsConsumer,
  type SqsConsumerLogger,
  type SqsConsumer,
  type SqsConsumerOptions,
} from '../src/intake/sqsConsumer.js'
import { checkIntentMessage } from '../src/intake/sqsMessage.js'
import { createDynamoStore } from '../src/persistence/dynamoStore.js'
import { createDynamoTable } from '../src/persistence/dynamoTable.js'
import { createSqliteStore } from '../src/persistence/sqliteStore.js'
import type { ExecutionStore } from '../src/persistence/executionStore.js'
import { FAKE_CREDENTIALS, LOCAL_REGION, startDynalite, startLocalSqs, type LocalSqs } from './support/localAws.js'
import { tempDir } from './support/testService.js'

let sqs: LocalSqs
beforeAll(async () => {
  sqs = await startLocalSqs([])
})
afterAll(async () => {
  await sqs?.stop()
})

const body = (correlationId: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({ side: 'BUY', symbol: 'AAPL', quantity: '100', urgency: 'MEDIUM', correlationId, ...over })

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A gate a test opens when it wants. */
function gate(): { readonly wait: Promise<void>; readonly open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => (open = resolve))
  return { wait, open }
}

function memoryLogger(): SqsConsumerLogger & { readonly lines: Array<{ level: string; msg?: string; obj: object }> } {
  const lines: Array<{ level: string; msg?: string; obj: object }> = []
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj, ...(msg !== undefined ? { msg } : {}) })
  }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

describe('the SQS consumer', { timeout: 20_000 }, () => {
  let tmp: ReturnType<typeof tempDir>
  let store: ExecutionStore
  let queueUrl: string
  let dlqUrl: string
  /** Every execution created (not found) by a submit: what "started" means here. */
  let started: string[]
  let client: SQSClient
  let deletes: number
  const consumers: SqsConsumer[] = []

  /** The service's submit, reduced to its durable part: idempotent by correlation id on a real store. */
  const storeIntent = async (intent: OrderIntent) => {
    const { record, created } = await store.createExecution({ id: randomUUID(), intent, nowMs: Date.now() })
    if (created) started.push(record.id)
    return { created }
  }

  const consumer = (over: Partial<SqsConsumerOptions> = {}) => {
    const c = createSqsConsumer({
      client,
      queueUrl,
      deadLetterQueueUrl: dlqUrl,
      submit: storeIntent,
      logger: memoryLogger(),
      // local-aws-sqs holds a receive open for the whole wait to fill the batch: keep the wait below the
      // visibility timeout, or a message that times out comes back inside the same batch
      waitTimeSeconds: 1,
      maxMessages: 10,
      visibilityTimeoutSeconds: 2,
      ...over,
    })
    consumers.push(c)
    return c
  }
  const send = (messageBody: string, url = queueUrl) =>
    sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: messageBody }))
  /** Messages still on a queue, visible or in flight (local-aws-sqs counts both in ApproximateNumberOfMessages). */
  const onQueue = async (url = queueUrl) => {
    const { Attributes: a } = await sqs.client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    )
    return Number(a?.ApproximateNumberOfMessages ?? 0)
  }
  const executions = async () => (await store.listExecutions({ limit: 1000 })).length

  beforeEach(async () => {
    tmp = tempDir()
    store = createSqliteStore({ path: join(tmp.dir, 'acx.sqlite') })
    started = []
    const name = `intents-${randomUUID().slice(0, 8)}`
    dlqUrl = (await sqs.client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!
    queueUrl = (
      await sqs.client.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '2' } }))
    ).QueueUrl!
    client = new SQSClient({ endpoint: sqs.endpoint, region: LOCAL_REGION, credentials: FAKE_CREDENTIALS })
    // observes (does not change) every DeleteMessage the consumer sends
    deletes = 0
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DeleteMessageCommand') deletes++
        return next(args)
      },
      { step: 'initialize', name: 'countDeletes' },
    )
  })
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop()
    client.destroy()
    await store.close()
    tmp.cleanup()
  })

  it('stores each intent, then deletes its message', async () => {
    const c = consumer()
    c.start()
    await Promise.all(['c-1', 'c-2', 'c-3'].map((id) => send(body(id))))
    await until(async () => (await onQueue()) === 0)
    expect(started).toHaveLength(3)
    expect((await store.getExecutionByCorrelationId('c-2'))!.status).toBe('queued')
    expect(deletes).toBe(3)
  })

  it('deletes nothing before it is stored', async () => {
    const stored = gate()
    const release = gate()
    const c = consumer({
      submit: async (intent) => {
        const out = await storeIntent(intent)
        stored.open()
        await release.wait
        return out
      },
      visibilityTimeoutSeconds: 30,
    })
    await send(body('c-1'))
    const batch = c.pollOnce()
    await stored.wait
    // stored but submit has not returned: the message is still on the queue, no delete sent
    expect(await executions()).toBe(1)
    expect(deletes).toBe(0)
    expect(await onQueue()).toBe(1)
    release.open()
    expect(await batch).toEqual([expect.objectContaining({ outcome: 'started', deleted: true })])
    expect(deletes).toBe(1)
    expect(await onQueue()).toBe(0)
  })

  it('leaves a message whose submit failed, and stores it when it comes back', async () => {
    let fail = true
    const c = consumer({
      submit: async (intent) => {
        if (fail) {
          fail = false
          throw new Error('store unavailable')
        }
        return storeIntent(intent)
      },
    })
    await send(body('c-1'))
    expect(await c.pollOnce()).toEqual([expect.objectContaining({ outcome: 'failed', deleted: false })])
    expect(deletes).toBe(0)
    expect(await executions()).toBe(0)
    c.start()
    await until(async () => (await onQueue()) === 0)
    expect(started).toHaveLength(1)
  })

  it('starts one execution for duplicate deliveries of one intent', async () => {
    const c = consumer()
    await Promise.all([send(body('dup')), send(body('dup')), send(body('dup', { quantity: '5' })), send(body('other'))])
    c.start()
    await until(async () => (await onQueue()) === 0)
    expect(started).toHaveLength(2)
    expect(await executions()).toBe(2)
    expect((await store.getExecutionByCorrelationId('dup'))!.quantity).toMatch(/^(100|5)$/)
    expect(deletes).toBe(4)
  })

  it('sends a poison message to the dead-letter queue with its reason and stores nothing', async () => {
    const c = consumer()
    await send('{"side": "BUY", ')
    await send(body('bad-1', { quantity: '-5', colour: 'red' }))
    await send(body('ok-1'))
    c.start()
    await until(async () => (await onQueue()) === 0 && (await onQueue(dlqUrl)) === 2)
    expect(started).toHaveLength(1)
    expect(await store.getExecutionByCorrelationId('bad-1')).toBeNull()
    const { Messages: dead = [] } = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    )
    const reasons = Object.fromEntries(dead.map((m) => [m.Body, m.MessageAttributes?.['acx-error']?.StringValue]))
    expect(reasons['{"side": "BUY", ']).toMatch(/^body is not acceptable JSON/)
    const bad = reasons[body('bad-1', { quantity: '-5', colour: 'red' })]
    expect(bad).toContain('colour')
    expect(bad).toContain('quantity')
    expect(dead[0]!.MessageAttributes?.['acx-source-queue']?.StringValue).toBe(queueUrl)
  })

  it('dead-letters an intent the service refuses for good (risk limit, reused correlation id) with the refusal as reason', async () => {
    const c = consumer({
      submit: async (intent) =>
        intent.correlationId === 'refused-1'
          ? { refused: 'SERVICE_RISK_LIMIT: quantity 5000000 exceeds RISK_MAX_ORDER_QUANTITY 1000000' }
          : storeIntent(intent),
    })
    await send(body('refused-1'))
    await send(body('fine-1'))
    await send(
      '{"side":"BUY","side":"SELL","symbol":"AAPL","quantity":"1","urgency":"HIGH","correlationId":"dup-keys"}',
    )
    c.start()
    await until(async () => (await onQueue()) === 0 && (await onQueue(dlqUrl)) === 2)
    expect(started).toHaveLength(1)
    const { Messages: dead = [] } = await sqs.client.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    )
    const reasons = dead.map((m) => m.MessageAttributes?.['acx-error']?.StringValue ?? '').sort()
    expect(reasons[0]).toMatch(/^SERVICE_RISK_LIMIT: .*RISK_MAX_ORDER_QUANTITY/)
    expect(reasons[1]).toMatch(/duplicate key "side"/)
  })

  it('receives nothing while the service cannot take intents (queue full, halted, store down), then resumes', async () => {
    let accepting = false
    const c = consumer({ canAccept: () => accepting })
    await send(body('wait-1'))
    c.start()
    await new Promise((r) => setTimeout(r, 1500))
    expect(started).toHaveLength(0)
    expect(await onQueue()).toBe(1) // still there, untouched
    accepting = true
    await until(async () => started.length === 1 && (await onQueue()) === 0)
  })

  it('without a dead-letter queue logs a poison message and leaves it for the redrive policy', async () => {
    const logger = memoryLogger()
    const c = consumer({ deadLetterQueueUrl: undefined, logger })
    await send('not json')
    const [report] = await c.pollOnce()
    expect(report).toMatchObject({
      outcome: 'rejected',
      deleted: false,
      reason: expect.stringMatching(/^body is not acceptable JSON/),
    })
    expect(deletes).toBe(0)
    expect(await onQueue()).toBe(1)
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ reason: report!.reason }) }),
    )
  })

  it('recovers from a consumer killed between store and delete without a second execution', async () => {
    // the first delivery is stored, then the worker "dies" before deleting the message
    let deliveries = 0
    const c = consumer({
      submit: async (intent) => {
        deliveries++
        const out = await storeIntent(intent)
        if (deliveries === 1) throw new Error('killed after the store')
        return out
      },
    })
    await send(body('c-1'))
    c.start()
    await until(async () => (await onQueue()) === 0)
    expect(deliveries).toBe(2) // redelivered after the visibility timeout
    expect(started).toHaveLength(1)
    expect(await executions()).toBe(1)
  })

  it('lets another worker finish a message a dead worker stored but never deleted', async () => {
    const dead = gate()
    const stored = gate()
    const a = consumer({
      submit: async (intent) => {
        const out = await storeIntent(intent)
        stored.open()
        await dead.wait // never returns while the test looks: the worker is gone
        return out
      },
    })
    await send(body('c-1'))
    const first = a.pollOnce()
    await stored.wait
    const b = consumer()
    b.start()
    await until(async () => (await onQueue()) === 0)
    expect(started).toHaveLength(1)
    expect(await executions()).toBe(1)
    dead.open()
    await first
    expect(await executions()).toBe(1)
  })

  it('finishes the batch in flight when stopped', async () => {
    const inSubmit = gate()
    const release = gate()
    const c = consumer({
      submit: async (intent) => {
        inSubmit.open()
        await release.wait
        return storeIntent(intent)
      },
      visibilityTimeoutSeconds: 30,
    })
    c.start()
    await send(body('c-1'))
    await inSubmit.wait
    let stopped = false
    const stopping = c.stop().then(() => (stopped = true))
    await new Promise((r) => setTimeout(r, 100))
    expect(stopped).toBe(false)
    release.open()
    await stopping
    expect(c.running).toBe(false)
    expect(started).toHaveLength(1)
    expect(await onQueue()).toBe(0)
    expect(() => c.start()).toThrow(/stopped/)
  })

  it('stops promptly while long polling an empty queue', async () => {
    const c = consumer({ waitTimeSeconds: 20 })
    c.start()
    await new Promise((r) => setTimeout(r, 100))
    const t0 = Date.now()
    await c.stop()
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  it('keeps polling with a growing pause after a failed receive, and stops during the pause', async () => {
    const logger = memoryLogger()
    const c = consumer({ queueUrl: `${sqs.endpoint}/123456789012/no-such-queue`, logger, errorBackoffMs: 50 })
    c.start()
    const failures = () => logger.lines.filter((l) => l.level === 'error' && l.msg === 'SQS receive failed')
    await until(() => failures().length >= 3)
    expect(
      failures()
        .map((l) => (l.obj as { retryInMs: number }).retryInMs)
        .slice(0, 3),
    ).toEqual([50, 100, 200])
    const t0 = Date.now()
    await c.stop()
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('rejects out-of-range options', () => {
    const base = { queueUrl: 'http://127.0.0.1:1/q', submit: storeIntent, logger: memoryLogger(), client }
    expect(() => createSqsConsumer({ ...base, maxMessages: 11 })).toThrowError(
      expect.objectContaining({ code: 'SERVICE_INVALID_ARGUMENT' }),
    )
    expect(() => createSqsConsumer({ ...base, maxMessages: 0 })).toThrowError(
      expect.objectContaining({ code: 'SERVICE_INVALID_ARGUMENT' }),
    )
    expect(() => createSqsConsumer({ ...base, waitTimeSeconds: 21 })).toThrowError(
      expect.objectContaining({ code: 'SERVICE_INVALID_ARGUMENT' }),
    )
    expect(() => createSqsConsumer({ ...base, waitTimeSeconds: Number.NaN })).toThrowError(
      expect.objectContaining({ code: 'SERVICE_INVALID_ARGUMENT' }),
    )
    expect(() => createSqsConsumer({ ...base, visibilityTimeoutSeconds: -1 })).toThrowError(
      expect.objectContaining({ code: 'SERVICE_INVALID_ARGUMENT' }),
    )
    expect(() => createSqsConsumer({ ...base, queueUrl: '' })).toThrowError(
      expect.objectContaining({ code: 'SERVICE_INVALID_ARGUMENT' }),
    )
  })
})

describe('two SQS consumers on one queue and one DynamoDB table', { timeout: 30_000 }, () => {
  it('start each intent of a burst with duplicates exactly once', async () => {
    const dynalite = await startDynalite()
    const connection = { endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: FAKE_CREDENTIALS }
    const tableName = 'acx-two-workers'
    await createDynamoTable({ tableName, ...connection })
    const queueUrl = (await sqs.client.send(new CreateQueueCommand({ QueueName: `burst-${randomUUID().slice(0, 8)}` })))
      .QueueUrl!
    const created: string[] = []
    const workers = ['w1', 'w2'].map(() => {
      const store = createDynamoStore({ tableName, ...connection })
      const consumer = createSqsConsumer({
        endpoint: sqs.endpoint,
        region: LOCAL_REGION,
        credentials: FAKE_CREDENTIALS,
        queueUrl,
        submit: async (intent) => {
          const out = await store.createExecution({ id: randomUUID(), intent, nowMs: Date.now() })
          if (out.created) created.push(intent.correlationId)
          return out
        },
        logger: memoryLogger(),
        waitTimeSeconds: 1,
        visibilityTimeoutSeconds: 5,
      })
      return { store, consumer }
    })
    try {
      const ids = Array.from({ length: 15 }, (_, i) => `burst-${i}`)
      const bodies = ids.flatMap((id, i) => Array.from({ length: i % 3 === 0 ? 3 : 2 }, () => body(id)))
      await Promise.all(
        bodies.map((b) => sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: b }))),
      )
      for (const w of workers) w.consumer.start()
      const remaining = async () =>
        Number(
          (
            await sqs.client.send(
              new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
            )
          ).Attributes?.ApproximateNumberOfMessages,
        )
      await until(async () => (await remaining()) === 0, 20_000)
      expect([...created].sort()).toEqual([...ids].sort())
      const stored = await workers[0]!.store.listExecutions({ limit: 100 })
      expect(stored.map((r) => r.correlationId).sort()).toEqual([...ids].sort())
    } finally {
      for (const w of workers) {
        await w.consumer.stop()
        await w.store.close()
      }
      await dynalite.stop()
    }
  })
})

describe('checkIntentMessage', () => {
  it('accepts a valid intent and lists every problem of an invalid one', () => {
    expect(checkIntentMessage(body('c-1'))).toMatchObject({ ok: true, intent: { correlationId: 'c-1' } })
    expect(checkIntentMessage(undefined)).toEqual({ ok: false, reason: 'empty message body' })
    expect(checkIntentMessage('[')).toEqual({
      ok: false,
      reason: 'body is not acceptable JSON: unexpected end of input at character 1',
    })
    expect(
      checkIntentMessage(body('c-2', { quantity: 0 }).replace('"quantity":0', '"quantity":9007199254740993')),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('cannot be held exactly') })
    const bad = checkIntentMessage(body('c-1', { side: 'HOLD', quantity: 0 }))
    expect(bad.ok).toBe(false)
    expect(!bad.ok && bad.reason).toMatch(/side: .*; quantity: /)
  })
})
