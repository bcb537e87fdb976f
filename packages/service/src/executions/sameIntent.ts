import { Dec, type OrderIntent } from '@acx/engine'
import type { Json } from '../persistence/executionStore.js'

/** The fields of an intent that make it a different order (the correlation id is the key, not a field). */
const FIELDS = ['side', 'symbol', 'quantity', 'urgency', 'closeType', 'strategy'] as const

const text = (v: unknown): string => (v === undefined || v === null ? '(none)' : String(v))

/**
 * The fields in which `intent` differs from the intent stored under the same correlation id; empty for
 * an identical replay. Quantities compare as decimals (`"1000"` equals `"1000.0"`).
 */
export function differingFields(
  stored: Json,
  intent: OrderIntent,
): { readonly field: string; readonly stored: string; readonly sent: string }[] {
  const s = (stored ?? {}) as Record<string, unknown>
  const out: { field: string; stored: string; sent: string }[] = []
  for (const field of FIELDS) {
    const a = s[field]
    const b = field === 'quantity' ? intent.quantity.toFixed() : intent[field]
    const same =
      field === 'quantity'
        ? typeof a === 'string' && new Dec(a).eq(intent.quantity)
        : (field === 'closeType' ? (a ?? 'NONE') : a) === (field === 'closeType' ? (b ?? 'NONE') : b)
    if (!same)
      out.push({
        field,
        stored: text(field === 'quantity' && typeof a === 'string' ? new Dec(a).toFixed() : a),
        sent: text(b),
      })
  }
  return out
}
