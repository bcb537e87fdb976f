import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StoredJournalEntry } from '../persistence/executionStore.js'
import { eventView } from './views.js'

/** What a stream reads: entries after an id (oldest first, at most a page), and whether it is over. */
export interface EventSource {
  read(
    afterId: string | undefined,
  ): Promise<{ readonly entries: readonly StoredJournalEntry[]; readonly done: boolean }>
}

export interface EventStreamOptions {
  /** Wakes the stream when this process journals something (entries from other workers come by polling). */
  readonly subscribe: (wake: () => void) => () => void
  /** How often the store is read without a wake-up, ms (entries other workers write). */
  readonly pollMs: number
  /** How often a comment line keeps idle proxies from closing the connection, ms. */
  readonly heartbeatMs: number
  /** Aborts when the server closes: the stream ends. */
  readonly closing: AbortSignal
}

/** The event of a journal entry; empty for an entry of a type this version does not know (skipped). */
function frame(e: StoredJournalEntry): string {
  const data = eventView(e)
  return data === null ? '' : `id: ${data.id}\nevent: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`
}

/**
 * Streams journal entries as Server-Sent Events (`id` = the entry id, `event` = its type, `data` = the
 * entry as JSON) from the request's `Last-Event-ID` on, so a client that reconnects misses nothing;
 * ends when the source is done (the execution finished), the client goes, or the server closes. The
 * stream reads the store only when the client has taken what was sent (a slow reader holds nothing in
 * memory but one page).
 */
export async function streamEvents(
  req: FastifyRequest,
  reply: FastifyReply,
  source: EventSource,
  options: EventStreamOptions,
): Promise<void> {
  const last = req.headers['last-event-id']
  let afterId = typeof last === 'string' && last !== '' ? last : undefined
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  // a reconnecting EventSource waits this long (ms) before it tries again
  res.write('retry: 2000\n\n')

  const stop = new AbortController()
  const end = (): void => stop.abort()
  req.raw.on('close', end)
  options.closing.addEventListener('abort', end, { once: true })
  let wake: (() => void) | undefined
  // set by every wake-up, so that one arriving while the store is read is not lost
  let dirty = false
  const unsubscribe = options.subscribe(() => {
    dirty = true
    wake?.()
  })
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), options.heartbeatMs)
  heartbeat.unref()
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done(): void {
        clearTimeout(timer)
        wake = undefined
        stop.signal.removeEventListener('abort', done)
        resolve()
      }
      wake = done
      stop.signal.addEventListener('abort', done, { once: true })
    })
  try {
    while (!stop.signal.aborted) {
      dirty = false
      const { entries, done } = await source.read(afterId)
      for (const e of entries) {
        afterId = e.id
        const text = frame(e)
        if (text !== '' && !res.write(text)) {
          await new Promise<void>((resolve) => {
            const go = (): void => {
              res.off('drain', go)
              stop.signal.removeEventListener('abort', go)
              resolve()
            }
            res.on('drain', go)
            stop.signal.addEventListener('abort', go, { once: true })
          })
          if (stop.signal.aborted) break
        }
      }
      if (done && entries.length === 0) break
      if (entries.length === 0 && !dirty) await pause(options.pollMs)
    }
  } catch (err) {
    req.log.warn({ err }, 'Event stream failed; closing it (the client reconnects with Last-Event-ID)')
  } finally {
    clearInterval(heartbeat)
    unsubscribe()
    req.raw.off('close', end)
    options.closing.removeEventListener('abort', end)
    res.end()
  }
}
