import { parseOrderIntent, type OrderIntent } from '@acx/engine'
import * as z from 'zod'
import type { ServiceErrorIssue } from '../errors.js'

/**
 * Longest correlation id accepted at the edge: shorter than the engine's limit so that a resumed
 * execution's child ids (`{correlationId}.r{n}-s{k}-a{attempt}`) still fit in 128 characters.
 */
export const MAX_INTAKE_CORRELATION_ID = 100

/** The wire shape of an order intent: strict, so unknown fields are rejected rather than ignored. */
export const IntentBody = z.strictObject({
  side: z.string(),
  symbol: z.string(),
  quantity: z.union([z.string(), z.number()]),
  urgency: z.string(),
  correlationId: z.string().min(1).max(MAX_INTAKE_CORRELATION_ID),
  closeType: z.string().optional(),
  strategy: z.string().optional(),
})

/** The correlation id a preview without one is assessed under (nothing is stored under it). */
const PREVIEW_CORRELATION_ID = 'preview'

export type IntentCheck =
  | { readonly ok: true; readonly intent: OrderIntent }
  | { readonly ok: false; readonly issues: readonly ServiceErrorIssue[] }

/**
 * Validates an order intent from HTTP, a queue or the Lambda handler: the wire shape first, then the
 * engine's own rules (side, urgency, symbol characters, quantity > 0, closes must sell). Every problem
 * is listed; nothing is stored or sent for a bad intent. With `correlationIdOptional` (a preview) the
 * correlation id may be left out.
 */
export function parseIntent(body: unknown, options: { readonly correlationIdOptional?: boolean } = {}): IntentCheck {
  // a preview asks about an order without placing it: it needs no correlation id
  if (
    options.correlationIdOptional &&
    body !== null &&
    typeof body === 'object' &&
    !Array.isArray(body) &&
    !('correlationId' in body)
  ) {
    body = { ...body, correlationId: PREVIEW_CORRELATION_ID }
  }
  const shape = IntentBody.safeParse(body)
  const issues: ServiceErrorIssue[] = shape.success
    ? []
    : shape.error.issues.map((i) => ({
        path: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(',') : '(body)'),
        message: i.message,
      }))
  const intent = parseOrderIntent(shape.success ? shape.data : body)
  if (!intent.ok) {
    // the engine's rules, for every field the wire shape did not already reject
    for (const i of intent.issues) {
      const path = i.path.join('.') || '(body)'
      if (!issues.some((known) => known.path === path)) issues.push({ path, message: i.message })
    }
  }
  if (issues.length || !intent.ok) return { ok: false, issues }
  return { ok: true, intent: intent.value }
}
