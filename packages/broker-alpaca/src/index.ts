// The public surface: the adapter, its options, its error. Everything else (the SDK client, the error
// tables, the parsers, the buying-power rule, the trade-update tracker) is internal; tests import it by
// relative path.

// The adapter
export { createAlpacaBroker } from './alpacaBroker.js'
export type {
  AlpacaBroker,
  PreflightFacts,
  PreflightIssue,
  PreflightIssueReason,
  PreflightRequest,
  PreflightResult,
  WaitForOrderOptions,
} from './alpacaBroker.js'
export type { AccountSnapshot, PositionDetail } from './parse.js'
export type { TradeUpdatesStatus } from './stream.js'

// Options
export { alpacaOptionsFromEnv } from './config.js'
export type { AlpacaBrokerOptions, AlpacaConfig, AlpacaFeed } from './config.js'

// The adapter's own error (invalid options); broker failures are the engine's BrokerError
export { ALPACA_ERRORS, AlpacaError, isAlpacaError } from './errors.js'
export type { AlpacaConfigIssue, AlpacaErrorCode } from './errors.js'
