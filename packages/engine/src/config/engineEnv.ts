import { isConfigError } from '../errors.js'
import type { Urgency } from '../domain/orderIntent.js'
import { PROFILE_NAMES, type AcConfig, type ExecutionParams, type ProfileName, type RouteSpec } from './acConfig.js'
import { createAcConfig, type AcConfigInput } from './createAcConfig.js'
import { parseRouteSpec } from '../routing/routeStrategy.js'

/** One bad setting: the variable, what is wrong, and the value given (never echoed for secrets; none here are). */
export interface EngineEnvProblem {
  readonly variable: string
  readonly message: string
  readonly value?: string
}

export type EngineEnvResult =
  | { readonly ok: true; readonly config: AcConfig }
  | { readonly ok: false; readonly problems: readonly EngineEnvProblem[] }

type Env = Readonly<Record<string, string | undefined>>

/** Every AC_* number and the `ac` field it sets. */
const AC_NUMBERS = {
  AC_RISK_AVERSION: 'riskAversion',
  AC_VOLATILITY: 'volatility',
  AC_TEMP_IMPACT: 'temporaryImpact',
  AC_PERM_IMPACT: 'permanentImpact',
  AC_NUM_SLICES: 'numSlices',
  AC_TOTAL_TIME_SECONDS: 'totalTimeSeconds',
  AC_SLICE_WAIT_SECONDS: 'sliceWaitSeconds',
  AC_START_AGGRESSION: 'startAggression',
  AC_END_AGGRESSION: 'endAggression',
} as const

const EXECUTION_NUMBERS: Readonly<Record<string, keyof ExecutionParams>> = {
  ORDER_POLL_INTERVAL_SECONDS: 'orderPollIntervalSeconds',
  CANCEL_CONFIRM_TIMEOUT_SECONDS: 'cancelConfirmTimeoutSeconds',
  MARKET_ORDER_TIMEOUT_SECONDS: 'marketOrderTimeoutSeconds',
  BROKER_MAX_RETRIES: 'brokerMaxRetries',
  BROKER_RETRY_BASE_SECONDS: 'brokerRetryBaseSeconds',
  UNKNOWN_OUTCOME_TIMEOUT_SECONDS: 'unknownOutcomeTimeoutSeconds',
  AC_CLOSE_MARGIN_SECONDS: 'closeMarginSeconds',
}

/** The impact model's numbers and the `impact` field each sets. */
const IMPACT_NUMBERS = {
  AC_IMPACT_ETA: 'eta',
  AC_IMPACT_GAMMA: 'gamma',
  AC_MAX_PARTICIPATION: 'maxParticipation',
  AC_MAX_HORIZON_SECONDS: 'maxHorizonSeconds',
} as const

const RISK_VARIABLES = {
  RISK_MAX_ORDER_QUANTITY: 'maxOrderQuantity',
  RISK_MAX_ORDER_NOTIONAL: 'maxOrderNotional',
  RISK_MAX_CHILD_ORDERS_PER_MINUTE: 'maxChildOrdersPerMinute',
  RISK_PRICE_COLLAR_BPS: 'priceCollarBps',
  RISK_BLOCKED_SYMBOLS: 'blockedSymbols',
} as const

/** Every variable `readEngineEnv` reads (the engine's settings), for tools that check a set of settings by name. */
export const ENGINE_ENV_VARIABLES: readonly string[] = [
  ...Object.keys(AC_NUMBERS),
  'AC_MARKET_FALLBACK',
  'AC_PROFILE',
  'AC_SYMBOL_PROFILES',
  'AC_TRADING_DAY_SECONDS',
  'WTB_PRICE_STEPS',
  'WTB_STEP_WAIT_SECONDS',
  'ROUTE_LOW',
  'ROUTE_MEDIUM',
  'ROUTE_HIGH',
  'ROUTE_SYMBOL_OVERRIDES',
  'QUOTE_MAX_AGE_SECONDS',
  'FRACTIONAL_TRADING',
  'AC_IMPACT_MODEL',
  ...Object.keys(IMPACT_NUMBERS),
  'AC_DEFAULT_ADV',
  'AC_SYMBOL_ADV',
  'AC_SYMBOL_VOLATILITY',
  'ROUTE_AC_MIN_ADV_PCT',
  ...Object.keys(EXECUTION_NUMBERS),
  ...Object.keys(RISK_VARIABLES),
]

/**
 * The variable that sets a configuration path, for `createAcConfig`'s issues (their paths name fields).
 * The one table from the engine's fields back to the environment.
 */
