/** One event of a stream: its fields as sent (a comment or the retry line has none of these). */
export interface SseBlock {
  readonly id?: string
  readonly event?: string
  readonly data?: string
}

/**
 * Reads a Server-Sent Events response until it ends, or until `enough` says so (then aborts it). Each
 * block goes through `select` (undefined: left out). A response that is not an event stream is read as
 * text.
 */
export async function readEventStream<T>(
  url: string,
  headers: Record<string, string>,
  select: (block: SseBlock) => T | undefined,
  enough: (items: readonly T[]) => boolean = () => false,
): Promise<{ status: number; contentType: string; items: T[]; text: string }> {
  const abort = new AbortController()
  const res = await fetch(url, { headers, signal: abort.signal })
  const contentType = res.headers.get('content-type') ?? ''
  if (!contentType.startsWith('text/event-stream') || !res.body)
    return { status: res.status, contentType, items: [], text: await res.text() }
  const items: T[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true })
      let cut: number
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut)
        buffer = buffer.slice(cut + 2)
        const fields: Record<string, string> = {}
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || !line.includes(': ')) continue
          fields[line.slice(0, line.indexOf(': '))] = line.slice(line.indexOf(': ') + 2)
        }
        const item = select(fields)
        if (item !== undefined) items.push(item)
      }
      if (enough(items)) {
        abort.abort()
        break
      }
    }
  } catch (e) {
    if (!abort.signal.aborted) throw e
  }
  return { status: res.status, contentType, items, text: '' }
}
