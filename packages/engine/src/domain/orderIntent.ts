import type { Decimal } from 'decimal.js'
import { asciiUpper } from './ascii.js'
import { Dec, isDecimal } from './dec.js'
import { MAX_CORRELATION_ID_LENGTH } from './ids.js'
import { isStrategyName, STRATEGY_NAMES, type StrategyName } from './strategyName.js'
import type { Validation, ValidationIssue } from './validation.js'

export const SIDES = ['BUY', 'SELL'] as const
export type Side = (typeof SIDES)[number]
export const URGENCIES = ['LOW', 'MEDIUM', 'HIGH'] as const
export type Urgency = (typeof URGENCIES)[number]
export const CLOSE_TYPES = ['NONE', 'PARTIAL', 'FULL'] as const
export type CloseType = (typeof CLOSE_TYPES)[number]

/** A validated order to execute. */
export interface OrderIntent {
  readonly side: Side
  /** Upper-cased; letters, `.` and `/` only. */
  readonly symbol: string
  /** > 0. */
  readonly quantity: Decimal
  readonly urgency: Urgency
  /** The caller's idempotency key; prefix of every child's client order id. */
  readonly correlationId: string
  readonly closeType: CloseType
  /** Routes to this strategy whatever the urgency. */
  readonly strategy?: StrategyName
}

/** What callers may pass: the quantity as a Decimal, a decimal string or a number; the rest loosely typed. */
export interface OrderIntentInput {
  readonly side: string
  readonly symbol: string
  readonly quantity: Decimal | string | number
  readonly urgency: string
  readonly correlationId: string
  readonly closeType?: string | undefined
  readonly strategy?: string | undefined
}

// Letters, digits, '.' and '/', with at least one letter: BRK.B, BTC/USD, 1INCH/USD, and the symbols
// operators name in ROUTE_SYMBOL_OVERRIDES (e.g. LOWLIQ1), which must be able to match an intent.
const SYMBOL_RE = /^(?=.*[A-Z])[A-Z0-9./]+$/
/**
 * A quantity string: plain decimal digits, no sign, no exponent (`1e900000000000000` is a finite
 * decimal.js value, and no order is that large). At most 15 integer and 9 fractional digits (the
 * smallest fractional lot is 10⁻⁹ of a share); limits on size are the risk gate's job.
 */
const QUANTITY_RE = /^(\d{1,15})(\.\d{1,9})?$/
const MAX_QUANTITY_INTEGER_DIGITS = 15
const MAX_QUANTITY_DECIMAL_PLACES = 9
const CORRELATION_RE = /^[\x21-\x7e]+$/

/** The quantity as an exact decimal, or undefined when it is not one (see QUANTITY_RE). */
function parseQuantity(q: unknown): Decimal | undefined {
  let d: Decimal | undefined
  if (isDecimal(q)) d = new Dec(q)
  else if (typeof q === 'string') d = QUANTITY_RE.test(q.trim()) ? new Dec(q.trim()) : undefined
  else if (typeof q === 'number' && Number.isFinite(q)) d = new Dec(q)
  if (d === undefined || !d.isFinite()) return undefined
  // the same bounds for Decimals and numbers as the string grammar gives strings
  if (d.decimalPlaces() > MAX_QUANTITY_DECIMAL_PLACES || d.abs().gte(new Dec(10).pow(MAX_QUANTITY_INTEGER_DIGITS)))
    return undefined
  return d
}

const oneOf = <T extends string>(values: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (values as readonly string[]).includes(v)

/**
 * Validates an order intent from outside (HTTP body, queue message, embedding code). Returns every
 * problem at once; never throws for bad input.
 */
export function parseOrderIntent(input: unknown): Validation<OrderIntent> {
  const issues: ValidationIssue[] = []
  const issue = (path: string, message: string) => issues.push({ path: [path], message })
  if (typeof input !== 'object' || input === null) {
    return { ok: false, issues: [{ path: [], message: 'expected an object' }] }
  }
  const o = input as Record<string, unknown>

  const side = typeof o.side === 'string' ? asciiUpper(o.side) : o.side
  if (!oneOf(SIDES, side)) issue('side', `must be one of ${SIDES.join(', ')}`)

  const symbol = typeof o.symbol === 'string' ? asciiUpper(o.symbol.trim()) : undefined
  if (symbol === undefined || symbol.length === 0) issue('symbol', 'must be a non-empty string')
  else if (!SYMBOL_RE.test(symbol))
    issue('symbol', 'may contain only letters A–Z, digits, "." and "/", and at least one letter')
  else if (symbol.length > 32) issue('symbol', 'must be at most 32 characters')

  const quantity = parseQuantity(o.quantity)
  if (quantity === undefined) {
    issue(
      'quantity',
      'must be a plain decimal number (digits, optional point: at most 15 digits before it and 9 after)',
    )
  } else if (!quantity.gt(0)) issue('quantity', 'must be greater than 0')

  const urgency = typeof o.urgency === 'string' ? asciiUpper(o.urgency) : o.urgency
  if (!oneOf(URGENCIES, urgency)) issue('urgency', `must be one of ${URGENCIES.join(', ')}`)

  const correlationId = o.correlationId
  if (typeof correlationId !== 'string' || correlationId.length === 0) {
    issue('correlationId', 'must be a non-empty string')
  } else if (correlationId.length > MAX_CORRELATION_ID_LENGTH) {
    issue(
      'correlationId',
      `must be at most ${MAX_CORRELATION_ID_LENGTH} characters (client order ids are capped at 128)`,
    )
  } else if (!CORRELATION_RE.test(correlationId)) {
    issue('correlationId', 'may contain only printable ASCII without spaces')
  }

  const closeType = o.closeType === undefined || o.closeType === null ? 'NONE' : o.closeType
  if (!oneOf(CLOSE_TYPES, closeType)) issue('closeType', `must be one of ${CLOSE_TYPES.join(', ')}`)
  else if (closeType !== 'NONE' && side === 'BUY') issue('closeType', 'a close must be a SELL')

  const strategy = o.strategy === undefined || o.strategy === null ? undefined : o.strategy
  if (strategy !== undefined && !isStrategyName(strategy)) {
    issue('strategy', `must be one of ${STRATEGY_NAMES.join(', ')}`)
  }

  if (issues.length > 0) return { ok: false, issues }
  return {
    ok: true,
    value: {
      side: side as Side,
      symbol: symbol as string,
      quantity: quantity as Decimal,
      urgency: urgency as Urgency,
      correlationId: correlationId as string,
      closeType: closeType as CloseType,
      ...(strategy === undefined ? {} : { strategy: strategy as StrategyName }),
    },
  }
}
