// The adapter
export { createAlpacaBroker } from './alpacaBroker.js'
export type {
  AlpacaBroker,
  PreflightFacts,
  PreflightIssue,
  PreflightIssueCode,
  PreflightRequest,
  PreflightResult,
  WaitForOrderOptions,
} from './alpacaBroker.js'

// Configuration
export {
  ALPACA_DATA_URL,
  ALPACA_FEEDS,
  ALPACA_LIVE_STREAM_URL,
  ALPACA_LIVE_TRADING_URL,
  ALPACA_PAPER_STREAM_URL,
  ALPACA_PAPER_TRADING_URL,
  alpacaOptionsFromEnv,
  resolveAlpacaConfig,
} from './config.js'
export type { AlpacaBrokerOptions, AlpacaConfig, AlpacaFeed } from './config.js'

// Errors and the Alpaca → BrokerError tables
export {
  ALPACA_ERRORS,
  AlpacaError,
  BROAD_MESSAGES,
  EXACT_CODES,
  PRECISE_MESSAGES,
  STATUS_CODES,
  TRANSPORT_CODES,
  isAlpacaError,
  isAmbiguousSubmitFailure,
  isDuplicateClientOrderId,
  isNotProcessedSubmitFailure,
  mapFailure,
  toBrokerError,
} from './errors.js'
export type { AlpacaConfigIssue, AlpacaErrorCode, AlpacaFailure } from './errors.js'

// Wire shapes and parsing
export {
  ALPACA_OPEN_STATUSES,
  parseAccount,
  parseAsset,
  parseLatestQuote,
  parseOrder,
  parseOrderView,
  parsePosition,
  parseTimestampMs,
  parseTradeUpdate,
} from './parse.js'
export type { AccountSnapshot, AlpacaOrderView, PositionDetail } from './parse.js'

// Alpaca's buying-power rule and replace chains
export { SHORT_SALE_ASK_MARKUP, marketBuyBuffer, openingPrice, openingQty } from './buyingPower.js'
export type { BuyingPowerRequest, OpeningValuation } from './buyingPower.js'
export { combineReplaceChain } from './alpacaBroker.js'
export type {
  AccountDto,
  AssetDto,
  LatestQuoteDto,
  OrderDto,
  OrderRequestDto,
  PositionDto,
  TradeUpdateDto,
} from './models.js'

// Trade updates
export type { TradeUpdatesStatus } from './stream.js'
