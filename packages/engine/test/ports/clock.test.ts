import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '../../src/ports/clock.js'

describe('createVirtualClock', () => {
  it('advances by itself when all work waits on it', async () => {
    const clock = createVirtualClock({ startMs: 0 })
    const seen: string[] = []
    const worker = async (name: string, step: number) => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(step)
        seen.push(`${name}@${clock.now()}`)
      }
    }
    await Promise.all([worker('a', 300_000), worker('b', 200_000)])
    expect(clock.now()).toBe(900_000)
    expect(seen).toEqual(['b@200000', 'a@300000', 'b@400000', 'a@600000', 'b@600000', 'a@900000'])
  })

  it('fires timers in time order under manual control', async () => {
    const clock = createVirtualClock({ startMs: 0, autoAdvance: false })
    const order: string[] = []
    void clock.sleep(20).then(() => order.push('b'))
    void clock.sleep(10).then(() => order.push('a'))
    await clock.advance(15)
    expect(order).toEqual(['a'])
    expect(clock.now()).toBe(15)
    await clock.advance(10)
    expect(order).toEqual(['a', 'b'])
    expect(clock.pendingTimers).toBe(0)
  })

  it('lets work scheduled by a timer run before later timers', async () => {
    const clock = createVirtualClock({ startMs: 0, autoAdvance: false })
    const order: number[] = []
    void clock.sleep(10).then(async () => {
      order.push(clock.now())
      await clock.sleep(5)
      order.push(clock.now())
    })
    void clock.sleep(100).then(() => order.push(clock.now()))
    await clock.advance(200)
    expect(order).toEqual([10, 15, 100])
  })

  it('resolves a sleep early when its signal aborts', async () => {
    const clock = createVirtualClock({ startMs: 0, autoAdvance: false })
    const ac = new AbortController()
    const p = clock.sleep(1_000, ac.signal)
    ac.abort()
    await p
    expect(clock.now()).toBe(0)
    expect(clock.pendingTimers).toBe(0)
  })
})

describe('createRealClock', () => {
  it('sleeps on wall time and wakes early on abort', async () => {
    const { createRealClock } = await import('../../src/ports/clock.js')
    const clock = createRealClock()
    const t = clock.now()
    await clock.sleep(5)
    expect(clock.now()).toBeGreaterThanOrEqual(t)
    const ac = new AbortController()
    const p = clock.sleep(60_000, ac.signal)
    ac.abort()
    await p // resolves, not rejects, and long before a minute
  })
})

describe('createRealClock with a scale', () => {
  it('runs time faster than the wall by the scale, from its creation', async () => {
    const { createRealClock } = await import('../../src/ports/clock.js')
    let wall = 1_000_000
    const clock = createRealClock({ scale: 60, wallNow: () => wall })
    expect(clock.now()).toBe(1_000_000)
    wall += 1_000 // one wall second is a minute on the clock
    expect(clock.now()).toBe(1_060_000)
  })

  it('sleeps scaled: a 6-second sleep at ×600 takes about 10 ms of wall time', async () => {
    const { createRealClock } = await import('../../src/ports/clock.js')
    const clock = createRealClock({ scale: 600 })
    const timers: number[] = []
    const original = globalThis.setTimeout
    globalThis.setTimeout = ((fn: () => void, ms: number) => (timers.push(ms), original(fn, ms))) as typeof setTimeout
    try {
      await clock.sleep(6_000)
    } finally {
      globalThis.setTimeout = original
    }
    expect(timers).toEqual([10])
  })

  it('rejects a scale that is not a finite number > 0', async () => {
    const { createRealClock } = await import('../../src/ports/clock.js')
    for (const scale of [0, -1, NaN, Infinity]) expect(() => createRealClock({ scale })).toThrow(/scale/)
  })
})
