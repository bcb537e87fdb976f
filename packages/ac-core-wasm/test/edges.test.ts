// The float64 edges: no spurious failure (a finite answer is returned whenever the exact κ, E and V
// are float64 numbers) and no silent wrong answer (whatever is returned is within 1e−12 of exact).
import { describe, expect, it } from 'vitest'
import { AcCoreError, reference, SweepStatus, type AcParams, PAPER_EXAMPLE } from '../src/index.js'
import { etaTilde } from '../src/etaTilde.js'
import { cores, toColumns, wasmBuilds } from './support/cores.js'
import { expectClose } from './support/close.js'
import { oracle } from './support/oracle.js'
import { createRandom, extremeParams } from './support/random.js'

const REL = 1e-12
const MAX = 1.7976931348623157e308
const NORMAL = 2.2250738585072014e-308

/** κ, E, V against the oracle: within REL, or within one subnormal step where the exact value is subnormal. */
function expectLikeOracle(got: { kappa: number; expectedCost: number; variance: number }, p: AcParams): void {
  const o = oracle(p)
  for (const [name, g, w] of [
    ['κ', got.kappa, o.kappa],
    ['E', got.expectedCost, o.expectedCost],
    ['V', got.variance, o.variance],
  ] as const) {
    expectClose(g, w, REL, Math.abs(w) < NORMAL ? 2 ** -1074 * 2 : 0, `${name} for ${JSON.stringify(p)}`)
  }
}

const paper: AcParams = { ...PAPER_EXAMPLE, riskAversion: 1e-6 }

describe.each(cores)('%s at the float64 edges', (name, core) => {
  const wasm = name !== 'reference'

  it('computes λ = 1e300 with η = 1e−10, where λσ²/η̃ overflows but κ̃, E and V do not', () => {
    const p = { ...paper, temporaryImpact: 1e-10, permanentImpact: 0, riskAversion: 1e300 }
    expect(Number.isFinite(((p.riskAversion * p.volatility ** 2) / p.temporaryImpact) ** 0.5)).toBe(false)
    const t = core.trajectory(p)
    expectLikeOracle(t, p)
    expectClose(t.kappaTilde, oracle(p).kappaTilde, REL, 0, 'κ̃')
    // κτ = 2·asinh(κ̃τ/2) ≈ 714: x_1 = X·e^{−κτ} ≈ 1.1e−304, still a normal number, and x_2 underflows
    expectClose(t.holdings[1]!, oracle(p).holding(1), REL, 0, 'x_1')
    expect(t.holdings[2]).toBe(0)
  })

  it('keeps κ > 0 when λσ² underflows (σ = 1e−200): the straight line to double precision, κ = κ̃', () => {
    const p = { ...paper, volatility: 1e-200, riskAversion: 1e-20 }
    expect(p.riskAversion * p.volatility ** 2).toBe(0)
    const t = core.trajectory(p)
    expect(t.kappa).toBeGreaterThan(0)
    expectLikeOracle(t, p)
    expectClose(t.kappa, (1e-200 * 1e-10) / Math.sqrt(2.5e-6 - 2.5e-7 / 2), 1e-15, 0, 'κ = κ̃')
  })

  it('keeps E exact when η̃ = η − γτ/2 cancels 40 bits (η̃ = 2^−40·η)', () => {
    // τ = 1: γ = 2η(1 − 2^−40) exactly representable, so η̃ = η·2^−40 exactly
    const p = { ...paper, horizon: 5, slices: 5, temporaryImpact: 1, permanentImpact: 2 * (1 - 2 ** -40) }
    expect(etaTilde(1, p.permanentImpact, 5, 5)).toBe(2 ** -40)
    expectLikeOracle(core.trajectory(p), p)
  })

  it('refuses η̃ = 0 and η̃ one ulp below zero, and accepts η̃ = 2^−60·η (AC_ETA_TILDE_NONPOSITIVE)', () => {
    const refuse = (gamma: number) => {
      try {
        core.trajectory({ ...paper, temporaryImpact: 1, permanentImpact: gamma, horizon: 1, slices: 1 })
      } catch (err) {
        expect((err as AcCoreError).code).toBe('AC_ETA_TILDE_NONPOSITIVE')
        return
      }
      expect.fail(`γ = ${gamma} was accepted`)
    }
    refuse(2) // η̃ = 1 − 2/2 = 0
    refuse(2 * (1 + 2 ** -52)) // η̃ = −2^−52
    refuse(2 * (1 - 2 ** -102)) // η̃ = 2^−102·η ≤ 2^−100·η: below the floor (rounds to 2 anyway)
    const p = { ...paper, temporaryImpact: 1, permanentImpact: 2 * (1 - 2 ** -52), horizon: 1, slices: 1 }
    expectLikeOracle(core.trajectory(p), p)
  })

  it('returns a finite E where X² overflows but E does not (X = 1e160, η = 1e−30)', () => {
    const p = { ...paper, shares: 1e160, temporaryImpact: 1e-30, permanentImpact: 0, fixedCost: 0, volatility: 1e-170 }
    expect(p.shares * p.shares).toBe(Infinity)
    const s = core.sweep(toColumns([p]))
    expect(s.status[0]).toBe(SweepStatus.OK)
    expectLikeOracle({ kappa: s.kappa[0]!, expectedCost: s.expectedCost[0]!, variance: s.variance[0]! }, p)
  })

  it.runIf(wasm)('decides η̃ ≤ 0 exactly as the host validation and the reference do', () => {
    const random = createRandom(99)
    for (let i = 0; i < 300; i++) {
      const N = 1 + Math.floor(random() * 1000)
      const T = 10 ** (-3 + 6 * random())
      const eta = 10 ** (-8 + 6 * random())
      // γτ/2 within a few ulps of η, on both sides
      const gamma = ((2 * eta) / (T / N)) * (1 + (random() - 0.5) * 2 ** -50)
      const p = { ...paper, slices: N, horizon: T, temporaryImpact: eta, permanentImpact: gamma }
      const host = Number.isNaN(etaTilde(eta, gamma, T, N)) ? SweepStatus.ETA_TILDE_NONPOSITIVE : SweepStatus.OK
      expect(core.sweep(toColumns([p])).status[0]).toBe(host)
      expect(reference.sweep(toColumns([p])).status[0]).toBe(host)
    }
  })
})

