export const AC_CORE_ERRORS = {
  AC_INVALID_PARAM: 'Invalid Almgren–Chriss parameter',
  AC_ETA_TILDE_NONPOSITIVE:
    'η̃ = η − γτ/2 must be > 0 (above 2^−100·η): the temporary impact is too small for this permanent impact and slice length',
  AC_NON_FINITE_RESULT: 'The parameters lead to a non-finite result (overflow)',
  AC_OUT_OF_MEMORY: 'WebAssembly memory could not grow for this request',
  AC_KERNEL_TRAP: 'The WebAssembly kernel trapped; the instance has been replaced',
} as const

export type AcCoreErrorCode = keyof typeof AC_CORE_ERRORS

export interface AcCoreErrorOptions {
  /** The parameter at fault, e.g. `slices` or `riskAversions[3]`. */
  readonly field?: string
  readonly cause?: unknown
}

export class AcCoreError extends Error {
  override readonly name = 'AcCoreError'
  readonly code: AcCoreErrorCode
  readonly field: string | undefined

  constructor(code: AcCoreErrorCode, message?: string, opts: AcCoreErrorOptions = {}) {
    super(message ?? AC_CORE_ERRORS[code], opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.field = opts.field
  }
}

/** True for any AcCoreError, even one from another copy of this package. */
export const isAcCoreError = (e: unknown): e is AcCoreError => e instanceof Error && e.name === 'AcCoreError'
