import type { Decimal } from 'decimal.js'
import type { Side } from '../domain/orderIntent.js'
import type { UsableQuote } from '../domain/quote.js'
import type { Clock } from '../ports/clock.js'
import type { RiskCheckCode, RiskLimits, RiskRefusal } from './riskLimits.js'

/** What the gate knows of a parent order when it is admitted or starts. */
export interface ParentRiskInput {
  readonly symbol: string
  readonly quantity: Decimal
  /** The arrival (or intake) mid; null when there is no quote, and then the notional is not checked here. */
  readonly mid: Decimal | null
}

/** A child order about to be journaled and sent. */
export interface ChildRiskInput {
  readonly symbol: string
  readonly side: Side
  readonly qty: Decimal
  readonly limitPrice?: Decimal
  /** The latest usable quote of the execution; null when it never had one. */
  readonly quote: UsableQuote | null
}

export interface HaltState {
  readonly reason: string
  readonly sinceMs: number
}

/**
 * The engine's pre-trade risk gate, one per engine (so its child-order rate counts every execution the
 * engine runs). Every check is a pure comparison except the rate window, which `admitChild` advances
 * only for an order it lets through.
 */
export interface RiskGate {
  readonly limits: RiskLimits
  /** Non-null while trading is halted: nothing passes the gate. */
  readonly halted: HaltState | null
  halt(reason: string): void
  resume(): void
  /** Halt, blocked symbol, quantity, and the notional at `mid` when there is one. */
  checkParent(input: ParentRiskInput): RiskRefusal | null
  /**
   * Halt, blocked symbol, quantity, notional (a limit at its price, a market order at the far touch),
   * the price collar (limits only) and the child-order rate. A market order without any quote is
   * refused: its notional cannot be bounded.
   */
  admitChild(input: ChildRiskInput): RiskRefusal | null
}

const WINDOW_MS = 60_000

const refuse = (code: RiskCheckCode, message: string): RiskRefusal => ({ code, message })

export function createRiskGate(limits: RiskLimits, clock: Clock): RiskGate {
  let halted: HaltState | null = null
  // send times of the child orders let through in the last minute; never longer than the limit
  const sent: number[] = []

  const common = (symbol: string, qty: Decimal): RiskRefusal | null => {
    if (halted) return refuse('RISK_HALTED', `trading is halted: ${halted.reason}`)
    if (limits.blockedSymbols.has(symbol)) return refuse('RISK_BLOCKED_SYMBOLS', `${symbol} is in RISK_BLOCKED_SYMBOLS`)
    if (qty.gt(limits.maxOrderQuantity)) {
      return refuse(
        'RISK_MAX_ORDER_QUANTITY',
        `quantity ${qty.toFixed()} exceeds RISK_MAX_ORDER_QUANTITY ${limits.maxOrderQuantity.toFixed()}`,
      )
    }
    return null
  }

  const notional = (qty: Decimal, price: Decimal, what: string): RiskRefusal | null => {
    const value = qty.mul(price)
    if (!value.gt(limits.maxOrderNotional)) return null
    return refuse(
      'RISK_MAX_ORDER_NOTIONAL',
      `${what} notional ${value.toFixed(2)} (${qty.toFixed()} at ${price.toFixed()}) exceeds RISK_MAX_ORDER_NOTIONAL ${limits.maxOrderNotional.toFixed()}`,
    )
  }

  return {
    limits,
    get halted() {
      return halted
    },
    halt(reason) {
      halted = { reason, sinceMs: clock.now() }
    },
    resume() {
      halted = null
    },

    checkParent({ symbol, quantity, mid }) {
      return common(symbol, quantity) ?? (mid === null ? null : notional(quantity, mid, 'order'))
    },

    admitChild({ symbol, side, qty, limitPrice, quote }) {
      const basic = common(symbol, qty)
      if (basic) return basic
      if (limitPrice === undefined) {
        if (quote === null)
          return refuse('RISK_NO_PRICE', `no quote for ${symbol}: a market order's notional cannot be checked`)
        const far = side === 'BUY' ? quote.ask : quote.bid
        const n = notional(qty, far, 'market order')
        if (n) return n
      } else {
        const n = notional(qty, limitPrice, 'child order')
        if (n) return n
        if (quote === null)
          return refuse('RISK_NO_PRICE', `no quote for ${symbol}: the limit price cannot be checked against a mid`)
        const bps = limitPrice.sub(quote.mid).abs().div(quote.mid).mul(10_000)
        if (bps.gt(limits.priceCollarBps)) {
          return refuse(
            'RISK_PRICE_COLLAR_BPS',
            `limit ${limitPrice.toFixed()} is ${bps.toFixed(1)} bps from the mid ${quote.mid.toFixed()} (RISK_PRICE_COLLAR_BPS ${limits.priceCollarBps})`,
          )
        }
      }
      const now = clock.now()
      while (sent.length > 0 && (sent[0] as number) <= now - WINDOW_MS) sent.shift()
      if (sent.length >= limits.maxChildOrdersPerMinute) {
        return refuse(
          'RISK_MAX_CHILD_ORDERS_PER_MINUTE',
          `${sent.length} child orders in the last minute reach RISK_MAX_CHILD_ORDERS_PER_MINUTE ${limits.maxChildOrdersPerMinute}`,
        )
      }
      sent.push(now)
      return null
    },
  }
}