export function variableFor(path: readonly (string | number)[]): string {
  const [head, field] = path
  const find = (table: Readonly<Record<string, string>>) => Object.entries(table).find(([, f]) => f === field)?.[0]
  switch (head) {
    case 'ac':
      return field === 'profile'
        ? 'AC_PROFILE'
        : field === 'marketFallback'
          ? 'AC_MARKET_FALLBACK'
          : (find(AC_NUMBERS) ?? 'AC_*')
    case 'symbolProfiles':
      return 'AC_SYMBOL_PROFILES'
    case 'walkTheBook':
      return field === 'priceSteps' ? 'WTB_PRICE_STEPS' : 'WTB_STEP_WAIT_SECONDS'
    case 'routing':
      return field === 'symbolOverrides'
        ? 'ROUTE_SYMBOL_OVERRIDES'
        : field === 'acMinAdvPct'
          ? 'ROUTE_AC_MIN_ADV_PCT'
          : `ROUTE_${String(path[2] ?? '*')}`
    case 'impact':
      return field === 'model' ? 'AC_IMPACT_MODEL' : (find(IMPACT_NUMBERS) ?? 'AC_IMPACT_*')
    case 'marketStats':
      return field === 'defaultAdv'
        ? 'AC_DEFAULT_ADV'
        : path[3] === 'volatility'
          ? 'AC_SYMBOL_VOLATILITY'
          : 'AC_SYMBOL_ADV'
    case 'tradingDaySeconds':
      return 'AC_TRADING_DAY_SECONDS'
    case 'quoteMaxAgeSeconds':
      return 'QUOTE_MAX_AGE_SECONDS'
    case 'fractionalTrading':
      return 'FRACTIONAL_TRADING'
    case 'execution':
      return find(EXECUTION_NUMBERS) ?? 'execution'
    case 'risk':
      return find(RISK_VARIABLES) ?? 'RISK_*'
    default:
      return String(head ?? '(config)')
  }
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/** Reads text into typed values, collecting what cannot be read (wrong type) by variable. */
class EnvReader {
  readonly problems: EngineEnvProblem[] = []
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }

  fail(variable: string, message: string, value?: string): void {
    this.problems.push(value === undefined ? { variable, message } : { variable, message, value })
  }

  /** A number's text; ranges are createAcConfig's to check (it knows them). */
  number(name: string, text = this.raw(name)): number | undefined {
    if (text === undefined) return undefined
    if (!NUMBER_RE.test(text)) return (this.fail(name, 'must be a number', text), undefined)
    const n = Number(text)
    if (!Number.isFinite(n)) return (this.fail(name, 'must be finite', text), undefined)
    return n
  }

  /** A number, or `off` / `none` for null (a limit switched off). */
  numberOrOff(name: string): number | null | undefined {
    const text = this.raw(name)
    if (text !== undefined && ['off', 'none'].includes(text.toLowerCase())) return null
    return this.number(name, text)
  }

  boolean(name: string): boolean | undefined {
    const text = this.raw(name)
    if (text === undefined) return undefined
    const t = text.toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(t)) return true
    if (['false', '0', 'no', 'off'].includes(t)) return false
    this.fail(name, 'must be one of true, false, 1, 0, yes, no, on, off', text)
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
    this.fail(
      name,
      r.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '),
      text,
    )
    return undefined
  }

  /** `KEY:value,KEY:value` → entries; reports malformed pairs. */
  pairs(name: string): [string, string][] {
    const text = this.raw(name)
    if (text === undefined) return []
    const out: [string, string][] = []
    for (const part of text
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0)) {
      const i = part.indexOf(':')
      const key = i < 0 ? '' : part.slice(0, i).trim()
      const value = i < 0 ? '' : part.slice(i + 1).trim()
      if (key === '' || value === '') {
        this.fail(name, `malformed entry "${part}" (expected SYMBOL:value)`, text)
        continue
      }
      out.push([key, value])
    }
    return out
  }

  list(name: string): string[] | undefined {
    const text = this.raw(name)
    return text === undefined
      ? undefined
      : text
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p.length > 0)
  }
}

/**
 * The engine's settings in the environment — AC_* (the impact model and market statistics included),
 * WTB_*, ROUTE_*, RISK_*, QUOTE_MAX_AGE_SECONDS,
 * FRACTIONAL_TRADING and the executor's timeouts; the one place those names are read — as the engine's
 * typed input, plus what could not be read at all (not a number, an unknown profile). Unset and empty
 * variables are left out (the engine's defaults apply). Ranges are `createAcConfig`'s to check.
 */
