import type { Clock } from '@acx/engine'

/**
 * A token bucket that keeps every 60-second window at or under `maxPerMinute` requests: `burst` tokens
 * to start, refilled at `(maxPerMinute − burst)` per minute, so burst + one minute of refill never
 * exceeds the cap. `pauseUntil` (a 429's reset time) makes every caller wait, whatever tokens are left.
 * Callers are served in arrival order.
 */
export interface TokenBucket {
  /** Resolves when a request may go out (and takes its token). */
  take(): Promise<void>
  /** Nobody gets a token before `timeMs` (epoch ms on the bucket's clock). */
  pauseUntil(timeMs: number): void
  /** Tokens available now (fractional). */
  available(): number
}

export function createTokenBucket(opts: {
  readonly maxPerMinute: number
  readonly burst: number
  readonly clock: Clock
}): TokenBucket {
  const { clock } = opts
  const capacity = Math.max(1, Math.min(opts.burst, opts.maxPerMinute))
  const perMs = Math.max(opts.maxPerMinute - capacity, 1) / 60_000
  let tokens = capacity
  let at = clock.now()
  let pausedUntil = 0
  let queue: Promise<void> = Promise.resolve()

  const refill = (): void => {
    const now = clock.now()
    if (now > at) {
      tokens = Math.min(capacity, tokens + (now - at) * perMs)
      at = now
    }
  }

  const acquire = async (): Promise<void> => {
    for (;;) {
      const now = clock.now()
      if (now < pausedUntil) {
        await clock.sleep(pausedUntil - now)
        continue
      }
      refill()
      if (tokens >= 1) {
        tokens -= 1
        return
      }
      await clock.sleep(Math.max(1, Math.ceil((1 - tokens) / perMs)))
    }
  }

  return {
    take() {
      const mine = queue.then(acquire)
      queue = mine.catch(() => undefined)
      return mine
    },
    pauseUntil(timeMs) {
      if (timeMs > pausedUntil) pausedUntil = timeMs
    },
    available() {
      refill()
      return tokens
    },
  }
}
