import { describe, expectTypeOf, it } from 'vitest'
import {
  AcCoreError,
  loadAcCore,
  loadAcCoreSync,
  reference,
  type AcCoreApi,
  type AcCoreErrorCode,
  type AcParams,
  type FrontierBatch,
  type SweepBatch,
  type SweepResult,
  type Trajectory,
} from '../src/index.js'

describe('the public types', () => {
  it('give every loader and the reference the same API', () => {
    expectTypeOf(loadAcCoreSync()).toMatchTypeOf<AcCoreApi>()
    expectTypeOf(loadAcCore).returns.resolves.toMatchTypeOf<AcCoreApi>()
    expectTypeOf(reference).toEqualTypeOf<AcCoreApi>()
  })

  it('give the WebAssembly core batches whose columns are typed arrays', () => {
    const core = loadAcCoreSync()
    expectTypeOf(core.createSweepBatch).returns.toEqualTypeOf<SweepBatch>()
    expectTypeOf(core.createFrontierBatch).returns.toEqualTypeOf<FrontierBatch>()
    expectTypeOf<SweepBatch['riskAversion']>().toEqualTypeOf<Float64Array>()
    expectTypeOf<SweepBatch['run']>().returns.toEqualTypeOf<number>()
    expectTypeOf<FrontierBatch['status']>().toEqualTypeOf<Int32Array>()
  })

  it('return typed arrays and numbers', () => {
    expectTypeOf<Trajectory['holdings']>().toEqualTypeOf<Float64Array>()
    expectTypeOf<SweepResult['status']>().toEqualTypeOf<Int32Array>()
    expectTypeOf<Trajectory['expectedCost']>().toEqualTypeOf<number>()
  })

  it('make permanent impact and fixed cost optional, the rest required', () => {
    expectTypeOf<{
      shares: number
      horizon: number
      slices: number
      volatility: number
      temporaryImpact: number
      riskAversion: number
    }>().toMatchTypeOf<AcParams>()
    // @ts-expect-error riskAversion is required
    const missing: AcParams = { shares: 1, horizon: 1, slices: 1, volatility: 0, temporaryImpact: 1 }
    void missing
  })

  it('name the error codes as a closed union', () => {
    expectTypeOf<AcCoreError['code']>().toEqualTypeOf<AcCoreErrorCode>()
    expectTypeOf<'AC_INVALID_PARAM'>().toMatchTypeOf<AcCoreErrorCode>()
    expectTypeOf<'NOT_A_CODE'>().not.toMatchTypeOf<AcCoreErrorCode>()
  })
})
