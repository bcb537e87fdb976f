import type { Decimal } from 'decimal.js'
import { asciiUpper } from '../domain/ascii.js'
import { Dec, isDecimal } from '../domain/dec.js'
import { URGENCIES, type Urgency } from '../domain/orderIntent.js'
import { ConfigError, type ConfigIssue } from '../errors.js'
import type { RiskLimits } from '../risk/riskLimits.js'
import { DEFAULT_ROUTES, checkRouteSpec } from '../routing/routeStrategy.js'
import {
  IMPACT_MODELS,
  PROFILE_NAMES,
  type AcConfig,
  type AcStrategyParams,
  type ExecutionParams,
  type ImpactModelName,
  type ImpactParams,
  type ProfileName,
  type RouteSpec,
  type SymbolStatsOverride,
  type WalkTheBookParams,
} from './acConfig.js'
import { AC_DEFAULTS, PROFILES } from './profiles.js'

/** A decimal setting: a `Decimal`, a decimal string or a finite number. */
export type DecimalInput = Decimal | string | number

/**
 * The engine's configuration as typed data, every field optional (defaults below). What an application
 * reads from its environment, files or flags, it maps onto this; the engine knows no variable names.
 */
export interface AcConfigInput {
  /** The Almgren–Chriss parameters of symbols without a profile of their own: a profile, then explicit values over it. */
  readonly ac?: { readonly profile?: ProfileName } & Partial<Omit<AcStrategyParams, 'profile'>>
  /** Per-symbol profiles (`{ AAPL: 'large_cap' }`); the explicit values in `ac` still win over them. */
  readonly symbolProfiles?: Readonly<Record<string, ProfileName>>
  readonly walkTheBook?: Partial<WalkTheBookParams>
  readonly routing?: {
    readonly byUrgency?: Partial<Readonly<Record<Urgency, RouteSpec>>>
    readonly symbolOverrides?: Readonly<Record<string, RouteSpec>>
    /** % of ADV below which `almgren_chriss` routes to `walk_the_book` (0–100); null: off. */
    readonly acMinAdvPct?: number | null
  }
  /** The impact model; every field optional (`CONFIG_DEFAULTS.impact`). */
  readonly impact?: {
    readonly model?: ImpactModelName
    readonly eta?: number
    readonly gamma?: number
    readonly maxParticipation?: number | null
    readonly maxHorizonSeconds?: number
  }
  /** σ and ADV defaults and per-symbol overrides. */
  readonly marketStats?: {
    readonly defaultAdv?: DecimalInput
    readonly bySymbol?: Readonly<Record<string, { readonly adv?: DecimalInput; readonly volatility?: number }>>
  }
  /** Seconds in a trading day (> 0); default 23,400. */
  readonly tradingDaySeconds?: number
  /** A quote older than this is refetched once, then refused, seconds (> 0); default 10. */
  readonly quoteMaxAgeSeconds?: number
  /** Fractional quantities on fractionable assets; default false. */
  readonly fractionalTrading?: boolean
  readonly execution?: Partial<ExecutionParams>
  readonly risk?: {
    readonly maxOrderQuantity?: DecimalInput
    readonly maxOrderNotional?: DecimalInput
    readonly maxChildOrdersPerMinute?: number
    readonly priceCollarBps?: number
    readonly blockedSymbols?: readonly string[]
  }
}

