import type { ValidationIssue } from './domain/validation.js'

/**
 * The engine's one error class and its code table. Broker failures have their own taxonomy in
 * `ports/broker.ts` (`BrokerError`), because adapters raise them.
 */
export const ENGINE_ERRORS = {
  ENGINE_INVALID_ARGUMENT: 'Invalid argument',
  ENGINE_INVALID_INTENT: 'Invalid order intent',
  ENGINE_CONFIG_INVALID: 'Invalid configuration',
  ENGINE_INVALID_TRANSITION: 'Event not allowed in current order status',
  ENGINE_DUPLICATE_FILL: 'Fill already applied',
  ENGINE_OVERFILL: 'Fill exceeds the order quantity',
  ENGINE_JOURNAL_FAILED: 'Execution journal write failed',
  ENGINE_KERNEL_FAILED: 'Almgren–Chriss core rejected the parameters',
} as const

export type EngineErrorCode = keyof typeof ENGINE_ERRORS

export class EngineError extends Error {
  override readonly name = 'EngineError'
  /** For `ENGINE_INVALID_INTENT` (and `ENGINE_CONFIG_INVALID`): every problem found. */
  readonly issues: readonly ValidationIssue[] | undefined
  constructor(
    readonly code: EngineErrorCode,
    message?: string,
    opts: { readonly cause?: unknown; readonly issues?: readonly ValidationIssue[] } = {},
  ) {
    super(message ?? ENGINE_ERRORS[code], opts.cause === undefined ? undefined : { cause: opts.cause })
    this.issues = opts.issues
  }
}

/** True for any `EngineError`, including `ConfigError`; survives duplicate package copies. */
export const isEngineError = (e: unknown): e is EngineError =>
  e instanceof Error && e.name === 'EngineError' && typeof (e as { code?: unknown }).code === 'string'

/** One invalid setting: where in the configuration (`path`, e.g. `['ac', 'numSlices']`), what is wrong, and the value given. */
export interface ConfigIssue extends ValidationIssue {
  readonly message: string
  readonly value?: string
}

/**
 * Every invalid setting found by `createAcConfig`, reported together. It is an `EngineError` with code
 * `ENGINE_CONFIG_INVALID` (so `isEngineError` holds); the message names each field by its path.
 */
export class ConfigError extends EngineError {
  declare readonly issues: readonly ConfigIssue[]
  constructor(issues: readonly ConfigIssue[]) {
    super(
      'ENGINE_CONFIG_INVALID',
      `Invalid configuration: ${issues
        .map(
          (i) =>
            `${i.path.join('.') || '(config)'}: ${i.message}${i.value === undefined ? '' : ` (got ${JSON.stringify(i.value)})`}`,
        )
        .join('; ')}`,
      { issues },
    )
  }
}

export const isConfigError = (e: unknown): e is ConfigError =>
  isEngineError(e) && e.code === 'ENGINE_CONFIG_INVALID' && Array.isArray((e as { issues?: unknown }).issues)
