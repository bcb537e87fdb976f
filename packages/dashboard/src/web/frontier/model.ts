import type { AcParams } from '@acx/ac-core-wasm'

/**
 * The frontier explorer's inputs, in one of two unit systems:
 *
 * - `ac`: the service's `AC_*` settings (quantity as a fraction of the order, price as a fraction of
 *   the arrival price, time in seconds, σ daily), plus an order (shares, price, spread) to express the
 *   costs in dollars. Mapped to the kernel exactly as the engine's `toKernelParams` does.
 * - `model`: the kernel's own units, as in the paper (shares, dollars, days): X, T, N, σ, η, γ, ε, λ,
 *   with S₀ to express the costs in bps and the length of the time unit in seconds for the `AC_*` lines.
 */
export type Units = 'ac' | 'model'

export interface FieldSpec {
  /** The URL parameter. */
  readonly key: string
  readonly label: string
  /** The paper's symbol, shown beside the label. */
  readonly symbol: string
  readonly unit: string
  /** The setting it is, in `ac` units. */
  readonly env?: string
  readonly min: number
  /** True: `min` itself is allowed. */
  readonly minInclusive: boolean
  readonly max?: number
  readonly integer?: boolean
  readonly default: number
}

const field = (spec: FieldSpec): FieldSpec => spec

const AC_FIELDS: readonly FieldSpec[] = [
  field({
    key: 'lambda',
    label: 'Risk aversion',
    symbol: 'λ',
    unit: 'per unit of variance of cost as a fraction of notional',
    env: 'AC_RISK_AVERSION',
    min: 0,
    minInclusive: true,
    default: 0.5,
  }),
  field({
    key: 'sigma',
    label: 'Volatility',
    symbol: 'σ',
    unit: 'daily, fraction of price',
    env: 'AC_VOLATILITY',
    min: 0,
    minInclusive: true,
    default: 0.02,
  }),
  field({
    key: 'eta',
    label: 'Temporary impact',
    symbol: 'η',
    unit: 'fraction of price per (fraction of order per second)',
    env: 'AC_TEMP_IMPACT',
    min: 0,
    minInclusive: false,
    default: 0.001,
  }),
  field({
    key: 'gamma',
    label: 'Permanent impact',
    symbol: 'γ',
    unit: 'fraction of price per fraction of order',
    env: 'AC_PERM_IMPACT',
    min: 0,
    minInclusive: true,
    default: 0,
  }),
  field({
    key: 'N',
    label: 'Slices',
    symbol: 'N',
    unit: 'integer',
    env: 'AC_NUM_SLICES',
    min: 1,
    minInclusive: true,
    max: 1000,
    integer: true,
    default: 5,
  }),
  field({
    key: 'T',
    label: 'Horizon',
    symbol: 'T',
    unit: 'seconds',
    env: 'AC_TOTAL_TIME_SECONDS',
    min: 0,
    minInclusive: false,
    max: 86400,
    default: 300,
  }),
  field({
    key: 'day',
    label: 'Trading day',
    symbol: 'D',
    unit: 'seconds',
    env: 'AC_TRADING_DAY_SECONDS',
    min: 0,
    minInclusive: false,
    default: 23400,
  }),
  field({
    key: 'qty',
    label: 'Order quantity',
    symbol: 'X',
    unit: 'shares',
    min: 0,
    minInclusive: false,
    default: 1000,
  }),
  field({ key: 'price', label: 'Price', symbol: 'S₀', unit: '$', min: 0, minInclusive: false, default: 100 }),
  field({
    key: 'spread',
    label: 'Spread',
    symbol: '2ε',
    unit: '$ (ε = spread / 2 / price)',
    min: 0,
    minInclusive: true,
    default: 0.02,
  }),
]

