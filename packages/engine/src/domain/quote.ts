import type { Decimal } from 'decimal.js'

/** Top of book as the broker reports it. */
export interface Quote {
  readonly symbol: string
  readonly bid: Decimal
  readonly ask: Decimal
  readonly bidSize: Decimal
  readonly askSize: Decimal
  /** When the quote was made (epoch ms), from the quote's own timestamp. */
  readonly timestampMs: number
}

/** Why a quote was adjusted or refused. */
export type QuoteFlag = 'bid_substituted' | 'ask_substituted' | 'stale_refetched'

/** A quote the strategies can price from: both sides positive, bid ≤ ask. */
export interface UsableQuote extends Quote {
  readonly mid: Decimal
  readonly spread: Decimal
  readonly flags: readonly QuoteFlag[]
}

export type QuoteCheck =
  | { readonly ok: true; readonly quote: UsableQuote }
  | { readonly ok: false; readonly reason: 'missing' | 'no_price' | 'crossed' | 'stale' }

/**
 * Normalizes a raw quote: a zero (or missing) side is replaced by the other side and flagged; both
 * sides zero, a crossed book, or an age over `maxAgeMs` make it unusable.
 */
export function checkQuote(quote: Quote | null | undefined, nowMs: number, maxAgeMs: number): QuoteCheck {
  if (!quote) return { ok: false, reason: 'missing' }
  const flags: QuoteFlag[] = []
  let { bid, ask } = quote
  const bidOk = bid.isFinite() && bid.gt(0)
  const askOk = ask.isFinite() && ask.gt(0)
  if (!bidOk && !askOk) return { ok: false, reason: 'no_price' }
  if (!bidOk) {
    bid = ask
    flags.push('bid_substituted')
  } else if (!askOk) {
    ask = bid
    flags.push('ask_substituted')
  }
  if (bid.gt(ask)) return { ok: false, reason: 'crossed' }
  if (nowMs - quote.timestampMs > maxAgeMs) return { ok: false, reason: 'stale' }
  const usable: UsableQuote = {
    symbol: quote.symbol,
    bid,
    ask,
    bidSize: quote.bidSize,
    askSize: quote.askSize,
    timestampMs: quote.timestampMs,
    mid: bid.add(ask).div(2),
    spread: ask.sub(bid),
    flags,
  }
  return { ok: true, quote: usable }
}
