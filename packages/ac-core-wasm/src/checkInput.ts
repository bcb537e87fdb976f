import { AcCoreError } from './errors.js'
import { PARAM_FIELDS, resolveParams, type ResolvedParams } from './validate.js'
import type { AcBaseParams, SweepInput } from './types.js'

const OPTIONAL_COLUMNS: ReadonlySet<string> = new Set(['permanentImpact', 'fixedCost'])

/** Checks a sweep's columns are Float64Arrays of one length and returns that length. */
export function checkSweepInput(input: SweepInput): number {
  if (typeof input !== 'object' || input === null) {
    throw new AcCoreError('AC_INVALID_PARAM', 'sweep input must be an object of Float64Array columns', {
      field: 'input',
    })
  }
  const length = input.shares instanceof Float64Array ? input.shares.length : -1
  for (const column of PARAM_FIELDS) {
    const values: unknown = input[column]
    if (values === undefined && OPTIONAL_COLUMNS.has(column)) continue
    if (!(values instanceof Float64Array)) {
      throw new AcCoreError('AC_INVALID_PARAM', `${column} must be a Float64Array`, { field: column })
    }
    if (values.length !== length) {
      throw new AcCoreError(
        'AC_INVALID_PARAM',
        `${column} has ${values.length} rows but shares has ${length}: every column must have the same length`,
        { field: column },
      )
    }
  }
  return length
}

/**
 * Checks a frontier's base parameters and every risk aversion; throws AC_INVALID_PARAM naming
 * `riskAversions[i]` for the first bad one.
 */
export function checkFrontierInput(base: AcBaseParams, riskAversions: Float64Array): ResolvedParams {
  const p = resolveParams({ ...base, riskAversion: 0 })
  if (!(riskAversions instanceof Float64Array)) {
    throw new AcCoreError('AC_INVALID_PARAM', 'riskAversions must be a Float64Array', { field: 'riskAversions' })
  }
  for (let i = 0; i < riskAversions.length; i++) {
    const v = riskAversions[i]!
    if (!(v >= 0 && v < Infinity)) {
      throw new AcCoreError('AC_INVALID_PARAM', `riskAversions[${i}] must be a finite number ≥ 0, got ${v}`, {
        field: `riskAversions[${i}]`,
      })
    }
  }
  return p
}
