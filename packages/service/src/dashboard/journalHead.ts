import type { ExecutionManager } from '../executions/executionManager.js'

/**
 * The id of the newest journal entry, so that a client can load the list of executions and then follow
 * `GET /v1/events` from that point on (without it, the stream starts at the beginning of the journal).
 * Null when the journal is empty, or when the store keeps no global order (DynamoDB: the stream then
 * carries only what happens from the moment it opens, which is what the client wants).
 *
 * The store reads "the first entry after id n" only, and SQLite's ids are increasing integers, so the
 * newest is found by doubling then halving: about 2·log₂(n) indexed look-ups (≈ 40 for a million entries).
 */
export async function journalHead(manager: Pick<ExecutionManager, 'journalAfter'>): Promise<string | null> {
  const first = await manager.journalAfter(undefined, 1)
  if (first === null || first.length === 0) return null
  const numeric = (id: string | undefined): number | undefined =>
    id !== undefined && /^\d{1,15}$/.test(id) ? Number(id) : undefined
  const start = numeric(first[0]!.id)
  if (start === undefined) return null
  let lo: number = start
  /** The first entry's id after n, or undefined when there is none. */
  const after = async (n: number): Promise<number | undefined> =>
    numeric((await manager.journalAfter(String(n), 1))?.[0]?.id)
  // an upper bound: no entry after hi
  let step = 1
  let hi: number
  for (;;) {
    const probe = lo + step
    const next = await after(probe)
    if (next === undefined) {
      hi = probe
      break
    }
    lo = next
    step *= 2
  }
  // lo is an entry, nothing lies after hi: halve until nothing lies after lo
  for (;;) {
    const next = await after(lo)
    if (next === undefined) return String(lo)
    const mid = Math.floor((lo + hi) / 2)
    const beyond: number | undefined = mid > lo ? await after(mid) : next
    if (beyond === undefined) hi = mid
    else lo = beyond
  }
}
