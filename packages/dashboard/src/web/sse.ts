/** One Server-Sent Event as the stream framed it. */
export interface SseMessage {
  /** The `id` field of this event, or the last one seen before it (the stream's last event id). */
  readonly id: string | undefined
  /** `event`; `message` when the frame has none. */
  readonly event: string
  readonly data: string
}

/**
 * An incremental `text/event-stream` parser (the WHATWG rules): lines end in CRLF, LF or CR; `data`
 * lines are joined with LF; a blank line dispatches; `:` lines are comments; an `id` containing NUL is
 * ignored; `retry` takes digits only. Feed it decoded text in chunks of any size.
 */
export class SseParser {
  private buffer = ''
  private data: string[] = []
  private event = ''
  private sawData = false
  /** The last event id the stream set (kept across events, as the spec says). */
  lastEventId: string | undefined
  /** The reconnection delay the server asked for, ms. */
  retryMs: number | undefined
  /** A CR ended the previous chunk: an LF starting this one belongs to it. */
  private pendingCr = false

  push(chunk: string): SseMessage[] {
    let text = chunk
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1)
    this.pendingCr = false
    this.buffer += text
    const out: SseMessage[] = []
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer)
      if (!m) break
      // a CR at the very end may be the first half of CRLF: take the line, drop a following LF later
      if (m[0] === '\r' && m.index === this.buffer.length - 1) this.pendingCr = true
      const line = this.buffer.slice(0, m.index)
      this.buffer = this.buffer.slice(m.index + m[0].length)
      const message = this.line(line)
      if (message) out.push(message)
    }
    return out
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      const message = this.sawData
        ? { id: this.lastEventId, event: this.event || 'message', data: this.data.join('\n') }
        : undefined
      this.data = []
      this.event = ''
      this.sawData = false
      return message
    }
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'data':
        this.data.push(value)
        this.sawData = true
        break
      case 'event':
        this.event = value
        break
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value)
        break
      default:
        break
    }
    return undefined
  }
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended'

export interface EventStreamOptions {
  /** The request: it must send the bearer header and the Last-Event-ID it is given. */
  readonly fetchStream: (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>
  readonly lastEventId?: string
  readonly onMessage: (message: SseMessage) => void
  readonly onState?: (state: StreamState, detail?: string) => void
  /**
   * Asked when the server ends the stream: reconnect (from the last event id) or stop. Default: reconnect
   * (a stream of every execution never ends on purpose).
   */
  readonly reconnectAfterEnd?: () => boolean | Promise<boolean>
  readonly signal: AbortSignal
  /** Delay before reconnecting when the server set none, ms. */
  readonly defaultRetryMs?: number
  /** Waits `ms` (tests pass a fake). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })

/**
 * Server-Sent Events over `fetch`, so that the request can carry `Authorization: Bearer …` (an
 * `EventSource` cannot send headers, and a token never goes in a URL). Reads the body as it arrives,
 * reconnects after a drop or an error with the server's `retry` delay, resuming from the last event id
 * (`Last-Event-ID`), so nothing is missed. Resolves when stopped (the signal) or when the server ends
 * the stream and `reconnectAfterEnd` says no. A response with an error status other than 5xx/429 is
 * thrown (`StreamHttpError`): the caller decides (a 401 asks for the token).
 */
export async function runEventStream(options: EventStreamOptions): Promise<void> {
  const { signal } = options
  const sleep = options.sleep ?? abortableSleep
  let lastEventId = options.lastEventId
  let retryMs = options.defaultRetryMs ?? 2000
  let first = true
  while (!signal.aborted) {
    options.onState?.(first ? 'connecting' : 'reconnecting')
    first = false
    let ended = false
    try {
      const res = await options.fetchStream(lastEventId, signal)
      if (!res.ok || res.body === null) {
        if (res.status >= 500 || res.status === 429) throw new Error(`HTTP ${res.status}`)
        throw new StreamHttpError(res.status, await res.text().catch(() => ''))
      }
      options.onState?.('live')
      const parser = new SseParser()
      parser.lastEventId = lastEventId
      const reader = res.body.getReader()
      const decoder = new TextDecoder()
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          for (const message of parser.push(decoder.decode(value, { stream: true }))) {
            lastEventId = message.id
            options.onMessage(message)
          }
          if (parser.retryMs !== undefined) retryMs = parser.retryMs
        }
      } finally {
        reader.releaseLock()
      }
      lastEventId = parser.lastEventId
      ended = true
    } catch (err) {
      if (signal.aborted) break
      if (err instanceof StreamHttpError) throw err
      options.onState?.('reconnecting', (err as Error).message)
    }
    if (signal.aborted) break
    if (ended && !(await (options.reconnectAfterEnd?.() ?? true))) break
    await sleep(retryMs, signal)
  }
  options.onState?.('ended')
}

/** The stream was refused with this status (not a drop: reconnecting would not help). */
export class StreamHttpError extends Error {
  override readonly name = 'StreamHttpError'
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`event stream refused: HTTP ${status}`)
  }
}
