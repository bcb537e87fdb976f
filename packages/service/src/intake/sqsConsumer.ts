import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
  type Message,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { OrderIntent } from '@acx/engine'
import { ServiceError } from '../errors.js'
import { checkIntentMessage } from './sqsMessage.js'

/** pino-compatible. */
export interface SqsConsumerLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface SqsConsumerOptions {
  /** A configured client; when given, `endpoint`, `region` and `credentials` are ignored and it is not destroyed. */
  readonly client?: SQSClient
  readonly endpoint?: string
  readonly region?: string
  readonly credentials?: SQSClientConfig['credentials']
  readonly queueUrl: string
  /**
   * Where invalid messages go, with the reason in the `acx-error` message attribute and the original
   * body unchanged. Without it they are logged and left on the queue, for its redrive policy.
   */
  readonly deadLetterQueueUrl?: string
  /**
   * Stores the intent durably and starts it, idempotently by correlation id (the execution manager's
   * `submit`). The message is deleted only once this resolves.
   */
  readonly submit: (intent: OrderIntent) => Promise<{ readonly created: boolean } | { readonly refused: string }>
  /**
   * Whether the service takes intents now (its queue has room, trading is not halted, the store can be
   * written). While false, nothing is received: messages wait in SQS, the bound of last resort.
   */
  readonly canAccept?: () => boolean
  readonly logger: SqsConsumerLogger
  /** Long-poll wait, 0–20 s; default 20. */
  readonly waitTimeSeconds?: number
  /** Messages per receive, 1–10; default 10. */
  readonly maxMessages?: number
  /** Overrides the queue's visibility timeout for received messages, 0–43200 s. */
  readonly visibilityTimeoutSeconds?: number
  /** First pause after a failed receive, doubled on each further failure up to 30 s; default 1000. */
  readonly errorBackoffMs?: number
}

/**
 * What became of one message: `started` and `duplicate` were stored (and deleted unless `deleted` is
 * false); `dead_lettered` went to the dead-letter queue; `rejected` is invalid and was left for the
 * redrive policy (no dead-letter queue configured); `failed` (submit or dead-lettering threw) was left
 * and comes back after the visibility timeout.
 */
type SqsMessageOutcome = 'started' | 'duplicate' | 'dead_lettered' | 'rejected' | 'failed'

interface SqsMessageReport {
  readonly messageId: string
  readonly outcome: SqsMessageOutcome
  readonly deleted: boolean
  readonly reason?: string
}

export interface SqsConsumer {
  /** Starts the long-polling loop (no-op when running; throws after `stop`). */
  start(): void
  /**
   * Stops polling for good: an in-flight receive is abandoned (its messages come back after the
   * visibility timeout), an in-flight batch is finished first. A client the consumer built is destroyed.
   */
  stop(): Promise<void>
  readonly running: boolean
  /** One receive and its batch, for tests and for callers that drive their own loop. */
  pollOnce(): Promise<readonly SqsMessageReport[]>
}

/** Longest `acx-error` attribute value sent with a dead-lettered message. */
const MAX_REASON = 2048
const MAX_BACKOFF_MS = 30_000
/** While the service cannot take intents, how often it looks again before receiving. */
const SATURATED_POLL_MS = 1_000

function assertRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ServiceError('SERVICE_INVALID_ARGUMENT', `${name} must be an integer from ${min} to ${max}, got ${value}`)
  }
}

const isAbort = (err: unknown): boolean => err instanceof Error && err.name === 'AbortError'

/**
 * Consumes order intents from an SQS queue: each message is validated as an `OrderIntent`, handed to
 * `submit` (store durably, start idempotently), and deleted only once `submit` resolved. A message whose
 * submit fails, or whose consumer dies before the delete, comes back after the visibility timeout and is
 * submitted again; `submit` being idempotent by correlation id, that never starts a second execution.
 * Delivery is at least once, so duplicates are expected and harmless.
 */
