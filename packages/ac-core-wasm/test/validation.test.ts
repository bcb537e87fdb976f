import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AcCoreError, isAcCoreError, MAX_SLICES, SweepStatus, type AcParams, PAPER_EXAMPLE } from '../src/index.js'
import { cores } from './support/cores.js'

const good: AcParams = { ...PAPER_EXAMPLE, riskAversion: 1e-6 }

const bad: ReadonlyArray<readonly [field: keyof AcParams, value: unknown]> = [
  ['shares', 0],
  ['shares', -1],
  ['shares', NaN],
  ['shares', Infinity],
  ['shares', '1000'],
  ['shares', undefined],
  ['horizon', 0],
  ['horizon', -5],
  ['horizon', NaN],
  ['horizon', Infinity],
  ['slices', 0],
  ['slices', 2.5],
  ['slices', -3],
  ['slices', NaN],
  ['slices', Infinity],
  ['slices', MAX_SLICES + 1],
  ['volatility', -0.1],
  ['volatility', NaN],
  ['volatility', Infinity],
  ['temporaryImpact', 0],
  ['temporaryImpact', -1e-6],
  ['temporaryImpact', NaN],
  ['temporaryImpact', Infinity],
  ['permanentImpact', -1e-9],
  ['permanentImpact', NaN],
  ['permanentImpact', Infinity],
  ['fixedCost', -0.01],
  ['fixedCost', NaN],
  ['fixedCost', Infinity],
  ['riskAversion', -1e-6],
  ['riskAversion', NaN],
  ['riskAversion', Infinity],
  ['riskAversion', null],
]

function caught(fn: () => unknown): AcCoreError {
  try {
    fn()
  } catch (err) {
    expect(isAcCoreError(err)).toBe(true)
    return err as AcCoreError
  }
  return expect.fail('expected an AcCoreError')
}

