import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { acParamsFor, fromKernelSchedule, toKernelParams, type AcConfig } from '../../src/index.js'
import {
  ENGINE_ENV_VARIABLES,
  engineConfigFromEnv,
  readEngineEnv,
  type EngineEnvProblem,
} from '../../src/config/engineEnv.js'

/** The engine's configuration from an environment record, as the service reads it at start. */
const acConfigFromEnv = (env: Record<string, string>): AcConfig => {
  const r = engineConfigFromEnv(env)
  if (!r.ok) throw new Error(`unexpected problems: ${JSON.stringify(r.problems)}`)
  return r.config
}

/** Every problem with an environment record, and their one-line message. */
const configError = (env: Record<string, string>): { issues: readonly EngineEnvProblem[]; message: string } => {
  const r = engineConfigFromEnv(env)
  if (r.ok) throw new Error('expected problems')
  return { issues: r.problems, message: r.problems.map((p) => `${p.variable}: ${p.message}`).join('; ') }
}

const firstSlice = (env: Record<string, string>, symbol = 'X') => {
  const config = acConfigFromEnv(env)
  const params = acParamsFor(config, symbol)
  const t = reference.trajectory(toKernelParams(params, { tradingDaySeconds: config.tradingDaySeconds }))
  return { t, params, first: t.trades[0] as number, kappaT: t.kappa * params.totalTimeSeconds }
}

describe('the engine settings in the environment: defaults', () => {
  it('uses the documented defaults for an empty environment', () => {
    const c = acConfigFromEnv({})
    expect(c.ac).toEqual({
      profile: 'mid_cap',
      riskAversion: 0.5,
      volatility: 0.02,
      temporaryImpact: 0.001,
      permanentImpact: 0,
      numSlices: 5,
      totalTimeSeconds: 300,
      sliceWaitSeconds: 30,
      marketFallback: true,
      startAggression: 0.6,
      endAggression: 0.9,
    })
    expect(c.walkTheBook).toEqual({ priceSteps: [0.5, 0.75, 0.95], stepWaitSeconds: 10 })
    expect(c.tradingDaySeconds).toBe(23_400)
    expect(c.quoteMaxAgeSeconds).toBe(10)
    expect(c.fractionalTrading).toBe(false)
    expect(c.routing.byUrgency.HIGH).toEqual([{ strategy: 'market', weight: 100 }])
  })

  it('has the documented risk limits by default', () => {
    const { risk, execution } = acConfigFromEnv({})
    expect(risk.maxOrderQuantity.toFixed()).toBe('1000000')
    expect(risk.maxOrderNotional.toFixed()).toBe('1000000')
    expect(risk.maxChildOrdersPerMinute).toBe(600)
    expect(risk.priceCollarBps).toBe(500)
    expect([...risk.blockedSymbols]).toEqual([])
    expect(execution.unknownOutcomeTimeoutSeconds).toBe(60)
  })

  it('reads the risk limits exactly, symbols upper-cased on ASCII only', () => {
    const { risk } = acConfigFromEnv({
      RISK_MAX_ORDER_QUANTITY: '2500.5',
      RISK_MAX_ORDER_NOTIONAL: '12345678901234567890.01',
      RISK_MAX_CHILD_ORDERS_PER_MINUTE: '30',
      RISK_PRICE_COLLAR_BPS: '25',
      RISK_BLOCKED_SYMBOLS: 'gme, BRK.B,btc/usd',
    })
    expect(risk.maxOrderQuantity.toFixed()).toBe('2500.5')
    expect(risk.maxOrderNotional.toFixed()).toBe('12345678901234567890.01')
    expect([risk.maxChildOrdersPerMinute, risk.priceCollarBps]).toEqual([30, 25])
    expect([...risk.blockedSymbols]).toEqual(['GME', 'BRK.B', 'BTC/USD'])
  })

  it('rejects bad risk limits, each naming its variable', () => {
    const e = configError({
      RISK_MAX_ORDER_QUANTITY: '1e9',
      RISK_MAX_ORDER_NOTIONAL: '0',
      RISK_MAX_CHILD_ORDERS_PER_MINUTE: '2.5',
      RISK_PRICE_COLLAR_BPS: 'NaN',
      RISK_BLOCKED_SYMBOLS: 'AAPL,ſpy',
      UNKNOWN_OUTCOME_TIMEOUT_SECONDS: '-1',
    })
    expect(e.issues.map((i) => i.variable).sort()).toEqual([
      'RISK_BLOCKED_SYMBOLS',
      'RISK_MAX_CHILD_ORDERS_PER_MINUTE',
      'RISK_MAX_ORDER_NOTIONAL',
      'RISK_MAX_ORDER_QUANTITY',
      'RISK_PRICE_COLLAR_BPS',
      'UNKNOWN_OUTCOME_TIMEOUT_SECONDS',
    ])
  })

  it('treats empty strings as unset', () => {
    expect(acConfigFromEnv({ AC_NUM_SLICES: '', AC_PROFILE: ' ' }).ac.numSlices).toBe(5)
  })
})

