import type { Logger } from 'pino'
import { loadConfig, formatConfigProblems } from '../config.js'
import { isServiceError, ServiceError } from '../errors.js'
import { checkIntentMessage } from '../intake/sqsMessage.js'
import { createLogger } from '../observability/logger.js'
import { createRuntime, type Runtime } from '../runtime.js'
import { resolveAlpacaKeys } from '../secrets/alpacaSecret.js'
import { checkTimeBudget } from './timeBudget.js'
import { ineffectiveSettings } from '../config/ineffectiveSettings.js'

/** The parts of an SQS event and Lambda context the handler reads (aws-lambda's shapes). */
export interface SqsRecord {
  readonly messageId: string
  readonly body: string
}
export interface SqsEvent {
  readonly Records: readonly SqsRecord[]
}
export interface LambdaContext {
  getRemainingTimeInMillis(): number
}
/** Partial batch response: the messages to keep (retry, then the dead-letter queue). */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>
}

export type MessageOutcome =
  | { readonly kind: 'started'; readonly executionId: string }
  | { readonly kind: 'duplicate'; readonly executionId: string }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'no_time'; readonly reason: string }
  /** Refused at admission (risk limit, idempotency conflict, halt, queue full, store down): retried, then dead-lettered. */
  | { readonly kind: 'refused'; readonly reason: string }

/**
 * One queued intent: validated as an OrderIntent, checked against the invocation's remaining time,
 * stored idempotently by correlation id and started. Its message check is the SQS consumer's.
 */
export async function handleIntentMessage(
  service: Pick<Runtime, 'config' | 'engine' | 'manager'>,
  body: string,
  remainingMs: number,
  logger: Logger,
): Promise<MessageOutcome> {
  // the same check as the SQS consumer's
  const checked = checkIntentMessage(body)
  if (!checked.ok) return { kind: 'invalid', reason: checked.reason }
  const intent = checked.intent
  const strategy = service.engine.route(intent)
  const scale = service.config.ACX_BROKER === 'sim' ? service.config.ACX_SIM_TIME_SCALE : 1
  const budget = checkTimeBudget(service.config.engine, strategy, intent.symbol, remainingMs, scale)
  if (!budget.fits) {
    return {
      kind: 'no_time',
      reason:
        `${strategy} for ${intent.symbol} needs up to ${Math.ceil(budget.neededMs / 1000)} s but the invocation has ` +
        `${Math.floor(remainingMs / 1000)} s left: raise the function timeout (max 900 s) or shorten AC_TOTAL_TIME_SECONDS`,
    }
  }
  let admitted
  try {
    admitted = await service.manager.submit(intent)
  } catch (err) {
    if (isServiceError(err)) return { kind: 'refused', reason: `${err.code}: ${err.message}` }
    throw err
  }
  const { record, created } = admitted
  logger.info(
    { executionId: record.id, correlation_id: record.correlationId, created },
    created ? 'Intent accepted' : 'Duplicate intent',
  )
  return { kind: created ? 'started' : 'duplicate', executionId: record.id }
}

interface Cold {
  readonly runtime: Runtime
  readonly logger: Logger
}
let coldStart: Promise<Cold> | undefined

/**
 * Once per cold start: the settings checked (a bad one fails every invocation, naming it), the Alpaca
 * keys read from ACX_ALPACA_SECRET_ARN, the store and broker opened, unfinished executions recovered.
 * Logs are written synchronously: Lambda freezes the process as soon as the handler returns.
 */
function runtimeFromEnv(): Promise<Cold> {
  coldStart ??= (async () => {
    const loaded = loadConfig(process.env)
    if (!loaded.ok)
      throw new ServiceError(
        'SERVICE_CONFIG_INVALID',
        `invalid configuration:\n${formatConfigProblems(loaded.problems)}`,
      )
    const config = await resolveAlpacaKeys(loaded.config)
    const logger = createLogger(config.ACX_LOG_LEVEL, undefined, { sync: true })
    for (const { variable, message } of ineffectiveSettings(process.env, config.engine.impact.model))
      logger.warn({ setting: variable }, `${variable} ${message}`)
    // no process outlives the invocation to start a scheduled order at the open, so an intent for a
    // closed market is refused (retried by the queue, then dead-lettered with the reason), never stored
    // `scheduled` to wait for a cold start that may not come
    const runtime = await createRuntime({ ...config, ACX_OUTSIDE_HOURS: 'reject' }, logger)
    await runtime.manager.recover()
    return { runtime, logger }
  })().catch((err: unknown) => {
    coldStart = undefined // the next invocation tries again (a secret or table fixed meanwhile)
    throw err
  })
  return coldStart
}

/**
 * AWS Lambda entry for SQS events. Every intent of the batch is started, then the invocation waits for
 * them to finish (Lambda freezes the process once the handler returns). Invalid intents, intents that
 * cannot finish in the remaining time and intents refused at admission (a risk limit, the market closed:
 * ACX_OUTSIDE_HOURS is always `reject` here) are reported as batch item failures with the reason logged,
 * so the queue's redrive policy moves them to the dead-letter queue; duplicates succeed.
 */
export async function handler(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse> {
  const { runtime, logger } = await runtimeFromEnv()
  const failures: SqsBatchResponse['batchItemFailures'] = []
  for (const message of event.Records) {
    const outcome = await handleIntentMessage(runtime, message.body, context.getRemainingTimeInMillis(), logger)
    if (outcome.kind === 'invalid' || outcome.kind === 'no_time' || outcome.kind === 'refused') {
      logger.warn({ messageId: message.messageId, outcome: outcome.kind, reason: outcome.reason }, 'Intent refused')
      failures.push({ itemIdentifier: message.messageId })
    }
  }
  await runtime.manager.idle()
  return { batchItemFailures: failures }
}
