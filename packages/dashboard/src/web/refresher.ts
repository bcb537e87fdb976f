/**
 * Re-reads an execution each time an event says it changed: at most one request per execution in
 * flight, and one more after it when events came meanwhile, so a burst of fills costs two requests,
 * not one per fill (and the last answer is never older than the last event).
 */
export function createRefresher<T>(
  read: (id: string) => Promise<T>,
  onValue: (id: string, value: T) => void,
  onError: (id: string, err: unknown) => void,
  signal: AbortSignal,
): { touch(id: string): void } {
  const busy = new Set<string>()
  const again = new Set<string>()
  async function run(id: string): Promise<void> {
    busy.add(id)
    try {
      do {
        again.delete(id)
        const value = await read(id)
        if (signal.aborted) return
        onValue(id, value)
      } while (again.has(id))
    } catch (err) {
      if (!signal.aborted) onError(id, err)
    } finally {
      busy.delete(id)
    }
  }
  return {
    touch(id) {
      if (signal.aborted) return
      if (busy.has(id)) again.add(id)
      else void run(id)
    },
  }
}