const MODEL_FIELDS: readonly FieldSpec[] = [
  field({ key: 'X', label: 'Shares', symbol: 'X', unit: 'shares', min: 0, minInclusive: false, default: 1e6 }),
  field({
    key: 'T',
    label: 'Horizon',
    symbol: 'T',
    unit: 'time units (the paper: days)',
    min: 0,
    minInclusive: false,
    default: 5,
  }),
  field({
    key: 'N',
    label: 'Slices',
    symbol: 'N',
    unit: 'integer',
    min: 1,
    minInclusive: true,
    max: 1000,
    integer: true,
    default: 5,
  }),
  field({
    key: 'sigma',
    label: 'Volatility',
    symbol: 'σ',
    unit: '$/share/√time',
    min: 0,
    minInclusive: true,
    default: 0.95,
  }),
  field({
    key: 'eta',
    label: 'Temporary impact',
    symbol: 'η',
    unit: '$/share per share/time',
    min: 0,
    minInclusive: false,
    default: 2.5e-6,
  }),
  field({
    key: 'gamma',
    label: 'Permanent impact',
    symbol: 'γ',
    unit: '$/share per share',
    min: 0,
    minInclusive: true,
    default: 2.5e-7,
  }),
  field({
    key: 'eps',
    label: 'Fixed cost',
    symbol: 'ε',
    unit: '$/share (half spread + fees)',
    min: 0,
    minInclusive: true,
    default: 0.0625,
  }),
  field({
    key: 'lambda',
    label: 'Risk aversion',
    symbol: 'λ',
    unit: 'per $',
    min: 0,
    minInclusive: true,
    default: 1e-6,
  }),
  field({ key: 'S0', label: 'Price', symbol: 'S₀', unit: '$ (for bps)', min: 0, minInclusive: false, default: 50 }),
  field({
    key: 'unit',
    label: 'Time unit',
    symbol: '',
    unit: 'seconds (for the AC_* lines)',
    min: 0,
    minInclusive: false,
    default: 23400,
  }),
]

export const fieldsFor = (units: Units): readonly FieldSpec[] => (units === 'ac' ? AC_FIELDS : MODEL_FIELDS)

/** What the form holds: the unit system and each field's text as typed. */
export interface ExplorerState {
  readonly units: Units
  readonly values: Readonly<Record<string, string>>
}

export interface Preset {
  readonly id: string
  readonly label: string
  readonly state: ExplorerState
}

const defaults = (units: Units, over: Readonly<Record<string, number>> = {}): ExplorerState => ({
  units,
  values: Object.fromEntries(fieldsFor(units).map((f) => [f.key, String(over[f.key] ?? f.default)])),
})

/**
 * The service's asset-class profiles (`AC_PROFILE`), as the engine defines them (engine
 * `config/profiles.ts`: the defaults are mid_cap; a test holds this copy to the engine's).
 */
export const PROFILE_OVERRIDES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  large_cap: { eta: 0.0001 },
  mid_cap: { eta: 0.001 },
  small_cap: { lambda: 0.3, eta: 0.01, N: 7, T: 450 },
}

export const PRESETS: readonly Preset[] = [
  ...Object.entries(PROFILE_OVERRIDES).map(([id, over]) => ({ id, label: id, state: defaults('ac', over) })),
  { id: 'paper', label: 'Almgren–Chriss §3.4 (model units)', state: defaults('model') },
]

export const defaultState = (units: Units = 'ac'): ExplorerState => defaults(units)

/** The state in a URL query (`units=ac&lambda=0.5&…`), so that a view can be shared. */
export function stateToQuery(state: ExplorerState): string {
  const q = new URLSearchParams({ units: state.units })
  for (const f of fieldsFor(state.units)) q.set(f.key, state.values[f.key] ?? '')
  return q.toString()
}

/** The state from a URL query: unknown keys ignored, missing ones at their defaults. */
export function stateFromQuery(query: URLSearchParams): ExplorerState {
  const units: Units = query.get('units') === 'model' ? 'model' : 'ac'
  const base = defaults(units)
  const values: Record<string, string> = { ...base.values }
  for (const f of fieldsFor(units)) {
    const v = query.get(f.key)
    if (v !== null) values[f.key] = v
  }
  return { units, values }
}