describe.each(cores)('%s rejects bad parameters', (_, core) => {
  it.each(bad)('names %s when it is %s (AC_INVALID_PARAM)', (field, value) => {
    const err = caught(() => core.trajectory({ ...good, [field]: value } as AcParams))
    expect(err.code).toBe('AC_INVALID_PARAM')
    expect(err.field).toBe(field)
    expect(err.message).toContain(field)
    expect(err).toBeInstanceOf(AcCoreError)
  })

  it('rejects η̃ = η − γτ/2 ≤ 0 with AC_ETA_TILDE_NONPOSITIVE', () => {
    // τ = 1 day: γτ/2 = 5e-6 > η = 2.5e-6
    expect(caught(() => core.trajectory({ ...good, permanentImpact: 1e-5 })).code).toBe('AC_ETA_TILDE_NONPOSITIVE')
    // exactly zero is rejected too
    expect(caught(() => core.trajectory({ ...good, permanentImpact: 5e-6 })).code).toBe('AC_ETA_TILDE_NONPOSITIVE')
  })

  it('refuses a result that would overflow instead of returning Infinity (AC_NON_FINITE_RESULT)', () => {
    expect(caught(() => core.trajectory({ ...good, shares: 1e200 })).code).toBe('AC_NON_FINITE_RESULT')
  })

  it('rejects a bad risk aversion in a frontier by its index', () => {
    const err = caught(() => core.frontier(good, Float64Array.from([0, 1e-6, -1, 1e-5])))
    expect(err.code).toBe('AC_INVALID_PARAM')
    expect(err.field).toBe('riskAversions[2]')
  })

  it('rejects a bad base parameter in a frontier by name', () => {
    const err = caught(() => core.frontier({ ...good, slices: 0 }, Float64Array.from([1e-6])))
    expect(err.field).toBe('slices')
  })

  it('rejects sweep columns of different lengths or types, naming the column', () => {
    const col = (v: number, n = 3) => new Float64Array(n).fill(v)
    const input = {
      shares: col(1e6),
      horizon: col(5),
      slices: col(5),
      volatility: col(0.95),
      temporaryImpact: col(2.5e-6),
      riskAversion: col(1e-6),
    }
    expect(caught(() => core.sweep({ ...input, volatility: col(0.95, 2) })).field).toBe('volatility')
    expect(caught(() => core.sweep({ ...input, slices: [5, 5, 5] as unknown as Float64Array })).field).toBe('slices')
    expect(caught(() => core.sweep({ ...input, riskAversion: undefined } as never)).field).toBe('riskAversion')
  })

  it('computes the good rows of a sweep and marks each bad row with its own status and NaNs', () => {
    const rows: Array<[Partial<Record<keyof AcParams, number>>, number]> = [
      [{}, SweepStatus.OK],
      [{ shares: -1 }, SweepStatus.INVALID_SHARES],
      [{ horizon: NaN }, SweepStatus.INVALID_HORIZON],
      [{ slices: 2.5 }, SweepStatus.INVALID_SLICES],
      [{ volatility: Infinity }, SweepStatus.INVALID_VOLATILITY],
      [{ temporaryImpact: 0 }, SweepStatus.INVALID_TEMPORARY_IMPACT],
      [{ permanentImpact: -1 }, SweepStatus.INVALID_PERMANENT_IMPACT],
      [{ fixedCost: NaN }, SweepStatus.INVALID_FIXED_COST],
      [{ riskAversion: -1 }, SweepStatus.INVALID_RISK_AVERSION],
      [{ permanentImpact: 1e-5 }, SweepStatus.ETA_TILDE_NONPOSITIVE],
      [{ shares: 1e200 }, SweepStatus.NON_FINITE_RESULT],
      [{ riskAversion: 0 }, SweepStatus.OK],
    ]
    const sets = rows.map(([change]) => ({ ...good, ...change }) as Required<AcParams>)
    const column = (k: keyof AcParams) => Float64Array.from(sets, (p) => p[k])
    const s = core.sweep({
      shares: column('shares'),
      horizon: column('horizon'),
      slices: column('slices'),
      volatility: column('volatility'),
      temporaryImpact: column('temporaryImpact'),
      permanentImpact: column('permanentImpact'),
      fixedCost: column('fixedCost'),
      riskAversion: column('riskAversion'),
    })
    expect(Array.from(s.status)).toEqual(rows.map(([, status]) => status))
    rows.forEach(([, status], i) => {
      if (status === SweepStatus.OK) {
        const t = core.trajectory(sets[i]!)
        expect(s.expectedCost[i]).toBeCloseTo(t.expectedCost, 3)
        expect(s.variance[i]! / t.variance).toBeCloseTo(1, 12)
      } else {
        expect([s.kappa[i], s.expectedCost[i], s.variance[i]]).toEqual([NaN, NaN, NaN])
      }
    })
  })

  it('defaults permanentImpact and fixedCost to zero in a sweep', () => {
    const one = (v: number) => Float64Array.of(v)
    const s = core.sweep({
      shares: one(1e6),
      horizon: one(5),
      slices: one(5),
      volatility: one(0.95),
      temporaryImpact: one(2.5e-6),
      riskAversion: one(1e-6),
    })
    const t = core.trajectory({ ...good, permanentImpact: undefined, fixedCost: undefined })
    expect(s.expectedCost[0]! / t.expectedCost).toBeCloseTo(1, 12)
  })

  it('returns empty outputs for an empty sweep', () => {
    const none = new Float64Array(0)
    const s = core.sweep({
      shares: none,
      horizon: none,
      slices: none,
      volatility: none,
      temporaryImpact: none,
      riskAversion: none,
    })
    expect([s.kappa.length, s.expectedCost.length, s.variance.length, s.status.length]).toEqual([0, 0, 0, 0])
  })
})

describe('status codes', () => {
  it('are the same in the AssemblyScript kernel and the TypeScript host', () => {
    const source = readFileSync(new URL('../assembly/status.ts', import.meta.url), 'utf8')
    const kernel = Object.fromEntries(
      [...source.matchAll(/export const (\w+): i32 = (\d+)/g)].map((m) => [m[1], Number(m[2])]),
    )
    expect(kernel).toEqual(SweepStatus)
    expect(source).toContain(`MAX_SLICES: f64 = ${MAX_SLICES}`)
  })
})
