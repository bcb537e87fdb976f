import { describe, expect, it } from 'vitest'
import { CHUNK_ROWS, reference, SweepStatus } from '../src/index.js'
import { toColumns, wasmBuilds } from './support/cores.js'
import { expectAllClose, expectClose } from './support/close.js'
import { createRandom, randomParams } from './support/random.js'

const REL = 1e-12
const SETS = 10_000

describe.each(wasmBuilds)('%s against the TypeScript reference', (_, core) => {
  const random = createRandom(20_000_527)
  const sets = Array.from({ length: SETS }, () => randomParams(random))

  it(`matches every trajectory of ${SETS} random parameter sets within 1e-12 relative`, () => {
    let largeKappaT = 0
    for (const p of sets) {
      const want = reference.trajectory(p)
      const got = core.trajectory(p)
      if (want.kappa * p.horizon > 700) largeKappaT++
      // holdings that underflow lose relative precision; compare them at a floor far below X·ε
      const floor = p.shares * 1e-290
      expectClose(got.kappa, want.kappa, REL, 0, 'kappa')
      expectClose(got.kappaTilde, want.kappaTilde, REL, 0, 'kappaTilde')
      expectAllClose(got.holdings, want.holdings, REL, floor, 'holdings')
      expectAllClose(got.trades, want.trades, REL, floor, 'trades')
      expectClose(got.expectedCost, want.expectedCost, REL, 0, 'E')
      expectClose(got.variance, want.variance, REL, floor * floor, 'V')
    }
    // the random sets really do reach the regime where sinh(κT) overflows
    expect(largeKappaT).toBeGreaterThan(100)
  })

  it(`matches the reference sweep on the same ${SETS} sets, row by row`, () => {
    const input = toColumns(sets)
    const got = core.sweep(input)
    const want = reference.sweep(input)
    expect(Array.from(got.status)).toEqual(new Array(SETS).fill(SweepStatus.OK))
    expectAllClose(got.kappa, want.kappa, REL, 0, 'kappa')
    expectAllClose(got.expectedCost, want.expectedCost, REL, 0, 'E')
    for (let i = 0; i < SETS; i++) {
      expectClose(got.variance[i]!, want.variance[i]!, REL, (sets[i]!.shares * 1e-290) ** 2, `V[${i}]`)
    }
  })

  it('gives the same E and V from sweep as from trajectory', () => {
    const some = sets.slice(0, 500)
    const s = core.sweep(toColumns(some))
    some.forEach((p, i) => {
      const t = core.trajectory(p)
      expectClose(s.kappa[i]!, t.kappa, 1e-15, 0, 'kappa')
      expectClose(s.expectedCost[i]!, t.expectedCost, REL, 0, 'E')
      expectClose(s.variance[i]!, t.variance, REL, (p.shares * 1e-290) ** 2, 'V')
    })
  })

  it('splits a sweep larger than one chunk without losing or shifting rows', () => {
    const rows = CHUNK_ROWS * 2 + 123
    const base = sets.slice(0, 997)
    const many = Array.from({ length: rows }, (_, i) => base[i % base.length]!)
    const got = core.sweep(toColumns(many))
    const once = core.sweep(toColumns(base))
    for (const i of [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, CHUNK_ROWS + 1, 2 * CHUNK_ROWS, rows - 1]) {
      expect(got.expectedCost[i]).toBe(once.expectedCost[i % base.length])
      expect(got.variance[i]).toBe(once.variance[i % base.length])
      expect(got.kappa[i]).toBe(once.kappa[i % base.length])
    }
    expect(got.status.every((s) => s === SweepStatus.OK)).toBe(true)
  })

  it('matches the reference frontier over 1,000 risk aversions, including across chunks', () => {
    const base = { ...sets[7]!, riskAversion: undefined }
    const lambdas = Float64Array.from({ length: 1000 }, (_, i) => (i === 0 ? 0 : 10 ** (-12 + (14 * i) / 999)))
    const got = core.frontier(base, lambdas)
    const want = reference.frontier(base, lambdas)
    expectAllClose(got.kappa, want.kappa, REL, 0, 'kappa')
    expectAllClose(got.expectedCost, want.expectedCost, REL, 0, 'E')
    expectAllClose(got.variance, want.variance, REL, 1e-300, 'V')
    expect(Array.from(got.riskAversion)).toEqual(Array.from(lambdas))
  })
})
