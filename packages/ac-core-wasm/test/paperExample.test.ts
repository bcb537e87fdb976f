import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cores } from './support/cores.js'
import { expectAllClose, expectClose } from './support/close.js'

interface PaperCase {
  id: string
  params: { X: number; T: number; N: number; sigma: number; eta: number; gamma: number; epsilon: number; lambda: number }
  kappa: number
  x: number[]
  n: number[]
  E: number
  V: number
}
// A copy of ../shared/reference/almgren-chriss-paper-example.json (the project's public test vectors),
// kept in the package so its tests run from a clone alone; the last test checks the copy is current.
const fixture = new URL('./fixtures/almgren-chriss-paper-example.json', import.meta.url)
const shared = new URL('../../../../shared/reference/almgren-chriss-paper-example.json', import.meta.url)
const vectors = JSON.parse(readFileSync(fixture, 'utf8')) as { cases: PaperCase[] }

const REL = 1e-12

describe.each(cores)('the paper worked example (§3.4) on %s', (_, core) => {
  it.each(vectors.cases.map((c) => [c.id, c] as const))('%s: holdings, trades, κ, E and V within 1e-12', (_, c) => {
    const p = c.params
    const t = core.trajectory({
      shares: p.X, horizon: p.T, slices: p.N, volatility: p.sigma, temporaryImpact: p.eta,
      permanentImpact: p.gamma, fixedCost: p.epsilon, riskAversion: p.lambda,
    })
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
    expect(JSON.parse(readFileSync(fixture, 'utf8'))).toEqual(JSON.parse(readFileSync(shared, 'utf8')))
  })
})