interface Problem {
  readonly key: string
  readonly message: string
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

function readField(f: FieldSpec, text: string | undefined): number | Problem {
  const t = (text ?? '').trim()
  const name = `${f.label}${f.symbol ? ` ${f.symbol}` : ''}`
  if (t === '') return { key: f.key, message: `${name}: required` }
  if (!NUMBER.test(t)) return { key: f.key, message: `${name}: "${t}" is not a number (e.g. 0.5 or 2.5e-6)` }
  const v = Number(t)
  if (!Number.isFinite(v)) return { key: f.key, message: `${name}: must be finite` }
  if (f.integer && !Number.isInteger(v)) return { key: f.key, message: `${name}: must be a whole number` }
  if (f.minInclusive ? v < f.min : v <= f.min)
    return { key: f.key, message: `${name}: must be ${f.minInclusive ? '≥' : '>'} ${f.min}` }
  if (f.max !== undefined && v > f.max) return { key: f.key, message: `${name}: must be ≤ ${f.max}` }
  return v
}

/** The numbers behind a valid state, by URL key. */
export interface ExplorerInputs {
  readonly units: Units
  readonly values: Readonly<Record<string, number>>
}

export type ParseResult =
  { readonly ok: true; readonly inputs: ExplorerInputs } | { readonly ok: false; readonly problems: readonly Problem[] }

/** Checks every field (each problem named by its field); the kernel checks what depends on several. */
export function parseState(state: ExplorerState): ParseResult {
  const problems: Problem[] = []
  const inputs: Record<string, number> = {}
  for (const f of fieldsFor(state.units)) {
    const v = readField(f, state.values[f.key])
    if (typeof v === 'number') inputs[f.key] = v
    else problems.push(v)
  }
  return problems.length ? { ok: false, problems } : { ok: true, inputs: { units: state.units, values: inputs } }
}

/** What the kernel is given, and how its costs turn into dollars and bps. */
export interface KernelMapping {
  readonly params: AcParams
  /** Dollars per unit of the kernel's cost. */
  readonly dollarsPerCost: number
  /** Bps of arrival notional per unit of the kernel's cost. */
  readonly bpsPerCost: number
}

/**
 * The kernel parameters for the inputs. In `ac` units exactly as the engine's `toKernelParams`: X = 1
 * (fractions of the order), time in seconds, σ per √second = σ_daily/√D, ε = spread/(2·price); costs
 * come out as fractions of notional. In `model` units the numbers go to the kernel as they are.
 */
export function toKernel(inputs: ExplorerInputs): KernelMapping {
  const n = (k: string) => inputs.values[k] as number
  if (inputs.units === 'ac') {
    return {
      params: {
        shares: 1,
        horizon: n('T'),
        slices: n('N'),
        volatility: n('sigma') / Math.sqrt(n('day')),
        temporaryImpact: n('eta'),
        permanentImpact: n('gamma'),
        fixedCost: n('spread') / (2 * n('price')),
        riskAversion: n('lambda'),
      },
      dollarsPerCost: n('qty') * n('price'),
      bpsPerCost: 1e4,
    }
  }
  return {
    params: {
      shares: n('X'),
      horizon: n('T'),
      slices: n('N'),
      volatility: n('sigma'),
      temporaryImpact: n('eta'),
      permanentImpact: n('gamma'),
      fixedCost: n('eps'),
      riskAversion: n('lambda'),
    },
    dollarsPerCost: 1,
    bpsPerCost: 1e4 / (n('X') * n('S0')),
  }
}

/** A number as the shortest decimal that reads back exactly (what an env file should hold). */
const num = (x: number): string => String(x)

/**
 * The `AC_*` lines for the service's environment that give the same trajectory. From model units:
 * λ·X·S₀, σ/S₀ per time unit (a "trading day" of `unit` seconds), η·X·unit/S₀, γ·X/S₀, T·unit seconds.
 * The fixed cost ε is not a setting: the engine takes the half spread from each arrival quote. Notes
 * (lines starting with #) say what the service would refuse.
 */
export function acLines(inputs: ExplorerInputs): string {
  const n = (k: string) => inputs.values[k] as number
  const ac =
    inputs.units === 'ac'
      ? {
          lambda: n('lambda'),
          sigma: n('sigma'),
          eta: n('eta'),
          gamma: n('gamma'),
          N: n('N'),
          T: n('T'),
          day: n('day'),
        }
      : {
          lambda: n('lambda') * n('X') * n('S0'),
          sigma: n('sigma') / n('S0'),
          eta: (n('eta') * n('X') * n('unit')) / n('S0'),
          gamma: (n('gamma') * n('X')) / n('S0'),
          N: n('N'),
          T: n('T') * n('unit'),
          day: n('unit'),
        }
  const lines = [
    `AC_RISK_AVERSION=${num(ac.lambda)}`,
    `AC_VOLATILITY=${num(ac.sigma)}`,
    `AC_TEMP_IMPACT=${num(ac.eta)}`,
    `AC_PERM_IMPACT=${num(ac.gamma)}`,
    `AC_NUM_SLICES=${num(ac.N)}`,
    `AC_TOTAL_TIME_SECONDS=${num(ac.T)}`,
    `AC_TRADING_DAY_SECONDS=${num(ac.day)}`,
  ]
  const sliceSeconds = ac.T / ac.N
  if (sliceSeconds < 30) lines.push(`AC_SLICE_WAIT_SECONDS=${num(sliceSeconds)}`)
  if (ac.T > 86400)
    lines.push(`# AC_TOTAL_TIME_SECONDS above 86400: the service refuses it (choose a shorter time unit)`)
  if (inputs.units === 'model')
    lines.push(
      `# ε (${num(n('eps'))} $/share) is not a setting: the service takes the half spread from each arrival quote`,
    )
  return lines.join('\n') + '\n'
}
