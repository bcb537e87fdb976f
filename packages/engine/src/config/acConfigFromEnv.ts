import type { Decimal } from 'decimal.js'
import { asciiUpper } from '../domain/ascii.js'
import { Dec } from '../domain/dec.js'
import { ConfigError, type ConfigIssue } from '../errors.js'
import type { RiskLimits } from '../risk/riskLimits.js'
import { URGENCIES, type Urgency } from '../domain/orderIntent.js'
import { DEFAULT_ROUTES, parseRouteSpec } from '../routing/routeStrategy.js'
import {
  PROFILE_NAMES,
  type AcConfig,
  type AcStrategyParams,
  type ExecutionParams,
  type ProfileName,
  type RouteSpec,
} from './acConfig.js'
import { AC_DEFAULTS, PROFILES } from './profiles.js'

export type Env = Readonly<Record<string, string | undefined>>

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

type NumberRule = {
  readonly min?: number
  readonly max?: number
  /** Exclusive lower bound. */
  readonly above?: number
  readonly integer?: boolean
}

/** Every value read, with its issues collected instead of thrown. */
class EnvReader {
  readonly issues: ConfigIssue[] = []
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }

  fail(variable: string, message: string, value?: string): void {
    this.issues.push(value === undefined ? { path: [variable], variable, message } : { path: [variable], variable, message, value })
  }

  checkNumber(name: string, text: string, rule: NumberRule): number | undefined {
    if (!NUMBER_RE.test(text)) return this.fail(name, 'must be a number', text), undefined
    const n = Number(text)
    if (!Number.isFinite(n)) return this.fail(name, 'must be finite', text), undefined
    if (rule.integer && !Number.isInteger(n)) return this.fail(name, 'must be an integer', text), undefined
    if (rule.above !== undefined && !(n > rule.above)) return this.fail(name, `must be > ${rule.above}`, text), undefined
    if (rule.min !== undefined && n < rule.min) return this.fail(name, `must be ≥ ${rule.min}`, text), undefined
    if (rule.max !== undefined && n > rule.max) return this.fail(name, `must be ≤ ${rule.max}`, text), undefined
    return n
  }

  /** The value if set and valid; undefined if unset or invalid (invalid is recorded). */
  number(name: string, rule: NumberRule): number | undefined {
    const text = this.raw(name)
    return text === undefined ? undefined : this.checkNumber(name, text, rule)
  }

  boolean(name: string): boolean | undefined {
    const text = this.raw(name)
    if (text === undefined) return undefined
    const t = text.toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(t)) return true
    if (['false', '0', 'no', 'off'].includes(t)) return false
    this.fail(name, 'must be true or false', text)
    return undefined
  }

  profile(name: string, text: string): ProfileName | undefined {
    if ((PROFILE_NAMES as readonly string[]).includes(text)) return text as ProfileName
    this.fail(name, `unknown profile (expected ${PROFILE_NAMES.join(', ')})`, text)
    return undefined
  }

  route(name: string, text: string): RouteSpec | undefined {
    const r = parseRouteSpec(text)
    if (r.ok) return r.value
    this.fail(name, r.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '), text)
    return undefined
  }

  /** A positive decimal (quantities, money), exactly as written. */
  decimal(name: string, fallback: string): Decimal {
    const text = this.raw(name)
    if (text === undefined) return new Dec(fallback)
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return this.fail(name, 'must be a positive decimal number (digits and a point)', text), new Dec(fallback)
    const d = new Dec(text)
    if (!d.gt(0)) return this.fail(name, 'must be > 0', text), new Dec(fallback)
    return d
  }

  /** `SYM,SYM` → upper-cased symbols; reports malformed ones. */
  symbols(name: string): string[] {
    const text = this.raw(name)
    if (text === undefined) return []
    const out: string[] = []
    for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
      const symbol = asciiUpper(part)
      if (!/^(?=.*[A-Z])[A-Z0-9./]+$/.test(symbol)) this.fail(name, `malformed symbol "${part}"`, text)
      else out.push(symbol)
    }
    return out
  }

  /** `KEY:value,KEY:value` → entries; reports malformed pairs. */
  pairs(name: string): [string, string][] {
    const text = this.raw(name)
    if (text === undefined) return []
    const out: [string, string][] = []
    for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
      const i = part.indexOf(':')
      const key = i < 0 ? '' : asciiUpper(part.slice(0, i).trim())
      const value = i < 0 ? '' : part.slice(i + 1).trim()
      if (key === '' || value === '' || !/^[A-Z0-9./]+$/.test(key)) {
        this.fail(name, `malformed entry "${part}" (expected SYMBOL:value)`, text)
        continue
      }
      out.push([key, value])
    }
    return out
  }
}