/** The defaults `createAcConfig` fills in (the AC ones are `AC_DEFAULTS`, the mid_cap profile). */
export const CONFIG_DEFAULTS = {
  walkTheBook: { priceSteps: [0.5, 0.75, 0.95], stepWaitSeconds: 10 },
  tradingDaySeconds: 23_400,
  quoteMaxAgeSeconds: 10,
  fractionalTrading: false,
  execution: {
    orderPollIntervalSeconds: 1,
    cancelConfirmTimeoutSeconds: 30,
    marketOrderTimeoutSeconds: 30,
    brokerMaxRetries: 3,
    brokerRetryBaseSeconds: 0.5,
    unknownOutcomeTimeoutSeconds: 60,
    closeMarginSeconds: 60,
  },
  risk: { maxOrderQuantity: '1000000', maxOrderNotional: '1000000', maxChildOrdersPerMinute: 600, priceCollarBps: 500 },
  /**
   * η and γ: Almgren, Thum, Hauptmann & Li (2005), "Direct estimation of equity market impact", fitted on
   * US equities: temporary J = η·σ·|X/(V·T)|^{3/5} with η = 0.142, permanent I = γ·σ·(X/V)·(Θ/V)^{1/4} with
   * γ = 0.314. The power law is linearised as the secant through the origin at a reference participation
   * p₀ = 10 % (the default cap): η_lin = 0.142·p₀^{−2/5} ≈ 0.357, exact at p₀, above the power law beyond
   * it and below it under it (at 1 % the linear charge is 0.4× the power law's). The permanent term is
   * linear already; the turnover factor (Θ/V)^{1/4} (shares outstanding over daily volume, ≈ 2–4 for
   * US large caps) is taken as 1, the conservative end: calibrate γ per symbol (`acx calibrate`).
   */
  impact: {
    model: 'participation' as ImpactModelName,
    eta: 0.357,
    gamma: 0.314,
    maxParticipation: 0.1 as number | null,
    maxHorizonSeconds: 23_400,
  },
  marketStats: { defaultAdv: '1000000' },
  // the crossover of the size sweep (service README): below 0.1 % of ADV the two cost the same, from 0.3 % AC is cheaper
  routing: { acMinAdvPct: 0.2 as number | null },
} as const

interface Rule {
  readonly min?: number
  readonly max?: number
  /** Exclusive lower bound. */
  readonly above?: number
  readonly integer?: boolean
}

/** The rule of every numeric AC parameter. */
const AC_RULES: Readonly<Record<keyof Omit<AcStrategyParams, 'profile' | 'marketFallback'>, Rule>> = {
  riskAversion: { min: 0 },
  volatility: { min: 0 },
  temporaryImpact: { above: 0 },
  permanentImpact: { min: 0 },
  numSlices: { min: 1, max: 1000, integer: true },
  totalTimeSeconds: { above: 0, max: 86_400 },
  sliceWaitSeconds: { above: 0 },
  startAggression: { min: 0, max: 1 },
  endAggression: { min: 0, max: 1 },
}

const EXECUTION_RULES: Readonly<Record<keyof ExecutionParams, Rule>> = {
  orderPollIntervalSeconds: { above: 0 },
  cancelConfirmTimeoutSeconds: { above: 0 },
  marketOrderTimeoutSeconds: { above: 0 },
  brokerMaxRetries: { min: 0, max: 20, integer: true },
  brokerRetryBaseSeconds: { min: 0 },
  unknownOutcomeTimeoutSeconds: { above: 0 },
  closeMarginSeconds: { min: 0, max: 86_400 },
}

const SYMBOL_RE = /^(?=.*[A-Z])[A-Z0-9./]+$/

/** Collects every problem instead of stopping at the first. */
class Checker {
  readonly issues: ConfigIssue[] = []

  fail(path: readonly (string | number)[], message: string, value?: unknown): void {
    this.issues.push(value === undefined ? { path, message } : { path, message, value: String(value) })
  }

  number(path: readonly (string | number)[], v: unknown, rule: Rule): v is number {
    if (typeof v !== 'number' || Number.isNaN(v)) return (this.fail(path, 'must be a number', v), false)
    if (!Number.isFinite(v)) return (this.fail(path, 'must be finite', v), false)
    if (rule.integer && !Number.isInteger(v)) return (this.fail(path, 'must be an integer', v), false)
    if (rule.above !== undefined && !(v > rule.above)) return (this.fail(path, `must be > ${rule.above}`, v), false)
    if (rule.min !== undefined && v < rule.min) return (this.fail(path, `must be ≥ ${rule.min}`, v), false)
    if (rule.max !== undefined && v > rule.max) return (this.fail(path, `must be ≤ ${rule.max}`, v), false)
    return true
  }

  /** `v` if given and valid, else `fallback` (an invalid value is recorded). */
  numberOr(path: readonly (string | number)[], v: number | undefined, rule: Rule, fallback: number): number {
    return v === undefined ? fallback : this.number(path, v, rule) ? v : fallback
  }

  decimal(path: readonly (string | number)[], v: DecimalInput | undefined, fallback: string): Decimal {
    if (v === undefined) return new Dec(fallback)
    let d: Decimal | undefined
    try {
      d = isDecimal(v)
        ? new Dec(v)
        : typeof v === 'string' && /^(\d+(\.\d*)?|\.\d+)$/.test(v.trim())
          ? new Dec(v.trim())
          : typeof v === 'number'
            ? new Dec(v)
            : undefined
    } catch {
      d = undefined
    }
    if (d === undefined || !d.isFinite()) return (this.fail(path, 'must be a decimal number', v), new Dec(fallback))
    if (!d.gt(0)) return (this.fail(path, 'must be > 0', v), new Dec(fallback))
    return d
  }

