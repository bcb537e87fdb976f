import type { OrderIntent } from '@acx/engine'
import { parseIntent } from './parseIntent.js'

export type IntentMessageCheck =
  | { readonly ok: true; readonly intent: OrderIntent }
  | { readonly ok: false; readonly reason: string }

/**
 * A queue message's body as an `OrderIntent`: JSON, then the same validation as `POST /v1/orders`.
 * The reason lists every problem (`path: message; ...`). Shared by the SQS consumer and the Lambda handler.
 */
export function checkIntentMessage(body: string | undefined): IntentMessageCheck {
  if (body === undefined || body === '') return { ok: false, reason: 'empty message body' }
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return { ok: false, reason: 'body is not JSON' }
  }
  const parsed = parseIntent(json)
  if (!parsed.ok) return { ok: false, reason: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') }
  return { ok: true, intent: parsed.intent }
}