const AC_VARS = {
  riskAversion: ['AC_RISK_AVERSION', { min: 0 }],
  volatility: ['AC_VOLATILITY', { min: 0 }],
  temporaryImpact: ['AC_TEMP_IMPACT', { above: 0 }],
  permanentImpact: ['AC_PERM_IMPACT', { min: 0 }],
  numSlices: ['AC_NUM_SLICES', { min: 1, max: 1000, integer: true }],
  totalTimeSeconds: ['AC_TOTAL_TIME_SECONDS', { above: 0, max: 86_400 }],
  sliceWaitSeconds: ['AC_SLICE_WAIT_SECONDS', { above: 0 }],
  startAggression: ['AC_START_AGGRESSION', { min: 0, max: 1 }],
  endAggression: ['AC_END_AGGRESSION', { min: 0, max: 1 }],
} as const satisfies Record<string, readonly [string, NumberRule]>

type NumericAcField = keyof typeof AC_VARS

/**
 * Builds the engine configuration from an environment record. Pure: pass `process.env` (or any record)
 * in. Unset and empty variables take their defaults. Every invalid value is collected and thrown together
 * as one `ConfigError` naming each variable.
 *
 * Precedence for the AC parameters of a symbol: an explicit AC_* variable, then the symbol's profile in
 * AC_SYMBOL_PROFILES, then AC_PROFILE, then the defaults (which equal `mid_cap`).
 */
