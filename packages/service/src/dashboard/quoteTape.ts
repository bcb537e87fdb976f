import type { BrokerPort, Quote } from '@acx/engine'

/** A quote as the tape keeps it: bid and ask as decimal strings, its own time (epoch ms). */
interface TapeQuote {
  readonly bid: string
  readonly ask: string
  readonly timestampMs: number
}

export interface QuoteTape {
  /** Keeps a quote the broker gave. */
  record(quote: Quote): void
  /**
   * The quotes of a symbol made between two times (inclusive), oldest first, and whether the tape holds
   * every quote this process saw from `fromMs` on (false when it started later or has dropped some).
   */
  between(
    symbol: string,
    fromMs: number,
    toMs: number,
  ): { readonly quotes: readonly TapeQuote[]; readonly complete: boolean }
}

export interface QuoteTapeOptions {
  /** When the tape started (epoch ms, the execution clock). */
  readonly startedAtMs: number
  /** Quotes kept per symbol, newest; older ones are dropped (default 5,000). */
  readonly perSymbol?: number
  /** Symbols kept; the one quoted least recently is dropped first (default 1,000). */
  readonly symbols?: number
}

interface Track {
  quotes: TapeQuote[]
  /** The newest time dropped from this symbol (−∞ while nothing was). */
  droppedUntilMs: number
}

/**
 * The bid and ask the engine priced from: every quote the broker gives this process, per symbol, in
 * memory, bounded. It is what the dashboard's child-order timeline draws the limit prices against —
 * the journal keeps the arrival quote only. Nothing of it survives a restart, and another worker's
 * quotes are not in it; `between` says when it cannot cover a span.
 */
export function createQuoteTape(options: QuoteTapeOptions): QuoteTape {
  const perSymbol = options.perSymbol ?? 5_000
  const maxSymbols = options.symbols ?? 1_000
  // a Map keeps insertion order: re-inserting on each quote makes the first key the least recent
  const tracks = new Map<string, Track>()
  let symbolsDroppedUntilMs = -Infinity
  return {
    record(quote) {
      let track = tracks.get(quote.symbol)
      if (track) tracks.delete(quote.symbol)
      else track = { quotes: [], droppedUntilMs: -Infinity }
      tracks.set(quote.symbol, track)
      track.quotes.push({ bid: quote.bid.toString(), ask: quote.ask.toString(), timestampMs: quote.timestampMs })
      if (track.quotes.length > perSymbol) track.droppedUntilMs = track.quotes.shift()!.timestampMs
      if (tracks.size > maxSymbols) {
        const [oldest, dropped] = tracks.entries().next().value as [string, Track]
        tracks.delete(oldest)
        symbolsDroppedUntilMs = Math.max(symbolsDroppedUntilMs, dropped.quotes.at(-1)?.timestampMs ?? -Infinity)
      }
    },
    between(symbol, fromMs, toMs) {
      const track = tracks.get(symbol)
      const quotes = (track?.quotes ?? []).filter((q) => q.timestampMs >= fromMs && q.timestampMs <= toMs)
      const complete =
        options.startedAtMs <= fromMs &&
        (track?.droppedUntilMs ?? -Infinity) < fromMs &&
        (track !== undefined || symbolsDroppedUntilMs < fromMs)
      return { quotes, complete }
    },
  }
}

/** The same broker, every quote it gives also kept on the tape. */
export function recordQuotes(broker: BrokerPort, tape: QuoteTape): BrokerPort {
  return {
    ...broker,
    async getQuote(symbol) {
      const quote = await broker.getQuote(symbol)
      if (quote) tape.record(quote)
      return quote
    },
  }
}