describe('units: the issue’s stated numbers', () => {
  it('gives κT ≈ 0.88 and a first slice of ≈ 23.5% with the defaults', () => {
    const { kappaT, first } = firstSlice({})
    expect(kappaT).toBeCloseTo(0.88, 2)
    expect(kappaT).toBeCloseTo(0.8759, 4)
    expect(first).toBeCloseTo(0.235, 3)
  })

  it('gives a first slice of ≈ 43% for large_cap', () => {
    expect(firstSlice({ AC_PROFILE: 'large_cap' }).first).toBeCloseTo(0.43, 2)
  })

  it('gives a first slice of ≈ 15% for small_cap (7 slices over 450 s)', () => {
    const { first, params } = firstSlice({ AC_PROFILE: 'small_cap' })
    expect(params.numSlices).toBe(7)
    expect(first).toBeCloseTo(0.147, 3)
  })

  it('maps σ daily to per second and keeps X = 1', () => {
    const k = toKernelParams(acConfigFromEnv({}).ac, { tradingDaySeconds: 23_400 })
    expect(k.shares).toBe(1)
    expect(k.volatility).toBeCloseTo(0.02 / Math.sqrt(23_400), 15)
    expect(toKernelParams(acConfigFromEnv({}).ac, { tradingDaySeconds: 23_400, twap: true }).riskAversion).toBe(0)
  })

  it('turns the trajectory into fractions of what remains, whose product reproduces the schedule', () => {
    const { t, params } = firstSlice({})
    const s = fromKernelSchedule(t, params)
    let left = 1
    s.fractionOfRemaining.forEach((f, k) => {
      expect(left * f).toBeCloseTo(s.sliceFractions[k] as number, 12)
      left -= left * f
    })
    expect(s.fractionOfRemaining.at(-1)).toBe(1)
    expect(s.startSeconds).toEqual([0, 60, 120, 180, 240])
    expect(s.expectedCostBps).toBeGreaterThan(0)
    expect(s.expectedStdBps).toBeGreaterThan(0)
  })
})

describe('profiles', () => {
  it('lets explicit AC_* values win over the profile', () => {
    const c = acConfigFromEnv({ AC_PROFILE: 'small_cap', AC_NUM_SLICES: '9', AC_SLICE_WAIT_SECONDS: '20' })
    expect(c.ac).toMatchObject({
      profile: 'small_cap',
      numSlices: 9,
      totalTimeSeconds: 450,
      temporaryImpact: 0.01,
      riskAversion: 0.3,
    })
  })

  it('applies AC_SYMBOL_PROFILES per symbol', () => {
    const c = acConfigFromEnv({ AC_SYMBOL_PROFILES: 'AAPL:large_cap, xyz:small_cap', AC_RISK_AVERSION: '0.4' })
    expect(acParamsFor(c, 'AAPL')).toMatchObject({ profile: 'large_cap', temporaryImpact: 0.0001, riskAversion: 0.4 })
    expect(acParamsFor(c, 'XYZ')).toMatchObject({ profile: 'small_cap', numSlices: 7, riskAversion: 0.4 })
    expect(acParamsFor(c, 'MSFT')).toMatchObject({ profile: 'mid_cap' })
  })
})