export function acConfigFromEnv(env: Env = {}): AcConfig {
  const r = new EnvReader(env)

  const explicit: { -readonly [K in keyof Omit<AcStrategyParams, 'profile'>]?: AcStrategyParams[K] } = {}
  for (const [field, [name, rule]] of Object.entries(AC_VARS) as [NumericAcField, (typeof AC_VARS)[NumericAcField]][]) {
    const v = r.number(name, rule)
    if (v !== undefined) explicit[field] = v
  }
  const fallback = r.boolean('AC_MARKET_FALLBACK')
  if (fallback !== undefined) explicit.marketFallback = fallback

  const profileText = r.raw('AC_PROFILE')
  const defaultProfile = (profileText === undefined ? 'mid_cap' : r.profile('AC_PROFILE', profileText)) ?? 'mid_cap'
  const resolve = (profile: ProfileName): AcStrategyParams => ({
    profile,
    ...AC_DEFAULTS,
    ...PROFILES[profile],
    ...explicit,
  })

  const tradingDaySeconds = r.number('AC_TRADING_DAY_SECONDS', { above: 0 }) ?? 23_400

  const checkAc = (p: AcStrategyParams, where: string): void => {
    const tau = p.totalTimeSeconds / p.numSlices
    if (p.sliceWaitSeconds > tau + 1e-9) {
      r.fail(
        'AC_SLICE_WAIT_SECONDS',
        `must be ≤ AC_TOTAL_TIME_SECONDS / AC_NUM_SLICES = ${+tau.toFixed(6)}${where}`,
        String(p.sliceWaitSeconds),
      )
    }
    if (!(p.temporaryImpact - 0.5 * p.permanentImpact * tau > 0)) {
      r.fail(
        'AC_PERM_IMPACT',
        `η̃ = AC_TEMP_IMPACT − AC_PERM_IMPACT·τ/2 must be > 0 (τ = ${+tau.toFixed(6)} s)${where}`,
        String(p.permanentImpact),
      )
    }
  }

  const ac = resolve(defaultProfile)
  checkAc(ac, defaultProfile === 'mid_cap' ? '' : ` with profile ${defaultProfile}`)

  const acBySymbol: Record<string, AcStrategyParams> = {}
  for (const [symbol, name] of r.pairs('AC_SYMBOL_PROFILES')) {
    const profile = r.profile('AC_SYMBOL_PROFILES', name)
    if (profile === undefined) continue
    const p = resolve(profile)
    acBySymbol[symbol] = p
    checkAc(p, ` with profile ${profile} for ${symbol}`)
  }

  const wtbText = r.raw('WTB_PRICE_STEPS')
  let priceSteps: readonly number[] = [0.5, 0.75, 0.95]
  if (wtbText !== undefined) {
    const parts = wtbText.split(',').map((s) => s.trim())
    const steps = parts.map((s) => r.checkNumber('WTB_PRICE_STEPS', s, { min: 0, max: 1 }))
    if (parts.length > 50) r.fail('WTB_PRICE_STEPS', 'at most 50 steps', wtbText)
    else if (steps.every((s) => s !== undefined)) priceSteps = steps as number[]
  }
  const stepWaitSeconds = r.number('WTB_STEP_WAIT_SECONDS', { above: 0 }) ?? 10

  const byUrgency = { ...DEFAULT_ROUTES } as Record<Urgency, RouteSpec>
  for (const u of URGENCIES) {
    const text = r.raw(`ROUTE_${u}`)
    if (text === undefined) continue
    const spec = r.route(`ROUTE_${u}`, text)
    if (spec) byUrgency[u] = spec
  }
  const symbolOverrides: Record<string, RouteSpec> = {}
  for (const [symbol, text] of r.pairs('ROUTE_SYMBOL_OVERRIDES')) {
    const spec = r.route('ROUTE_SYMBOL_OVERRIDES', text.replace(/;/g, ','))
    if (spec) symbolOverrides[symbol] = spec
  }

  const quoteMaxAgeSeconds = r.number('QUOTE_MAX_AGE_SECONDS', { above: 0 }) ?? 10
  const fractionalTrading = r.boolean('FRACTIONAL_TRADING') ?? false
  const execution: ExecutionParams = {
    orderPollIntervalSeconds: r.number('ORDER_POLL_INTERVAL_SECONDS', { above: 0 }) ?? 1,
    cancelConfirmTimeoutSeconds: r.number('CANCEL_CONFIRM_TIMEOUT_SECONDS', { above: 0 }) ?? 30,
    marketOrderTimeoutSeconds: r.number('MARKET_ORDER_TIMEOUT_SECONDS', { above: 0 }) ?? 30,
    brokerMaxRetries: r.number('BROKER_MAX_RETRIES', { min: 0, max: 20, integer: true }) ?? 3,
    brokerRetryBaseSeconds: r.number('BROKER_RETRY_BASE_SECONDS', { min: 0 }) ?? 0.5,
    unknownOutcomeTimeoutSeconds: r.number('UNKNOWN_OUTCOME_TIMEOUT_SECONDS', { above: 0 }) ?? 60,
  }
  const risk: RiskLimits = {
    maxOrderQuantity: r.decimal('RISK_MAX_ORDER_QUANTITY', '1000000'),
    maxOrderNotional: r.decimal('RISK_MAX_ORDER_NOTIONAL', '1000000'),
    maxChildOrdersPerMinute: r.number('RISK_MAX_CHILD_ORDERS_PER_MINUTE', { min: 1, max: 1_000_000, integer: true }) ?? 600,
    priceCollarBps: r.number('RISK_PRICE_COLLAR_BPS', { above: 0, max: 10_000 }) ?? 500,
    blockedSymbols: new Set(r.symbols('RISK_BLOCKED_SYMBOLS')),
  }

  if (r.issues.length > 0) throw new ConfigError(r.issues)
  return {
    ac,
    acBySymbol,
    walkTheBook: { priceSteps, stepWaitSeconds },
    routing: { byUrgency, symbolOverrides },
    tradingDaySeconds,
    quoteMaxAgeSeconds,
    fractionalTrading,
    execution,
    risk,
  }
}
