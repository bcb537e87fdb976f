// `acx submit`: one order intent to a running acx, over its HTTP API or onto its intake queue. The intent
// is checked first with the service's own parser, so a bad one is refused here with the answer the API
// would give, and nothing is sent.
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { parseStrictJson } from '../http/strictJson.js'
import { parseIntent } from '../intake/parseIntent.js'

/** Where the intent goes: the service's `POST /v1/orders`, or the SQS queue its Lambda (or consumer) reads. */
export type SubmitTarget =
  | {
      readonly kind: 'http'
      /** The service's base URL, e.g. `http://127.0.0.1:8080`. */
      readonly url: string
      /** Bearer token (ACX_API_TOKEN of the service); sent, never printed. */
      readonly token?: string | undefined
    }
  | {
      readonly kind: 'sqs'
      readonly queueUrl: string
      /** A local server (e.g. `http://127.0.0.1:9324`); default: AWS. */
      readonly endpoint?: string | undefined
      readonly region?: string | undefined
    }

export interface SubmitDeps {
  readonly fetch?: typeof fetch
  readonly sqs?: Pick<SQSClient, 'send'>
}

/**
 * What came back, in the API's vocabulary: `answer` is the API's JSON body (`{executionId, correlationId,
 * status, created}` or `{error, message, issues?}`), or for the queue `{queued: true, messageId,
 * correlationId, queueUrl}`. `ok` is false for a refusal (here, or by the service).
 */
export interface SubmitOutcome {
  readonly ok: boolean
  /** False when the intent was refused here and nothing was sent. */
  readonly sent: boolean
  /** The HTTP status (400 for an intent refused before sending). */
  readonly status?: number
  readonly answer: unknown
}

/** An intent from text (`--json`): strict JSON as the API parses it, so a duplicate key is refused here too. */
export function intentFromJson(text: string): { ok: true; body: unknown } | { ok: false; answer: unknown } {
  try {
    return { ok: true, body: parseStrictJson(text) }
  } catch (err) {
    return {
      ok: false,
      answer: { error: 'SERVICE_INVALID_REQUEST', message: `--json: ${(err as Error).message}` },
    }
  }
}

/** Checks the intent as the service does, then sends it; nothing is sent for an invalid intent. */
export async function submitIntent(body: unknown, target: SubmitTarget, deps: SubmitDeps = {}): Promise<SubmitOutcome> {
  const checked = parseIntent(body)
  if (!checked.ok) {
    return {
      ok: false,
      sent: false,
      status: 400,
      answer: { error: 'SERVICE_INVALID_REQUEST', message: 'The request is invalid', issues: checked.issues },
    }
  }
  const text = JSON.stringify(body)
  if (target.kind === 'http') {
    const res = await (deps.fetch ?? fetch)(new URL('/v1/orders', target.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
      },
      body: text,
    })
    const raw = await res.text()
    let answer: unknown
    try {
      answer = JSON.parse(raw)
    } catch {
      answer = { error: 'SUBMIT_BAD_RESPONSE', message: `HTTP ${res.status}: not JSON (${raw.slice(0, 200)})` }
    }
    return { ok: res.ok, sent: true, status: res.status, answer }
  }
  const owned = deps.sqs
    ? undefined
    : new SQSClient({
        ...(target.endpoint ? { endpoint: target.endpoint } : {}),
        ...(target.region ? { region: target.region } : {}),
      })
  try {
    const sent = await (deps.sqs ?? owned!).send(
      new SendMessageCommand({ QueueUrl: target.queueUrl, MessageBody: text }),
    )
    return {
      ok: true,
      sent: true,
      answer: {
        queued: true,
        messageId: sent.MessageId,
        correlationId: checked.intent.correlationId,
        queueUrl: target.queueUrl,
      },
    }
  } finally {
    owned?.destroy()
  }
}