export function createSqsConsumer(options: SqsConsumerOptions): SqsConsumer {
  if (!options.queueUrl) throw new ServiceError('SERVICE_INVALID_ARGUMENT', 'queueUrl is required')
  const waitTimeSeconds = options.waitTimeSeconds ?? 20
  const maxMessages = options.maxMessages ?? 10
  const errorBackoffMs = options.errorBackoffMs ?? 1000
  assertRange('waitTimeSeconds', waitTimeSeconds, 0, 20)
  assertRange('maxMessages', maxMessages, 1, 10)
  if (options.visibilityTimeoutSeconds !== undefined) {
    assertRange('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 0, 43_200)
  }
  if (!(errorBackoffMs > 0 && Number.isFinite(errorBackoffMs)))
    throw new ServiceError('SERVICE_INVALID_ARGUMENT', 'errorBackoffMs must be > 0')

  const client =
    options.client ??
    new SQSClient({
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    })
  const owned = options.client === undefined
  const { logger, queueUrl, deadLetterQueueUrl, submit } = options

  let running = false
  let stopped = false
  let destroyed = false
  let loop: Promise<void> | null = null
  let abort: AbortController | null = null

  async function remove(message: Message): Promise<boolean> {
    try {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }))
      return true
    } catch (err) {
      // the message comes back and is submitted again: a duplicate, which submit absorbs
      logger.warn({ err, messageId: message.MessageId }, 'SQS delete failed: the message will be delivered again')
      return false
    }
  }

  async function deadLetter(message: Message, dlq: string, reason: string): Promise<void> {
    const fifo = dlq.endsWith('.fifo')
    await client.send(
      new SendMessageCommand({
        QueueUrl: dlq,
        MessageBody: message.Body || '(empty)',
        MessageAttributes: {
          'acx-error': { DataType: 'String', StringValue: reason.slice(0, MAX_REASON) },
          'acx-source-queue': { DataType: 'String', StringValue: queueUrl },
          'acx-source-message-id': { DataType: 'String', StringValue: message.MessageId ?? 'unknown' },
        },
        ...(fifo
          ? {
              MessageGroupId: message.Attributes?.MessageGroupId ?? 'acx-dead-letters',
              MessageDeduplicationId: message.MessageId,
            }
          : {}),
      }),
    )
  }

  /** A message no retry can make acceptable: to the dead-letter queue with its reason (or left for the redrive policy). */
  async function refuse(message: Message, reason: string, receiveCount: string | undefined): Promise<SqsMessageReport> {
    const messageId = message.MessageId ?? 'unknown'
    if (deadLetterQueueUrl === undefined) {
      logger.warn({ messageId, receiveCount, reason }, 'Refused intent message left for the redrive policy')
      return { messageId, outcome: 'rejected', deleted: false, reason }
    }
    try {
      await deadLetter(message, deadLetterQueueUrl, reason)
    } catch (err) {
      logger.error({ err, messageId, reason }, 'Could not dead-letter a refused intent message: it will come back')
      return { messageId, outcome: 'failed', deleted: false, reason }
    }
    logger.warn({ messageId, receiveCount, reason }, 'Refused intent message sent to the dead-letter queue')
    return { messageId, outcome: 'dead_lettered', deleted: await remove(message), reason }
  }

  async function handle(message: Message): Promise<SqsMessageReport> {
    const messageId = message.MessageId ?? 'unknown'
    const receiveCount = message.Attributes?.ApproximateReceiveCount
    const check = checkIntentMessage(message.Body)
    if (!check.ok) return refuse(message, check.reason, receiveCount)
    const { intent } = check
    let created: boolean
    try {
      const outcome = await submit(intent)
      if ('refused' in outcome) return refuse(message, outcome.refused, receiveCount)
      created = outcome.created
    } catch (err) {
      logger.error(
        { err, messageId, receiveCount, correlation_id: intent.correlationId },
        'Intent not stored: the message will be delivered again',
      )
      return { messageId, outcome: 'failed', deleted: false }
    }
    // stored: only now may the message go
    const deleted = await remove(message)
    logger.info(
      { messageId, receiveCount, correlation_id: intent.correlationId, created, deleted },
      created ? 'Intent accepted from SQS' : 'Duplicate intent from SQS',
    )
    return { messageId, outcome: created ? 'started' : 'duplicate', deleted }
  }

  async function receive(signal?: AbortSignal): Promise<Message[]> {
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: waitTimeSeconds,
        MaxNumberOfMessages: maxMessages,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
        ...(options.visibilityTimeoutSeconds !== undefined
          ? { VisibilityTimeout: options.visibilityTimeoutSeconds }
          : {}),
      }),
      signal ? { abortSignal: signal } : {},
    )
    return out.Messages ?? []
  }

  const processBatch = (messages: readonly Message[]) => Promise.all(messages.map(handle))

  async function run(signal: AbortSignal): Promise<void> {
    let backoffMs = errorBackoffMs
    while (running) {
      if (options.canAccept && !options.canAccept()) {
        await sleep(SATURATED_POLL_MS, undefined, { signal }).catch(() => {})
        continue
      }
      let messages: Message[]
      try {
        messages = await receive(signal)
        backoffMs = errorBackoffMs
      } catch (err) {
        if (!running && (signal.aborted || isAbort(err))) break
        logger.error({ err, queueUrl, retryInMs: backoffMs }, 'SQS receive failed')
        await sleep(backoffMs, undefined, { signal }).catch(() => {})
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)
        continue
      }
      // not abortable: a batch received is always finished
      if (messages.length) await processBatch(messages)
    }
  }

  return {
    start() {
      if (stopped) throw new ServiceError('SERVICE_INVALID_ARGUMENT', 'the SQS consumer was stopped; create a new one')
      if (loop) return
      running = true
      abort = new AbortController()
      logger.info({ queueUrl, deadLetterQueueUrl, waitTimeSeconds, maxMessages }, 'SQS intake started')
      loop = run(abort.signal).catch((err: unknown) => {
        logger.error({ err }, 'SQS intake loop crashed')
      })
    },
    async stop() {
      stopped = true
      if (loop) {
        running = false
        abort?.abort()
        await loop
        loop = null
        abort = null
        logger.info({ queueUrl }, 'SQS intake stopped')
      }
      if (owned && !destroyed) {
        destroyed = true
        client.destroy()
      }
    },
    get running() {
      return running
    },
    async pollOnce() {
      return processBatch(await receive())
    },
  }
}
