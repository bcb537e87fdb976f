import type { OrderIntent } from '@acx/engine'
import { parseStrictJson } from '../http/strictJson.js'
import { parseIntent } from './parseIntent.js'

export type IntentMessageCheck =
  { readonly ok: true; readonly intent: OrderIntent } | { readonly ok: false; readonly reason: string }

/**
 * A queue message's body as an `OrderIntent`: JSON, then the same validation as `POST /v1/orders`.
 * The reason lists every problem (`path: message; ...`). Shared by the SQS consumer and the Lambda handler.
 */
export function checkIntentMessage(body: string | undefined): IntentMessageCheck {
  if (body === undefined || body === '') return { ok: false, reason: 'empty message body' }
  let json: unknown
  try {
    // as strict as the HTTP edge: duplicate keys and numbers a double cannot hold are refused
    json = parseStrictJson(body)
  } catch (e) {
    return { ok: false, reason: `body is not acceptable JSON: ${(e as Error).message}` }
  }
  const parsed = parseIntent(json)
  if (!parsed.ok) return { ok: false, reason: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') }
  return { ok: true, intent: parsed.intent }
}
