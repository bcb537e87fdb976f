import { checkQuote, type UsableQuote } from '../domain/quote.js'
import { BrokerError, isBrokerError } from '../ports/broker.js'
import type { ExecutionContext } from './executionContext.js'

/**
 * The execution's calls to the venue, under the engine's one retry policy (the port makes one attempt
 * per call): a retryable `BrokerError` is retried with exponential backoff on the clock — a longer
 * `retryAfterMs` wins — up to BROKER_MAX_RETRIES times; anything but a `BrokerError` is an unreadable
 * answer (`BROKER_BAD_RESPONSE`, not retried). Also the latest usable quote, which the risk gate prices
 * child orders against.
 */
export class VenueCalls {
  private latest: UsableQuote | null = null

  constructor(private readonly ctx: ExecutionContext) {}

  /** The latest usable quote this run saw; null before the first. */
  get latestQuote(): UsableQuote | null {
    return this.latest
  }

  /**
   * Calls the venue, retrying as above. `beforeRetry` runs before each retry and may answer instead
   * (a submit looks its order up by client order id first: the failed attempt may have created it).
   * Only for calls that are safe to repeat.
   */
  async call<T>(
    op: string,
    fn: () => Promise<T>,
    beforeRetry?: (lastError: BrokerError) => Promise<T | undefined>,
  ): Promise<T> {
    const { brokerMaxRetries, brokerRetryBaseSeconds } = this.ctx.deps.config.execution
    let last: BrokerError | undefined
    for (let attempt = 0; ; attempt++) {
      try {
        if (last !== undefined && beforeRetry) {
          const found = await beforeRetry(last)
          if (found !== undefined) return found
        }
        return await fn()
      } catch (e) {
        const err = isBrokerError(e)
          ? e
          : new BrokerError('BROKER_BAD_RESPONSE', e instanceof Error ? e.message : String(e), { cause: e })
        last = err
        if (!err.retryable || attempt >= brokerMaxRetries) throw err
        const backoff = Math.max(brokerRetryBaseSeconds * 1000 * 2 ** attempt, err.retryAfterMs ?? 0)
        this.ctx.log.warn(
          { ...this.ctx.fields(), op, broker_error: err.code, attempt: attempt + 1, backoff_ms: backoff },
          'Retrying broker call',
        )
        await this.ctx.deps.clock.sleep(backoff) // not abortable: a retry in flight must finish to know the outcome
      }
    }
  }

  /** A usable quote: refetched once when stale; null when there is none (reason logged). */
  async quote(): Promise<UsableQuote | null> {
    const { ctx } = this
    const maxAgeMs = ctx.deps.config.quoteMaxAgeSeconds * 1000
    let stale = false
    for (let i = 0; i < 2; i++) {
      let raw
      try {
        raw = await this.call('getQuote', () => ctx.deps.broker.getQuote(ctx.intent.symbol))
      } catch (e) {
        ctx.log.warn({ ...ctx.fields(), broker_error: isBrokerError(e) ? e.code : String(e) }, 'Quote unavailable')
        return null
      }
      const checked = checkQuote(raw, ctx.deps.clock.now(), maxAgeMs)
      if (checked.ok) {
        const q = stale
          ? { ...checked.quote, flags: [...checked.quote.flags, 'stale_refetched' as const] }
          : checked.quote
        if (q.flags.length > 0) ctx.log.warn({ ...ctx.fields(), quote_flags: q.flags }, 'Quote adjusted')
        this.latest = q
        return q
      }
      if (checked.reason !== 'stale') {
        ctx.log.warn({ ...ctx.fields(), reason: checked.reason }, 'No usable quote')
        return null
      }
      stale = true
    }
    ctx.log.warn({ ...ctx.fields(), reason: 'stale' }, 'No usable quote')
    return null
  }
}
