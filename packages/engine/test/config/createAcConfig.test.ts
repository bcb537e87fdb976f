import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { acParamsFor } from '../../src/config/acConfig.js'
import { CONFIG_DEFAULTS, createAcConfig, type AcConfigInput } from '../../src/config/createAcConfig.js'
import { toKernelParams } from '../../src/config/kernelParams.js'
import { isConfigError, type ConfigError } from '../../src/errors.js'

const configError = (input: AcConfigInput): ConfigError => {
  try {
    createAcConfig(input)
  } catch (e) {
    if (isConfigError(e)) return e
    throw e
  }
  throw new Error('expected a ConfigError')
}
const paths = (e: ConfigError) => e.issues.map((i) => i.path.join('.'))

describe('createAcConfig', () => {
  it('fills every default', () => {
    const c = createAcConfig()
    expect(c.ac).toMatchObject({
      profile: 'mid_cap',
      riskAversion: 0.5,
      numSlices: 5,
      totalTimeSeconds: 300,
      marketFallback: true,
    })
    expect(c.walkTheBook).toEqual(CONFIG_DEFAULTS.walkTheBook)
    expect(c.execution).toEqual(CONFIG_DEFAULTS.execution)
    expect(c.risk.maxOrderNotional.toFixed()).toBe('1000000')
    expect(c.routing.byUrgency.LOW).toEqual([{ strategy: 'walk_the_book', weight: 100 }])
  })

  it('gives the issue’s numbers: κT ≈ 0.876 and a first slice of 23.5 % with the defaults; 42.7 % for large_cap', () => {
    const first = (input: AcConfigInput) => {
      const c = createAcConfig(input)
      const t = reference.trajectory(toKernelParams(acParamsFor(c, 'X'), { tradingDaySeconds: c.tradingDaySeconds }))
      return { first: t.trades[0] as number, kappaT: t.kappa * acParamsFor(c, 'X').totalTimeSeconds }
    }
    expect(first({}).kappaT).toBeCloseTo(0.8759, 4)
    expect(first({}).first).toBeCloseTo(0.235, 3)
    expect(first({ ac: { profile: 'large_cap' } }).first).toBeCloseTo(0.427, 3)
  })

  it('lets explicit values win over profiles, per symbol too', () => {
    const c = createAcConfig({
      ac: { profile: 'small_cap', numSlices: 9, sliceWaitSeconds: 20 },
      symbolProfiles: { aapl: 'large_cap' },
    })
    expect(c.ac).toMatchObject({ profile: 'small_cap', numSlices: 9, totalTimeSeconds: 450, temporaryImpact: 0.01 })
    expect(c.acBySymbol.AAPL).toMatchObject({ profile: 'large_cap', numSlices: 9, temporaryImpact: 0.0001 })
  })

  it('lists every problem at once, each by the path of its field', () => {
    const e = configError({
      ac: {
        riskAversion: Number.NaN,
        volatility: -1,
        temporaryImpact: 0,
        numSlices: 2.5,
        totalTimeSeconds: Number.POSITIVE_INFINITY,
        profile: 'mega_cap' as never,
      },
      symbolProfiles: { 'AA PL': 'large_cap', MSFT: 'huge' as never },
      walkTheBook: { priceSteps: [0.5, 2], stepWaitSeconds: 0 },
      routing: {
        byUrgency: { HIGH: [{ strategy: 'market', weight: 0 }] },
        symbolOverrides: { X: [{ strategy: 'vwap' as never, weight: 1 }] },
      },
      quoteMaxAgeSeconds: 0,
      execution: { brokerMaxRetries: 21 },
      risk: {
        maxOrderQuantity: '1e9',
        maxOrderNotional: 0,
        maxChildOrdersPerMinute: 0.5,
        priceCollarBps: 20_000,
        blockedSymbols: ['ſpy'],
      },
    })
    expect(paths(e).sort()).toEqual(
      [
        'ac.riskAversion',
        'ac.volatility',
        'ac.temporaryImpact',
        'ac.numSlices',
        'ac.totalTimeSeconds',
        'ac.profile',
        'symbolProfiles.AA PL',
        'symbolProfiles.MSFT',
        'walkTheBook.priceSteps.1',
        'walkTheBook.stepWaitSeconds',
        'routing.byUrgency.HIGH',
        'routing.symbolOverrides.X.0',
        'quoteMaxAgeSeconds',
        'execution.brokerMaxRetries',
        'risk.maxOrderQuantity',
        'risk.maxOrderNotional',
        'risk.maxChildOrdersPerMinute',
        'risk.priceCollarBps',
        'risk.blockedSymbols.0',
      ].sort(),
    )
    expect(e.message).toContain('ac.numSlices: must be an integer')
  })

  it('checks the slice wait against T/N and η̃ > 0 for the default and for each symbol profile', () => {
    expect(paths(configError({ ac: { sliceWaitSeconds: 61 } }))).toEqual(['ac.sliceWaitSeconds'])
    const both = configError({ ac: { sliceWaitSeconds: 62 }, symbolProfiles: { AAPL: 'large_cap' } })
    expect(paths(both)).toEqual(['ac.sliceWaitSeconds', 'ac.sliceWaitSeconds'])
    expect(both.issues[1]?.message).toContain('for AAPL')
    const orderFraction = { model: 'order_fraction' as const }
    expect(paths(configError({ ac: { permanentImpact: 0.0001 }, impact: orderFraction }))).toEqual([
      'ac.permanentImpact',
    ])
    // the participation model does not use them: an η̃ of theirs ≤ 0 refuses nothing there
    expect(createAcConfig({ ac: { permanentImpact: 0.0001 } }).impact.model).toBe('participation')
  })
})
