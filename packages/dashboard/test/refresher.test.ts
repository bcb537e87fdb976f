import { describe, expect, it } from 'vitest'
import { createRefresher } from '../src/web/refresher.js'

describe('createRefresher', () => {
  it('reads an execution once per burst of events: one read in flight, one more after it', async () => {
    let reads = 0
    const release: Array<() => void> = []
    const values: number[] = []
    const r = createRefresher(
      () => new Promise<number>((resolve) => release.push(() => resolve(++reads))),
      (_id, v) => values.push(v),
      () => undefined,
      new AbortController().signal,
    )
    r.touch('ex_1')
    r.touch('ex_1')
    r.touch('ex_1')
    expect(release).toHaveLength(1)
    release.shift()!()
    await new Promise((res) => setTimeout(res, 0))
    expect(release).toHaveLength(1)
    release.shift()!()
    await new Promise((res) => setTimeout(res, 0))
    expect(values).toEqual([1, 2])
    expect(release).toHaveLength(0)
  })

  it('reports a failed read and stops after the signal', async () => {
    const errors: string[] = []
    const stop = new AbortController()
    const r = createRefresher(
      async () => {
        throw new Error('boom')
      },
      () => undefined,
      (id, err) => errors.push(`${id}: ${(err as Error).message}`),
      stop.signal,
    )
    r.touch('ex_2')
    await new Promise((res) => setTimeout(res, 0))
    stop.abort()
    r.touch('ex_2')
    await new Promise((res) => setTimeout(res, 0))
    expect(errors).toEqual(['ex_2: boom'])
  })
})
