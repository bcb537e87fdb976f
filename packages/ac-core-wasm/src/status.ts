import { AcCoreError } from './errors.js'

/**
 * Row status codes of `sweep` (and the kernels' return codes). Mirrors assembly/status.ts; a test
 * checks both sides agree.
 */
export const SweepStatus = {
  OK: 0,
  INVALID_SHARES: 1,
  INVALID_HORIZON: 2,
  INVALID_SLICES: 3,
  INVALID_VOLATILITY: 4,
  INVALID_TEMPORARY_IMPACT: 5,
  INVALID_PERMANENT_IMPACT: 6,
  INVALID_FIXED_COST: 7,
  INVALID_RISK_AVERSION: 8,
  ETA_TILDE_NONPOSITIVE: 9,
  NON_FINITE_RESULT: 10,
  OUT_OF_MEMORY: 11,
} as const

export type SweepStatusCode = (typeof SweepStatus)[keyof typeof SweepStatus]

/** Largest `slices` a parameter set may ask for (memory for one trajectory is 16 bytes a slice). */
export const MAX_SLICES = 1_000_000

/** The parameter each INVALID_* status names, and the rule it broke. */
const STATUS_FIELDS: Readonly<Record<number, readonly [field: string, rule: string]>> = {
  [SweepStatus.INVALID_SHARES]: ['shares', 'a finite number > 0'],
  [SweepStatus.INVALID_HORIZON]: ['horizon', 'a finite number > 0'],
  [SweepStatus.INVALID_SLICES]: ['slices', `an integer from 1 to ${MAX_SLICES}`],
  [SweepStatus.INVALID_VOLATILITY]: ['volatility', 'a finite number ≥ 0'],
  [SweepStatus.INVALID_TEMPORARY_IMPACT]: ['temporaryImpact', 'a finite number > 0'],
  [SweepStatus.INVALID_PERMANENT_IMPACT]: ['permanentImpact', 'a finite number ≥ 0'],
  [SweepStatus.INVALID_FIXED_COST]: ['fixedCost', 'a finite number ≥ 0'],
  [SweepStatus.INVALID_RISK_AVERSION]: ['riskAversion', 'a finite number ≥ 0'],
}

/** The AcCoreError for a non-OK status. `value` is the offending input, when known. */
export function errorForStatus(status: number, value?: unknown, fieldName?: string): AcCoreError {
  const invalid = STATUS_FIELDS[status]
  if (invalid) {
    const [field, rule] = invalid
    const name = fieldName ?? field
    return new AcCoreError('AC_INVALID_PARAM', `${name} must be ${rule}, got ${String(value)}`, { field: name })
  }
  switch (status) {
    case SweepStatus.ETA_TILDE_NONPOSITIVE:
      return new AcCoreError('AC_ETA_TILDE_NONPOSITIVE')
    case SweepStatus.NON_FINITE_RESULT:
      return new AcCoreError('AC_NON_FINITE_RESULT')
    case SweepStatus.OUT_OF_MEMORY:
      return new AcCoreError('AC_OUT_OF_MEMORY')
    default:
      return new AcCoreError('AC_NON_FINITE_RESULT', `Unknown kernel status ${status}`)
  }
}