export function readEngineEnv(env: Env): {
  readonly input: AcConfigInput
  readonly problems: readonly EngineEnvProblem[]
} {
  const r = new EnvReader(env)
  const ac: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(AC_NUMBERS)) {
    const v = r.number(name)
    if (v !== undefined) ac[field] = v
  }
  const fallback = r.boolean('AC_MARKET_FALLBACK')
  if (fallback !== undefined) ac.marketFallback = fallback
  const profileText = r.raw('AC_PROFILE')
  if (profileText !== undefined) {
    const p = r.profile('AC_PROFILE', profileText)
    if (p) ac.profile = p
  }
  const symbolProfiles: Record<string, ProfileName> = {}
  for (const [symbol, name] of r.pairs('AC_SYMBOL_PROFILES')) {
    const p = r.profile('AC_SYMBOL_PROFILES', name)
    if (p) symbolProfiles[symbol] = p
  }

  const wtbText = r.raw('WTB_PRICE_STEPS')
  let priceSteps: number[] | undefined
  if (wtbText !== undefined) {
    const steps = wtbText.split(',').map((s) => r.number('WTB_PRICE_STEPS', s.trim()))
    if (steps.every((s) => s !== undefined)) priceSteps = steps as number[]
  }

  const byUrgency: Partial<Record<Urgency, RouteSpec>> = {}
  for (const u of ['LOW', 'MEDIUM', 'HIGH'] as const) {
    const text = r.raw(`ROUTE_${u}`)
    const spec = text === undefined ? undefined : r.route(`ROUTE_${u}`, text)
    if (spec) byUrgency[u] = spec
  }
  const symbolOverrides: Record<string, RouteSpec> = {}
  for (const [symbol, text] of r.pairs('ROUTE_SYMBOL_OVERRIDES')) {
    const spec = r.route('ROUTE_SYMBOL_OVERRIDES', text.replace(/;/g, ','))
    if (spec) symbolOverrides[symbol] = spec
  }

  const impact: Record<string, unknown> = {}
  const model = r.raw('AC_IMPACT_MODEL')
  if (model !== undefined) impact.model = model.toLowerCase()
  for (const [name, field] of Object.entries(IMPACT_NUMBERS)) {
    const v = name === 'AC_MAX_PARTICIPATION' ? r.numberOrOff(name) : r.number(name)
    if (v !== undefined) impact[field] = v
  }
  const bySymbol: Record<string, { adv?: string; volatility?: number }> = {}
  for (const [symbol, text] of r.pairs('AC_SYMBOL_ADV')) bySymbol[symbol] = { ...bySymbol[symbol], adv: text }
  for (const [symbol, text] of r.pairs('AC_SYMBOL_VOLATILITY')) {
    const v = r.number('AC_SYMBOL_VOLATILITY', text)
    if (v !== undefined) bySymbol[symbol] = { ...bySymbol[symbol], volatility: v }
  }
  const defaultAdv = r.raw('AC_DEFAULT_ADV')
  const acMinAdvPct = r.numberOrOff('ROUTE_AC_MIN_ADV_PCT')

  const execution: Record<string, number> = {}
  for (const [name, field] of Object.entries(EXECUTION_NUMBERS)) {
    const v = r.number(name)
    if (v !== undefined) execution[field] = v
  }

  const risk: Record<string, unknown> = {}
  const quantityText = r.raw('RISK_MAX_ORDER_QUANTITY')
  if (quantityText !== undefined) risk.maxOrderQuantity = quantityText
  const notionalText = r.raw('RISK_MAX_ORDER_NOTIONAL')
  if (notionalText !== undefined) risk.maxOrderNotional = notionalText
  const perMinute = r.number('RISK_MAX_CHILD_ORDERS_PER_MINUTE')
  if (perMinute !== undefined) risk.maxChildOrdersPerMinute = perMinute
  const collar = r.number('RISK_PRICE_COLLAR_BPS')
  if (collar !== undefined) risk.priceCollarBps = collar
  const blocked = r.list('RISK_BLOCKED_SYMBOLS')
  if (blocked !== undefined) risk.blockedSymbols = blocked

  const input: AcConfigInput = {
    ac: ac as AcConfigInput['ac'],
    symbolProfiles,
    walkTheBook: {
      ...optional('priceSteps', priceSteps),
      ...optional('stepWaitSeconds', r.number('WTB_STEP_WAIT_SECONDS')),
    },
    routing: { byUrgency, symbolOverrides, ...optional('acMinAdvPct', acMinAdvPct) },
    impact: impact as AcConfigInput['impact'],
    marketStats: { bySymbol, ...optional('defaultAdv', defaultAdv) },
    ...optional('tradingDaySeconds', r.number('AC_TRADING_DAY_SECONDS')),
    ...optional('quoteMaxAgeSeconds', r.number('QUOTE_MAX_AGE_SECONDS')),
    ...optional('fractionalTrading', r.boolean('FRACTIONAL_TRADING')),
    execution,
    risk: risk as AcConfigInput['risk'],
  }
  return { input, problems: r.problems }
}

/** `createAcConfig` over an input, its issues named by `nameOf(path)` (a variable, or a flag). */
export function checkEngineConfig(
  input: AcConfigInput,
  nameOf: (path: readonly (string | number)[]) => string = variableFor,
): EngineEnvResult {
  try {
    return { ok: true, config: createAcConfig(input) }
  } catch (err) {
    if (!isConfigError(err)) throw err
    return {
      ok: false,
      problems: err.issues.map((i): EngineEnvProblem => {
        const variable = nameOf(i.path)
        return i.value === undefined
          ? { variable, message: i.message }
          : { variable, message: i.message, value: i.value }
      }),
    }
  }
}

/** The engine's configuration from the environment; every problem returned, each naming its variable. */
export function engineConfigFromEnv(env: Env): EngineEnvResult {
  const { input, problems } = readEngineEnv(env)
  const checked = checkEngineConfig(input)
  if (problems.length === 0) return checked
  return { ok: false, problems: [...problems, ...(checked.ok ? [] : checked.problems)] }
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