describe.each(wasmBuilds)('%s over the whole float64 range', (_, core) => {
  const random = createRandom(4242)
  const sets = Array.from({ length: 1500 }, () => extremeParams(random))

  it('never returns NaN or ±Infinity with status OK, never fails where the answer is a float64, and is exact', () => {
    const got = core.sweep(toColumns(sets))
    const counts = { ok: 0, overflow: 0, etaTilde: 0 }
    sets.forEach((p, i) => {
      const o = oracle(p)
      const status = got.status[i]
      if (o.status === SweepStatus.ETA_TILDE_NONPOSITIVE) {
        expect(status).toBe(o.status)
        counts.etaTilde++
        return
      }
      const representable = [o.kappa, o.expectedCost, o.variance].every((v) => Math.abs(v) <= MAX)
      if (status === SweepStatus.OK) {
        expect(representable, `OK for an overflowing ${JSON.stringify(p)}`).toBe(true)
        expectLikeOracle({ kappa: got.kappa[i]!, expectedCost: got.expectedCost[i]!, variance: got.variance[i]! }, p)
        counts.ok++
      } else {
        expect(status).toBe(SweepStatus.NON_FINITE_RESULT)
        expect(representable, `spurious failure for ${JSON.stringify(p)}`).toBe(false)
        expect([got.kappa[i], got.expectedCost[i], got.variance[i]]).toEqual([NaN, NaN, NaN])
        counts.overflow++
      }
    })
    // the sample really reaches each outcome
    expect(counts.ok).toBeGreaterThan(300)
    expect(counts.overflow).toBeGreaterThan(200)
    expect(counts.etaTilde).toBeGreaterThan(300)
  })

  it('holds the same for trajectories (N ≤ 1000), where κ̃ itself must be a float64 too', () => {
    const r = createRandom(77)
    let ok = 0
    for (let i = 0; i < 300; i++) {
      const p = extremeParams(r, 1000)
      const o = oracle(p)
      const representable = [o.kappa, o.kappaTilde, o.expectedCost, o.variance].every((v) => Math.abs(v) <= MAX)
      let t
      try {
        t = core.trajectory(p)
      } catch (err) {
        const code = (err as AcCoreError).code
        if (o.status === SweepStatus.ETA_TILDE_NONPOSITIVE) expect(code).toBe('AC_ETA_TILDE_NONPOSITIVE')
        else {
          expect(code).toBe('AC_NON_FINITE_RESULT')
          expect(representable, `spurious failure for ${JSON.stringify(p)}`).toBe(false)
        }
        continue
      }
      expect(representable).toBe(true)
      expectLikeOracle(t, p)
      for (const k of [1, p.slices >> 1, p.slices]) {
        const want = o.holding(k)
        expect(Math.abs(t.holdings[k]! - want)).toBeLessThanOrEqual(16 * 2 ** -53 * p.shares)
        if (Math.abs(want) >= NORMAL) expectClose(t.holdings[k]!, want, REL, 0, `x_${k}`)
      }
      ok++
    }
    expect(ok).toBeGreaterThan(50)
  })
})