  profile(path: readonly (string | number)[], v: unknown): v is ProfileName {
    if ((PROFILE_NAMES as readonly unknown[]).includes(v)) return true
    this.fail(path, `unknown profile (expected ${PROFILE_NAMES.join(', ')})`, v)
    return false
  }

  /** A number, or null for "off". */
  optionalNumber(
    path: readonly (string | number)[],
    v: number | null | undefined,
    rule: Rule,
    fallback: number | null,
  ): number | null {
    return v === undefined ? fallback : v === null ? null : this.number(path, v, rule) ? v : fallback
  }

  symbol(path: readonly (string | number)[], v: string): string | undefined {
    const s = asciiUpper(v.trim())
    if (SYMBOL_RE.test(s)) return s
    this.fail(path, `malformed symbol "${v}"`, v)
    return undefined
  }

  route(path: readonly (string | number)[], spec: RouteSpec): boolean {
    const checked = checkRouteSpec(spec)
    if (checked.ok) return true
    for (const i of checked.issues) this.fail([...path, ...i.path], i.message)
    return false
  }
}

/**
 * The engine's configuration from typed data: defaults for what is missing, every value checked, and
 * every problem thrown together as one `ConfigError` whose issues carry the path of each bad field
 * (`['ac', 'numSlices']`). Precedence for a symbol's AC parameters: an explicit value in `ac`, then the
 * symbol's profile in `symbolProfiles`, then `ac.profile`, then the defaults (which equal `mid_cap`).
 */