describe('routing variables', () => {
  it('accepts a weighted split per symbol with ";" between strategies', () => {
    const c = acConfigFromEnv({ ROUTE_SYMBOL_OVERRIDES: 'AAPL:almgren_chriss:50;twap:50' })
    expect(c.routing.symbolOverrides.AAPL).toEqual([
      { strategy: 'almgren_chriss', weight: 50 },
      { strategy: 'twap', weight: 50 },
    ])
  })

  it('parses re-routes, splits and symbol overrides', () => {
    const c = acConfigFromEnv({
      ROUTE_MEDIUM: 'almgren_chriss:80,walk_the_book:20',
      ROUTE_LOW: 'twap',
      ROUTE_SYMBOL_OVERRIDES: 'LOWLIQ1:walk_the_book,LOWLIQ2:walk_the_book',
    })
    expect(c.routing.byUrgency.MEDIUM).toEqual([
      { strategy: 'almgren_chriss', weight: 80 },
      { strategy: 'walk_the_book', weight: 20 },
    ])
    expect(c.routing.byUrgency.LOW).toEqual([{ strategy: 'twap', weight: 100 }])
    expect(c.routing.symbolOverrides).toEqual({
      LOWLIQ1: [{ strategy: 'walk_the_book', weight: 100 }],
      LOWLIQ2: [{ strategy: 'walk_the_book', weight: 100 }],
    })
  })
})

describe('config errors', () => {
  it('reports every invalid variable together in one ConfigError', () => {
    const e = configError({
      AC_RISK_AVERSION: 'abc',
      AC_VOLATILITY: '-0.1',
      AC_TEMP_IMPACT: '0',
      AC_NUM_SLICES: '2.5',
      AC_TOTAL_TIME_SECONDS: 'Infinity',
      AC_MARKET_FALLBACK: 'maybe',
      AC_START_AGGRESSION: '1.5',
      AC_PROFILE: 'mega_cap',
      ROUTE_MEDIUM: 'vwap',
      WTB_PRICE_STEPS: '0.5,x',
      QUOTE_MAX_AGE_SECONDS: '0',
    })
    const vars = e.issues.map((i) => i.variable)
    for (const v of [
      'AC_RISK_AVERSION',
      'AC_VOLATILITY',
      'AC_TEMP_IMPACT',
      'AC_NUM_SLICES',
      'AC_TOTAL_TIME_SECONDS',
      'AC_MARKET_FALLBACK',
      'AC_START_AGGRESSION',
      'AC_PROFILE',
      'ROUTE_MEDIUM',
      'WTB_PRICE_STEPS',
      'QUOTE_MAX_AGE_SECONDS',
    ]) {
      expect(vars, v).toContain(v)
      expect(e.message).toContain(v)
    }
  })

  it('rejects NaN and Infinity', () => {
    expect(configError({ AC_VOLATILITY: 'NaN' }).issues[0]?.variable).toBe('AC_VOLATILITY')
    expect(configError({ AC_TEMP_IMPACT: '1e999' }).issues[0]).toMatchObject({
      variable: 'AC_TEMP_IMPACT',
      message: 'must be finite',
    })
  })

  it('rejects a slice wait longer than T/N', () => {
    const e = configError({ AC_SLICE_WAIT_SECONDS: '61' })
    expect(e.issues).toEqual([expect.objectContaining({ variable: 'AC_SLICE_WAIT_SECONDS', value: '61' })])
    expect(e.issues[0]?.message).toContain('60')
  })

  it('checks the wait against each symbol profile too', () => {
    const e = configError({
      AC_SLICE_WAIT_SECONDS: '62',
      AC_NUM_SLICES: '5',
      AC_TOTAL_TIME_SECONDS: '300',
      AC_SYMBOL_PROFILES: 'AAPL:large_cap',
    })
    expect(e.issues.filter((i) => i.variable === 'AC_SLICE_WAIT_SECONDS')).toHaveLength(2)
  })

  it('rejects unknown symbol profiles and malformed pairs', () => {
    const e = configError({ AC_SYMBOL_PROFILES: 'AAPL:huge,MSFT', ROUTE_SYMBOL_OVERRIDES: 'X:nope' })
    expect(e.issues.map((i) => i.variable).sort()).toEqual([
      'AC_SYMBOL_PROFILES',
      'AC_SYMBOL_PROFILES',
      'ROUTE_SYMBOL_OVERRIDES',
    ])
  })

  it('rejects a permanent impact that makes η̃ non-positive under the order-fraction model (the one using it)', () => {
    const e = configError({ AC_IMPACT_MODEL: 'order_fraction', AC_PERM_IMPACT: '0.0001' })
    expect(e.issues[0]?.variable).toBe('AC_PERM_IMPACT')
    expect(acConfigFromEnv({ AC_PERM_IMPACT: '0.0001' }).impact.model).toBe('participation')
  })

  it('rejects splits with zero total weight or a missing weight', () => {
    expect(configError({ ROUTE_HIGH: 'market:0' }).issues[0]?.variable).toBe('ROUTE_HIGH')
    expect(configError({ ROUTE_HIGH: 'market,twap:5' }).issues[0]?.variable).toBe('ROUTE_HIGH')
  })
})

