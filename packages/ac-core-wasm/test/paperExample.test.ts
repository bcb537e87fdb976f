import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PAPER_EXAMPLE, reference } from '../src/index.js'
import { cores } from './support/cores.js'
import { expectAllClose, expectClose } from './support/close.js'
import { paperCases, paperFixture, paperParams } from './support/paperVectors.js'

const shared = new URL('../../../../shared/reference/almgren-chriss-paper-example.json', import.meta.url)

const REL = 1e-12

describe.each(cores)('the paper worked example (§3.4) on %s', (_, core) => {
  it.each(paperCases.map((c) => [c.id, c] as const))('%s: holdings, trades, κ, E and V within 1e-12', (_, c) => {
    const p = c.params
    const t = core.trajectory(paperParams(c))
    expectClose(t.kappa, c.kappa, REL, 0, 'kappa')
    expectAllClose(t.holdings, c.x, REL, p.X * 1e-15, 'holdings')
    expectAllClose(t.trades, c.n, REL, 0, 'trades')
    expectClose(t.expectedCost, c.E, REL, 0, 'E')
    expectClose(t.variance, c.V, REL, 0, 'V')
    expect(t.holdings[0]).toBe(p.X)
    expect(t.holdings[p.N]).toBe(0)
  })
})

describe('the paper example fixture', () => {
  it.runIf(existsSync(shared))('is the same as the shared reference vectors', () => {
    expect(JSON.parse(readFileSync(paperFixture, 'utf8'))).toEqual(JSON.parse(readFileSync(shared, 'utf8')))
  })
})

describe('PAPER_EXAMPLE', () => {
  it("is the paper's §3.4 parameters: at λ = 1e-6, κ ≈ 0.6 per day", () => {
    const t = reference.trajectory({ ...PAPER_EXAMPLE, riskAversion: 1e-6 })
    expect(PAPER_EXAMPLE).toMatchObject({ shares: 1e6, horizon: 5, slices: 5, volatility: 0.95 })
    expect(t.kappa).toBeCloseTo(0.6, 1)
  })
})
