import { etaTilde } from './etaTilde.js'
import { errorForStatus, MAX_SLICES, SweepStatus } from './status.js'
import type { AcParams } from './types.js'

/** A parameter set with defaults applied, every field a number. */
export interface ResolvedParams {
  readonly shares: number
  readonly horizon: number
  readonly slices: number
  readonly volatility: number
  readonly temporaryImpact: number
  readonly permanentImpact: number
  readonly fixedCost: number
  readonly riskAversion: number
}

const positive = (v: number) => v > 0 && v < Infinity
const nonNegative = (v: number) => v >= 0 && v < Infinity

/**
 * The status of one parameter set: the same rules, in the same order, as the kernel's `validate`
 * and `plan`, so the reference and the kernel agree row by row.
 */
export function paramsStatus(
  shares: number,
  horizon: number,
  slices: number,
  volatility: number,
  temporaryImpact: number,
  permanentImpact: number,
  fixedCost: number,
  riskAversion: number,
): number {
  if (!positive(shares)) return SweepStatus.INVALID_SHARES
  if (!positive(horizon)) return SweepStatus.INVALID_HORIZON
  if (!(slices >= 1 && slices <= MAX_SLICES && Number.isInteger(slices))) return SweepStatus.INVALID_SLICES
  if (!nonNegative(volatility)) return SweepStatus.INVALID_VOLATILITY
  if (!positive(temporaryImpact)) return SweepStatus.INVALID_TEMPORARY_IMPACT
  if (!nonNegative(permanentImpact)) return SweepStatus.INVALID_PERMANENT_IMPACT
  if (!nonNegative(fixedCost)) return SweepStatus.INVALID_FIXED_COST
  if (!nonNegative(riskAversion)) return SweepStatus.INVALID_RISK_AVERSION
  if (Number.isNaN(etaTilde(temporaryImpact, permanentImpact, horizon, slices)))
    return SweepStatus.ETA_TILDE_NONPOSITIVE
  return SweepStatus.OK
}

/**
 * The eight parameters in the order of the INVALID_* statuses (status − 1), of the kernels' arguments
 * and of a sweep's input columns.
 */
export const PARAM_FIELDS = [
  'shares',
  'horizon',
  'slices',
  'volatility',
  'temporaryImpact',
  'permanentImpact',
  'fixedCost',
  'riskAversion',
] as const
type ParamField = (typeof PARAM_FIELDS)[number]

/**
 * Applies defaults and checks every field; throws AcCoreError `AC_INVALID_PARAM` naming the first
 * bad field, or `AC_ETA_TILDE_NONPOSITIVE`.
 */
export function resolveParams(params: AcParams): ResolvedParams {
  if (typeof params !== 'object' || params === null) {
    throw errorForStatus(SweepStatus.INVALID_SHARES, params, 'params')
  }
  const p: Record<ParamField, unknown> = {
    ...params,
    permanentImpact: params.permanentImpact ?? 0,
    fixedCost: params.fixedCost ?? 0,
  }
  const n = (k: ParamField) => (typeof p[k] === 'number' ? (p[k] as number) : NaN)
  const status = paramsStatus(
    n('shares'),
    n('horizon'),
    n('slices'),
    n('volatility'),
    n('temporaryImpact'),
    n('permanentImpact'),
    n('fixedCost'),
    n('riskAversion'),
  )
  if (status !== SweepStatus.OK) {
    const field = PARAM_FIELDS[status - 1]
    throw errorForStatus(status, field === undefined ? undefined : p[field])
  }
  return {
    shares: n('shares'),
    horizon: n('horizon'),
    slices: n('slices'),
    volatility: n('volatility'),
    temporaryImpact: n('temporaryImpact'),
    permanentImpact: n('permanentImpact'),
    fixedCost: n('fixedCost'),
    riskAversion: n('riskAversion'),
  }
}
