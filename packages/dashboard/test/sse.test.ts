import { describe, expect, it } from 'vitest'
import { SseParser, StreamHttpError, runEventStream, type SseMessage } from '../src/web/sse.js'

const streamOf = (chunks: readonly string[], status = 200): Response =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk))
        c.close()
      },
    }),
    { status, headers: { 'content-type': 'text/event-stream' } },
  )

describe('SseParser', () => {
  it('frames events split anywhere, with CRLF, CR or LF line ends, joining data lines', () => {
    const p = new SseParser()
    const text =
      'retry: 2000\r\n\r\nid: 1\r\nevent: fill\r\ndata: {"a":\r\ndata: 1}\r\n\r\n: keep-alive\n\nid: 2\revent: x\rdata: y\r\r'
    const out: SseMessage[] = []
    for (let i = 0; i < text.length; i += 3) out.push(...p.push(text.slice(i, i + 3)))
    expect(out).toEqual([
      { id: '1', event: 'fill', data: '{"a":\n1}' },
      { id: '2', event: 'x', data: 'y' },
    ])
    expect(p.retryMs).toBe(2000)
    expect(p.lastEventId).toBe('2')
  })

  it('keeps the last id for events without one, ignores ids with NUL and frames without data', () => {
    const p = new SseParser()
    expect(p.push('id: 7\n\ndata: a\n\nid: bad\u0000\ndata: b\n\nevent: e\n\nretry: soon\n\n')).toEqual([
      { id: '7', event: 'message', data: 'a' },
      { id: '7', event: 'message', data: 'b' },
    ])
    expect(p.retryMs).toBeUndefined()
  })
})

describe('runEventStream', () => {
  it('reconnects after a drop from the last event id, with the retry the server asked for', async () => {
    const seen: Array<string | undefined> = []
    const slept: number[] = []
    const got: string[] = []
    const stop = new AbortController()
    const bodies = [['retry: 50\n\nid: 1\nevent: a\ndata: one\n\n'], ['id: 2\nevent: a\ndata: two\n\n']]
    await runEventStream({
      fetchStream: async (lastEventId) => {
        seen.push(lastEventId)
        const body = bodies.shift()
        if (!body) {
          stop.abort()
          throw new Error('gone')
        }
        return streamOf(body)
      },
      lastEventId: '0',
      onMessage: (m) => got.push(m.data),
      signal: stop.signal,
      sleep: async (ms) => void slept.push(ms),
    })
    expect(got).toEqual(['one', 'two'])
    expect(seen).toEqual(['0', '1', '2'])
    expect(slept).toEqual([50, 50])
  })

  it('retries a 503 but stops on an end the caller accepts, and throws a refusal such as 404', async () => {
    const states: string[] = []
    const responses = [streamOf(['busy'], 503), streamOf(['id: 5\ndata: last\n\n'])]
    let asked = 0
    await runEventStream({
      fetchStream: async () => responses.shift()!,
      onMessage: () => undefined,
      onState: (s) => states.push(s),
      reconnectAfterEnd: () => (asked++, false),
      signal: new AbortController().signal,
      sleep: async () => undefined,
    })
    expect(asked).toBe(1)
    expect(states).toEqual(['connecting', 'reconnecting', 'reconnecting', 'live', 'ended'])
    await expect(
      runEventStream({
        fetchStream: async () => streamOf(['{"error":"SERVICE_NOT_FOUND"}'], 404),
        onMessage: () => undefined,
        signal: new AbortController().signal,
      }),
    ).rejects.toBeInstanceOf(StreamHttpError)
  })
})
