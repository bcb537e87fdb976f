// Sweeps and frontiers without copies: columns in WebAssembly memory, filled and read in place.
import { describe, expect, it } from 'vitest'
import { AcCoreError, SweepStatus, type AcParams, type SweepBatch, PAPER_EXAMPLE } from '../src/index.js'
import { toColumns, wasmBuilds } from './support/cores.js'
import { createRandom, randomParams } from './support/random.js'

const paper: AcParams = { ...PAPER_EXAMPLE, riskAversion: 1e-6 }

function fill(batch: SweepBatch, sets: readonly AcParams[]): void {
  for (const [name, values] of Object.entries(toColumns(sets))) {
    batch[name as keyof ReturnType<typeof toColumns>].set(values)
  }
}

function caught(fn: () => unknown): AcCoreError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AcCoreError)
    return err as AcCoreError
  }
  return expect.fail('expected an AcCoreError')
}

describe.each(wasmBuilds)('%s batches', (_, core) => {
  const random = createRandom(31)
  const sets = Array.from({ length: 101 }, () => randomParams(random)) // odd: the last row pairs with itself

  it('computes in place what sweep computes, bad rows with their status and NaNs', () => {
    const batch = core.createSweepBatch(sets.length + 1)
    const rows = [...sets, { ...paper, slices: 0 }]
    fill(batch, rows)
    expect(batch.run()).toBe(1)
    const want = core.sweep(toColumns(rows))
    expect(Array.from(batch.expectedCost)).toEqual(Array.from(want.expectedCost))
    expect(Array.from(batch.variance)).toEqual(Array.from(want.variance))
    expect(Array.from(batch.kappa)).toEqual(Array.from(want.kappa))
    expect(batch.status[sets.length]).toBe(SweepStatus.INVALID_SLICES)
    expect(batch.expectedCost[sets.length]).toBeNaN()
  })

  it('starts permanentImpact and fixedCost at zero, like an omitted sweep column', () => {
    const batch = core.createSweepBatch(3)
    expect(Array.from(batch.permanentImpact)).toEqual([0, 0, 0])
    expect(Array.from(batch.fixedCost)).toEqual([0, 0, 0])
  })

  it('computes only rows below count and leaves the others as they were', () => {
    const batch = core.createSweepBatch(sets.length)
    fill(batch, sets)
    batch.expectedCost.fill(-1)
    expect(batch.run(40)).toBe(0)
    expect(batch.expectedCost.subarray(0, 40).every((e) => e > 0)).toBe(true)
    expect(batch.expectedCost.subarray(40).every((e) => e === -1)).toBe(true)
    expect(batch.run(0)).toBe(0)
  })

  it('keeps its data when memory grows, and hands out fresh views then (old ones are detached)', () => {
    const batch = core.createSweepBatch(sets.length)
    fill(batch, sets)
    batch.run()
    const before = Array.from(batch.variance)
    const oldView = batch.variance
    core.trajectory({ ...paper, slices: 900_000 }) // needs ~14 MiB: memory grows
    expect(oldView.length).toBe(0)
    expect(Array.from(batch.variance)).toEqual(before)
    expect(batch.run()).toBe(0)
    expect(Array.from(batch.variance)).toEqual(before)
  })

  it('keeps batches apart from each other and from the copying API', () => {
    const a = core.createSweepBatch(sets.length)
    const b = core.createSweepBatch(7)
    fill(a, sets)
    fill(b, sets.slice(0, 7))
    a.run()
    const kept = Array.from(a.expectedCost)
    b.run()
    core.sweep(toColumns(sets.slice(50)))
    core.frontier(
      paper,
      Float64Array.from({ length: 5000 }, (_, i) => i * 1e-9),
    )
    expect(Array.from(a.expectedCost)).toEqual(kept)
    expect(Array.from(a.shares)).toEqual(sets.map((p) => p.shares))
  })

  it('rejects a capacity or a count that is not a whole number in range (AC_INVALID_PARAM)', () => {
    for (const capacity of [0, -1, 2.5, NaN, 2 ** 27]) {
      expect(caught(() => core.createSweepBatch(capacity)).field).toBe('capacity')
      expect(caught(() => core.createFrontierBatch(capacity)).field).toBe('capacity')
    }
    const batch = core.createSweepBatch(4)
    for (const count of [-1, 5, 1.5, NaN]) expect(caught(() => batch.run(count)).field).toBe('count')
  })

  it('gives a frontier batch the frontier’s points, and a bad risk aversion a status instead of an exception', () => {
    const lambdas = Float64Array.from({ length: 33 }, (_, i) => (i === 0 ? 0 : 10 ** (-9 + i / 4)))
    const batch = core.createFrontierBatch(lambdas.length + 1)
    batch.riskAversion.set(lambdas)
    batch.riskAversion[lambdas.length] = -1
    expect(batch.run(paper)).toBe(1)
    const want = core.frontier(paper, lambdas)
    expect(Array.from(batch.expectedCost.subarray(0, lambdas.length))).toEqual(Array.from(want.expectedCost))
    expect(Array.from(batch.variance.subarray(0, lambdas.length))).toEqual(Array.from(want.variance))
    expect(batch.status[lambdas.length]).toBe(SweepStatus.INVALID_RISK_AVERSION)
  })

  it('throws for a bad base parameter of a frontier batch, naming it', () => {
    const batch = core.createFrontierBatch(2)
    expect(caught(() => batch.run({ ...paper, horizon: -1 })).field).toBe('horizon')
  })
})