describe('the impact model and market statistics in the environment', () => {
  it('defaults to the participation model with the documented η, γ, cap, horizon limit, ADV and size rule', () => {
    const c = acConfigFromEnv({})
    expect(c.impact).toEqual({
      model: 'participation',
      eta: 0.357,
      gamma: 0.314,
      maxParticipation: 0.1,
      maxHorizonSeconds: 23_400,
    })
    expect(c.marketStats.defaultAdv.toString()).toBe('1000000')
    expect(c.routing.acMinAdvPct).toBe(0.2)
  })

  it('reads every variable, `off` switching the cap and the size rule off', () => {
    const c = acConfigFromEnv({
      AC_IMPACT_MODEL: 'order_fraction',
      AC_IMPACT_ETA: '0.2',
      AC_IMPACT_GAMMA: '0.1',
      AC_MAX_PARTICIPATION: 'off',
      AC_MAX_HORIZON_SECONDS: '3600',
      AC_DEFAULT_ADV: '250000',
      AC_SYMBOL_ADV: 'AAPL:50000000,XYZ:120000',
      AC_SYMBOL_VOLATILITY: 'XYZ:0.05',
      ROUTE_AC_MIN_ADV_PCT: 'off',
    })
    expect(c.impact).toEqual({
      model: 'order_fraction',
      eta: 0.2,
      gamma: 0.1,
      maxParticipation: null,
      maxHorizonSeconds: 3600,
    })
    expect(c.marketStats.defaultAdv.toString()).toBe('250000')
    expect(c.marketStats.bySymbol.AAPL?.adv?.toString()).toBe('50000000')
    expect(c.marketStats.bySymbol.XYZ).toMatchObject({ volatility: 0.05 })
    expect(c.routing.acMinAdvPct).toBeNull()
  })

  it('names each bad variable', () => {
    const { issues } = configError({
      AC_IMPACT_MODEL: 'linear',
      AC_IMPACT_ETA: '-1',
      AC_MAX_PARTICIPATION: '2',
      AC_DEFAULT_ADV: 'lots',
      AC_SYMBOL_ADV: 'AAPL:0',
      AC_SYMBOL_VOLATILITY: 'AAPL:x',
      ROUTE_AC_MIN_ADV_PCT: '200',
    })
    expect(issues.map((i) => i.variable).sort()).toEqual([
      'AC_DEFAULT_ADV',
      'AC_IMPACT_ETA',
      'AC_IMPACT_MODEL',
      'AC_MAX_PARTICIPATION',
      'AC_SYMBOL_ADV',
      'AC_SYMBOL_VOLATILITY',
      'ROUTE_AC_MIN_ADV_PCT',
    ])
  })
})

describe('ENGINE_ENV_VARIABLES', () => {
  it('names every variable readEngineEnv reads (so tools that check settings by name know them all)', () => {
    const read = new Set<string>()
    const env = new Proxy({} as NodeJS.ProcessEnv, {
      get: (_t, k) => {
        if (typeof k === 'string') read.add(k)
        return undefined
      },
    })
    readEngineEnv(env)
    expect(read.size).toBeGreaterThan(30)
    expect([...read].filter((k) => !ENGINE_ENV_VARIABLES.includes(k))).toEqual([])
  })
})
