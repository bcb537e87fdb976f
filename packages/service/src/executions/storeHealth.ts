import type { JournalEntry } from '@acx/engine'
import type { Logger } from 'pino'
import type { ExecutionStore } from '../persistence/executionStore.js'

/** What the store's health means for the rest of the service. */
interface StoreHealthEvents {
  /** The store failed a write: stop every running execution at a safe point. */
  readonly onDown: (err: unknown) => void
  /** Probe and catch-up succeeded: take over what was stopped, start what waits. */
  readonly onUp: () => void
}

export interface StoreHealthOptions extends StoreHealthEvents {
  readonly store: Pick<ExecutionStore, 'append' | 'probe' | 'releaseLease'>
  readonly logger: Logger
  /** How often a write probe runs while the store is down, ms. */
  readonly probeIntervalMs: number
  readonly wallNow: () => number
}

/**
 * Whether the store takes writes, and what was kept in memory while it did not.
 *
 * A failed write marks the store down. While down: new child orders are refused (the engine journals a
 * child before sending it), everything else an execution journals while it stops — the cancel of its
 * open child, its confirmation, fills that raced it — is kept in memory in order (`pending`), and leases
 * that could not be released are remembered. A write probe runs every `probeIntervalMs`; when it
 * succeeds, the pending entries are written in order, the leases released, and the store is up again.
 *
 * Bound: `pending` holds at most what the executions running when the store failed journal on their way
 * to a safe point (a few entries each, as none can send a new order); a crash while it holds entries
 * loses nothing a restart cannot rebuild, because every child was journaled before it was sent and
 * reconciliation reads fills back from the venue.
 */
export interface StoreHealth {
  readonly up: boolean
  /** Why the store is down (the last failure), or null. */
  readonly reason: string | null
  /** Entries written while down, not yet stored. */
  readonly pendingEntries: number
  /** Appends an entry, in order after any pending ones; keeps it in memory when the store is down. */
  write(entry: JournalEntry): Promise<void>
  /** Marks the store down after a failed write (idempotent). */
  failed(err: unknown): void
  /** A lease to release once the store is back. */
  releaseLater(executionId: string, owner: string): void
  /** One probe and catch-up now (also what the timer runs). Resolves to whether the store is up. */
  check(): Promise<boolean>
  /** Writes what is pending if it can (shutdown), and stops the probe timer. */
  close(): Promise<void>
}

const describe = (err: unknown): string => {
  const code = (err as { code?: unknown })?.code
  const message = err instanceof Error ? err.message : String(err)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}

export function createStoreHealth(options: StoreHealthOptions): StoreHealth {
  const { store, logger } = options
  let up = true
  let reason: string | null = null
  const pending: JournalEntry[] = []
  const releases = new Map<string, string>()
  let timer: ReturnType<typeof setInterval> | undefined
  let checking: Promise<boolean> | undefined
  /** When "still unavailable" was last logged: once a minute, not once a probe. */
  let warnedAt = -Infinity

  const failed = (err: unknown): void => {
    reason = describe(err)
    if (!up) return
    up = false
    logger.error(
      { err, store_error: reason },
      'Store write failed: intake refused, running executions stopping at a safe point',
    )
    timer = setInterval(() => {
      void health.check()
    }, options.probeIntervalMs)
    timer.unref()
    options.onDown(err)
  }

  const catchUp = async (): Promise<void> => {
    await store.probe(options.wallNow())
    while (pending.length > 0) {
      await store.append(pending[0] as JournalEntry)
      pending.shift()
    }
    for (const [id, owner] of [...releases]) {
      await store.releaseLease(id, owner)
      releases.delete(id)
    }
  }

  const health: StoreHealth = {
    get up() {
      return up
    },
    get reason() {
      return reason
    },
    get pendingEntries() {
      return pending.length
    },

    async write(entry) {
      if (!up || pending.length > 0) {
        pending.push(entry)
        return
      }
      try {
        await store.append(entry)
      } catch (err) {
        pending.push(entry)
        failed(err)
      }
    },

    failed,

    releaseLater(id, owner) {
      releases.set(id, owner)
    },

    check() {
      if (up) return Promise.resolve(true)
      checking ??= (async () => {
        try {
          await catchUp()
        } catch (err) {
          reason = describe(err)
          if (options.wallNow() - warnedAt >= 60_000) {
            warnedAt = options.wallNow()
            logger.warn({ store_error: reason, pending_entries: pending.length }, 'Store still unavailable')
          }
          return false
        } finally {
          checking = undefined
        }
        up = true
        reason = null
        warnedAt = -Infinity
        clearInterval(timer)
        logger.info('Store writable again: pending entries written, intake reopened')
        options.onUp()
        return true
      })()
      return checking
    },

    async close() {
      clearInterval(timer)
      if (up) return
      await catchUp().catch((err: unknown) => {
        logger.error(
          { err, pending_entries: pending.length },
          'Stopping with journal entries not stored: the next start reconciles them with the venue',
        )
      })
    },
  }
  return health
}
