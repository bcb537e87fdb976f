import { readFileSync } from 'node:fs'

/** One case of the paper's worked example (§3.4), values computed at 50 digits. */
export interface PaperCase {
  id: string
  params: {
    X: number
    T: number
    N: number
    sigma: number
    eta: number
    gamma: number
    epsilon: number
    lambda: number
  }
  kappa: number
  x: number[]
  n: number[]
  E: number
  V: number
}

// A copy of ../shared/reference/almgren-chriss-paper-example.json (the project's public test vectors),
// kept in the package so its tests run from a clone alone; paperExample.test.ts checks the copy is current.
export const paperFixture = new URL('../fixtures/almgren-chriss-paper-example.json', import.meta.url)
export const paperCases = (JSON.parse(readFileSync(paperFixture, 'utf8')) as { cases: PaperCase[] }).cases

/** The case's parameters in the API's words. */
export const paperParams = (c: PaperCase) => ({
  shares: c.params.X,
  horizon: c.params.T,
  slices: c.params.N,
  volatility: c.params.sigma,
  temporaryImpact: c.params.eta,
  permanentImpact: c.params.gamma,
  fixedCost: c.params.epsilon,
  riskAversion: c.params.lambda,
})
