import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { createAcConfig } from '../../src/config/createAcConfig.js'
import { createEngine } from '../../src/engine.js'
import { createVirtualClock, type Clock } from '../../src/ports/clock.js'
import { createSimulatedMarket } from '../../src/sim/simulatedMarket.js'
import { createInMemoryJournal } from '../../src/ports/executionJournal.js'
import { anIntent } from '../support/builders.js'

describe("an execution's start", () => {
  it('is one instant: the journal, the result and the expected finish count from the same time', async () => {
    // a real clock moves between two reads (on a sped-up clock by whole slices of time): this one moves
    // 1 ms at every read
    const base = createVirtualClock({ startMs: Date.UTC(2026, 0, 5, 15) })
    let reads = 0
    const clock: Clock = { now: () => base.now() + ++reads, sleep: (ms, signal) => base.sleep(ms, signal) }
    const market = createSimulatedMarket({ seed: 7, symbols: { AAPL: { price: '190', spread: '0.02' } }, clock })
    const journal = createInMemoryJournal()
    const engine = createEngine({ broker: market, clock, config: createAcConfig(), journal, core: reference })
    const r = await engine.execute(anIntent({ correlationId: 'start-1' }))
    const entries = journal.forExecution('start-1')
    const started = entries.find((e) => e.type === 'execution_started')
    const planned = entries.find((e) => e.type === 'execution_planned')
    expect(started?.atMs).toBe(r.startedAt)
    expect(planned && planned.type === 'execution_planned' && planned.expectedFinishAt).toBe(
      r.startedAt + (r.horizonSeconds ?? 0) * 1000,
    )
  })
})