export function createAcConfig(input: AcConfigInput = {}): AcConfig {
  const c = new Checker()
  const { profile: profileInput, ...explicitInput } = input.ac ?? {}
  const explicit: { -readonly [K in keyof Omit<AcStrategyParams, 'profile'>]?: AcStrategyParams[K] } = {}
  for (const [field, rule] of Object.entries(AC_RULES) as [keyof typeof AC_RULES, Rule][]) {
    const v = explicitInput[field]
    if (v !== undefined && c.number(['ac', field], v, rule)) explicit[field] = v
  }
  if (explicitInput.marketFallback !== undefined) {
    if (typeof explicitInput.marketFallback === 'boolean') explicit.marketFallback = explicitInput.marketFallback
    else c.fail(['ac', 'marketFallback'], 'must be true or false', explicitInput.marketFallback)
  }
  const defaultProfile: ProfileName =
    profileInput === undefined ? 'mid_cap' : c.profile(['ac', 'profile'], profileInput) ? profileInput : 'mid_cap'
  const resolve = (profile: ProfileName): AcStrategyParams => ({
    profile,
    ...AC_DEFAULTS,
    ...PROFILES[profile],
    ...explicit,
  })

  const tradingDaySeconds = c.numberOr(
    ['tradingDaySeconds'],
    input.tradingDaySeconds,
    { above: 0 },
    CONFIG_DEFAULTS.tradingDaySeconds,
  )

  // Issues name the field to change (under `ac`, where explicit values go); `where` names the profile.
  const checkAc = (p: AcStrategyParams, where: string): void => {
    const tau = p.totalTimeSeconds / p.numSlices
    if (p.sliceWaitSeconds > tau + 1e-9) {
      c.fail(
        ['ac', 'sliceWaitSeconds'],
        `slice wait ${p.sliceWaitSeconds} s must be ≤ total time / slices = ${+tau.toFixed(6)} s${where}`,
        p.sliceWaitSeconds,
      )
    }
    // Under the participation model these two are not used (checkParticipation checks its own η̃).
    if (model === 'order_fraction' && !(p.temporaryImpact - 0.5 * p.permanentImpact * tau > 0)) {
      c.fail(
        ['ac', 'permanentImpact'],
        `η̃ = temporary impact − permanent impact·τ/2 must be > 0 (τ = ${+tau.toFixed(6)} s)${where}`,
        p.permanentImpact,
      )
    }
  }
  const impactInput = input.impact ?? {}
  let model: ImpactModelName = CONFIG_DEFAULTS.impact.model
  if (impactInput.model !== undefined) {
    if ((IMPACT_MODELS as readonly unknown[]).includes(impactInput.model)) model = impactInput.model
    else c.fail(['impact', 'model'], `unknown impact model (expected ${IMPACT_MODELS.join(', ')})`, impactInput.model)
  }
  const impact: ImpactParams = {
    model,
    eta: c.numberOr(['impact', 'eta'], impactInput.eta, { above: 0 }, CONFIG_DEFAULTS.impact.eta),
    gamma: c.numberOr(['impact', 'gamma'], impactInput.gamma, { min: 0 }, CONFIG_DEFAULTS.impact.gamma),
    maxParticipation: c.optionalNumber(
      ['impact', 'maxParticipation'],
      impactInput.maxParticipation,
      { above: 0, max: 1 },
      CONFIG_DEFAULTS.impact.maxParticipation,
    ),
    maxHorizonSeconds: c.numberOr(
      ['impact', 'maxHorizonSeconds'],
      impactInput.maxHorizonSeconds,
      { above: 0, max: 86_400 },
      CONFIG_DEFAULTS.impact.maxHorizonSeconds,
    ),
  }
  // Participation: η_kernel − γ_kernel·τ/2 = σ·Q/ADV·(η·D − γ·τ/2) must stay > 0 (see impactKernelParams),
  // and σ > 0, or the order would have no temporary impact for the kernel to trade against.
  const checkParticipation = (p: AcStrategyParams, where: string): void => {
    if (model !== 'participation') return
    if (!(p.volatility > 0))
      c.fail(['ac', 'volatility'], `must be > 0 with the participation impact model${where}`, p.volatility)
    const tau = p.totalTimeSeconds / p.numSlices
    if (!(impact.eta * tradingDaySeconds - 0.5 * impact.gamma * tau > 0))
      c.fail(['impact', 'gamma'], `η·D − γ·τ/2 must be > 0 (τ = ${+tau.toFixed(6)} s)${where}`, impact.gamma)
  }

  const ac = resolve(defaultProfile)
  checkAc(ac, defaultProfile === 'mid_cap' ? '' : ` with profile ${defaultProfile}`)
  checkParticipation(ac, defaultProfile === 'mid_cap' ? '' : ` with profile ${defaultProfile}`)

  const acBySymbol: Record<string, AcStrategyParams> = {}
  for (const [symbolInput, profile] of Object.entries(input.symbolProfiles ?? {})) {
    const symbol = c.symbol(['symbolProfiles', symbolInput], symbolInput)
    if (symbol === undefined || !c.profile(['symbolProfiles', symbolInput], profile)) continue
    const p = resolve(profile)
    acBySymbol[symbol] = p
    checkAc(p, ` with profile ${profile} for ${symbol}`)
    checkParticipation(p, ` with profile ${profile} for ${symbol}`)
  }

  const wtb = input.walkTheBook ?? {}
  let priceSteps: readonly number[] = CONFIG_DEFAULTS.walkTheBook.priceSteps
  if (wtb.priceSteps !== undefined) {
    if (!Array.isArray(wtb.priceSteps) || wtb.priceSteps.length === 0)
      c.fail(['walkTheBook', 'priceSteps'], 'must be a list of 1–50 fractions')
    else if (wtb.priceSteps.length > 50)
      c.fail(['walkTheBook', 'priceSteps'], 'at most 50 steps', wtb.priceSteps.length)
    else if (wtb.priceSteps.every((s, i) => c.number(['walkTheBook', 'priceSteps', i], s, { min: 0, max: 1 })))
      priceSteps = [...wtb.priceSteps]
  }
  const stepWaitSeconds = c.numberOr(
    ['walkTheBook', 'stepWaitSeconds'],
    wtb.stepWaitSeconds,
    { above: 0 },
    CONFIG_DEFAULTS.walkTheBook.stepWaitSeconds,
  )

  const byUrgency = { ...DEFAULT_ROUTES } as Record<Urgency, RouteSpec>
  for (const u of URGENCIES) {
    const spec = input.routing?.byUrgency?.[u]
    if (spec !== undefined && c.route(['routing', 'byUrgency', u], spec)) byUrgency[u] = spec
  }
  const symbolOverrides: Record<string, RouteSpec> = {}
  for (const [symbolInput, spec] of Object.entries(input.routing?.symbolOverrides ?? {})) {
    const symbol = c.symbol(['routing', 'symbolOverrides', symbolInput], symbolInput)
    if (symbol !== undefined && c.route(['routing', 'symbolOverrides', symbolInput], spec))
      symbolOverrides[symbol] = spec
  }

  const acMinAdvPct = c.optionalNumber(
    ['routing', 'acMinAdvPct'],
    input.routing?.acMinAdvPct,
    { min: 0, max: 100 },
    CONFIG_DEFAULTS.routing.acMinAdvPct,
  )

  const statsInput = input.marketStats ?? {}
  const defaultAdv = c.decimal(
    ['marketStats', 'defaultAdv'],
    statsInput.defaultAdv,
    CONFIG_DEFAULTS.marketStats.defaultAdv,
  )
  const bySymbol: Record<string, SymbolStatsOverride> = {}
  for (const [symbolInput, o] of Object.entries(statsInput.bySymbol ?? {})) {
    const symbol = c.symbol(['marketStats', 'bySymbol', symbolInput], symbolInput)
    if (symbol === undefined) continue
    const entry: { -readonly [K in keyof SymbolStatsOverride]: SymbolStatsOverride[K] } = { ...bySymbol[symbol] }
    if (o.adv !== undefined) entry.adv = c.decimal(['marketStats', 'bySymbol', symbolInput, 'adv'], o.adv, '1')
    if (
      o.volatility !== undefined &&
      c.number(['marketStats', 'bySymbol', symbolInput, 'volatility'], o.volatility, { above: 0 })
    )
      entry.volatility = o.volatility
    bySymbol[symbol] = entry
  }

  const quoteMaxAgeSeconds = c.numberOr(
    ['quoteMaxAgeSeconds'],
    input.quoteMaxAgeSeconds,
    { above: 0 },
    CONFIG_DEFAULTS.quoteMaxAgeSeconds,
  )
  let fractionalTrading: boolean = CONFIG_DEFAULTS.fractionalTrading
  if (input.fractionalTrading !== undefined) {
    if (typeof input.fractionalTrading === 'boolean') fractionalTrading = input.fractionalTrading
    else c.fail(['fractionalTrading'], 'must be true or false', input.fractionalTrading)
  }
  const execution = { ...CONFIG_DEFAULTS.execution } as { -readonly [K in keyof ExecutionParams]: ExecutionParams[K] }
  for (const [field, rule] of Object.entries(EXECUTION_RULES) as [keyof ExecutionParams, Rule][]) {
    execution[field] = c.numberOr(
      ['execution', field],
      input.execution?.[field],
      rule,
      CONFIG_DEFAULTS.execution[field],
    )
  }

  const r = input.risk ?? {}
  const blocked = new Set<string>()
  for (const [i, s] of (r.blockedSymbols ?? []).entries()) {
    const symbol =
      typeof s === 'string'
        ? c.symbol(['risk', 'blockedSymbols', i], s)
        : (c.fail(['risk', 'blockedSymbols', i], 'must be a symbol', s), undefined)
    if (symbol !== undefined) blocked.add(symbol)
  }
  const risk: RiskLimits = {
    maxOrderQuantity: c.decimal(
      ['risk', 'maxOrderQuantity'],
      r.maxOrderQuantity,
      CONFIG_DEFAULTS.risk.maxOrderQuantity,
    ),
    maxOrderNotional: c.decimal(
      ['risk', 'maxOrderNotional'],
      r.maxOrderNotional,
      CONFIG_DEFAULTS.risk.maxOrderNotional,
    ),
    maxChildOrdersPerMinute: c.numberOr(
      ['risk', 'maxChildOrdersPerMinute'],
      r.maxChildOrdersPerMinute,
      { min: 1, max: 1_000_000, integer: true },
      CONFIG_DEFAULTS.risk.maxChildOrdersPerMinute,
    ),
    priceCollarBps: c.numberOr(
      ['risk', 'priceCollarBps'],
      r.priceCollarBps,
      { above: 0, max: 10_000 },
      CONFIG_DEFAULTS.risk.priceCollarBps,
    ),
    blockedSymbols: blocked,
  }

  if (c.issues.length > 0) throw new ConfigError(c.issues)
  return {
    ac,
    acBySymbol,
    walkTheBook: { priceSteps, stepWaitSeconds },
    routing: { byUrgency, symbolOverrides, acMinAdvPct },
    tradingDaySeconds,
    quoteMaxAgeSeconds,
    fractionalTrading,
    execution,
    risk,
    impact,
    marketStats: { defaultAdv, bySymbol },
  }
}
