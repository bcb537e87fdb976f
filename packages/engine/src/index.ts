// Engine
export { createEngine } from './engine.js'
export type {
  AssessmentRefusal,
  Engine,
  EngineOptions,
  ExecuteOptions,
  IntentAssessment,
  ResumeFrom,
} from './engine.js'
export type { ExecutionPlan, ParticipationCapEffect, PlanContext, PlannedSlice } from './execution/planExecution.js'
export type { VenueRefusal } from './execution/venueChecks.js'

// Risk
export { createRiskGate } from './risk/riskGate.js'
export type { ChildRiskInput, HaltState, ParentRiskInput, RiskGate } from './risk/riskGate.js'
export { RISK_CHECKS, UNLIMITED_RISK } from './risk/riskLimits.js'
export type { RiskCheckCode, RiskLimits, RiskRefusal } from './risk/riskLimits.js'

// Errors
export { ENGINE_ERRORS, EngineError, isEngineError, ConfigError, isConfigError } from './errors.js'
export type { EngineErrorCode, ConfigIssue } from './errors.js'

// Domain
export { Dec, ZERO, isDecimal, floorToLot } from './domain/dec.js'
export { priceText, quantityText } from './domain/decimalText.js'
export {
  MAX_CLIENT_ORDER_ID_LENGTH,
  MAX_CORRELATION_ID_LENGTH,
  clientOrderIdFor,
  parentOrderId,
  brokerOrderId,
  fillId,
} from './domain/ids.js'
export type { ParentOrderId, ClientOrderId, BrokerOrderId, FillId } from './domain/ids.js'
export { SIDES, URGENCIES, CLOSE_TYPES, parseOrderIntent } from './domain/orderIntent.js'
export type { Side, Urgency, CloseType, OrderIntent, OrderIntentInput } from './domain/orderIntent.js'
export { STRATEGY_NAMES, isStrategyName } from './domain/strategyName.js'
export type { StrategyName } from './domain/strategyName.js'
export type { Validation, ValidationIssue } from './domain/validation.js'
export {
  ORDER_STATUSES,
  TERMINAL_STATUSES,
  TRANSITIONS,
  applyOrderEvent,
  createChildOrder,
  isTerminal,
  leavesQty,
} from './domain/childOrder.js'
export type { ChildOrder, NewChildOrder, OrderEvent, OrderEventType, OrderStatus } from './domain/childOrder.js'
export type { Fill } from './domain/fill.js'
export { checkQuote } from './domain/quote.js'
export type { Quote, QuoteCheck, QuoteFlag, UsableQuote } from './domain/quote.js'
export { tickSize, roundToTick, roundToIncrement, isOnTick } from './domain/tick.js'
export type { ExecutionFailure, ExecutionFailureCode, ExecutionResult, SliceAttempt } from './domain/executionResult.js'

// Ports
export {
  BROKER_ERRORS,
  BROKER_ERROR_REASONS,
  BROKER_TERMINAL_STATUSES,
  BrokerError,
  isBrokerError,
} from './ports/broker.js'
export type {
  Asset,
  BrokerErrorCode,
  BrokerErrorOptions,
  BrokerErrorReason,
  CancelOutcome,
  DailyStats,
  MarketClock,
  TimeInForce,
  BrokerOrder,
  BrokerOrderStatus,
  BrokerPort,
  Position,
  SubmitOrderRequest,
} from './ports/broker.js'
export { createRealClock, createVirtualClock } from './ports/clock.js'
export type { Clock, RealClockOptions, VirtualClock, VirtualClockOptions } from './ports/clock.js'
export { noopLogger, createMemoryLogger } from './ports/logger.js'
export type { Logger, LogRecord, MemoryLogger } from './ports/logger.js'
export { childOrdersFromJournal, createInMemoryJournal, noopJournal } from './ports/executionJournal.js'
export type {
  ExecutionJournal,
  ExecutionStatus,
  InMemoryJournal,
  JournalEntry,
  JournalEntryType,
} from './ports/executionJournal.js'

// Configuration and routing
export { CONFIG_DEFAULTS, createAcConfig } from './config/createAcConfig.js'
export type { AcConfigInput, DecimalInput } from './config/createAcConfig.js'
export { IMPACT_MODELS, PROFILE_NAMES, acParamsFor } from './config/acConfig.js'
export type {
  AcConfig,
  AcStrategyParams,
  ExecutionParams,
  ImpactModelName,
  ImpactParams,
  MarketStatsConfig,
  SymbolStatsOverride,
  ProfileName,
  RouteSpec,
  RouteWeight,
  RoutingConfig,
  WalkTheBookParams,
} from './config/acConfig.js'
export { AC_DEFAULTS, PROFILES } from './config/profiles.js'
export { impactKernelParams, marketRate, participationOf, resolveMarketStats } from './config/impactModel.js'
export type { MarketStats, StatsSource } from './config/impactModel.js'
export { MIN_DAILY_BARS, dailyStatsFromBars } from './domain/marketStats.js'
export type { DailyBar } from './domain/marketStats.js'
export { routeBySize } from './routing/sizeRoute.js'
export { toKernelParams, fromKernelSchedule, planSliceQty, halfSpreadFraction } from './config/kernelParams.js'
export type { KernelSchedule } from './config/kernelParams.js'
export {
  ENGINE_ENV_VARIABLES,
  checkEngineConfig,
  engineConfigFromEnv,
  readEngineEnv,
  variableFor,
} from './config/engineEnv.js'
export type { EngineEnvProblem, EngineEnvResult } from './config/engineEnv.js'
export {
  DEFAULT_ROUTES,
  checkRouteSpec,
  decideRoute,
  fnv1a32,
  parseRouteSpec,
  pickWeighted,
  routeStrategy,
} from './routing/routeStrategy.js'
export type { RouteDecision, RouteReason } from './routing/routeStrategy.js'
export { limitPrice, aggressionAt } from './strategy/limitPrice.js'

// Simulated market
export { createSimulatedMarket } from './sim/simulatedMarket.js'
export type {
  QuoteFault,
  ScriptedFault,
  SimCall,
  SimulatedFaults,
  SimulatedFill,
  SimulatedMarket,
  SimulatedMarketOptions,
  SimulatedSymbol,
} from './sim/simulatedMarket.js'
export { createInMemorySimulatedVenueStore } from './sim/simulatedVenueStore.js'
export type {
  InMemorySimulatedVenueStore,
  SimulatedVenueChanges,
  SimulatedVenueSnapshot,
  SimulatedVenueStore,
  StoredSimFill,
  StoredSimMeta,
  StoredSimOrder,
  StoredSimSymbol,
} from './sim/simulatedVenueStore.js'
export { createPrng, seedFor } from './sim/prng.js'
export {
  ALWAYS_OPEN,
  assertTradingSession,
  instantOfWallTime,
  sessionClock,
  tradesAroundTheClock,
  wallTimeOf,
} from './domain/tradingSession.js'
export type { TradingSession } from './domain/tradingSession.js'
export type { Prng } from './sim/prng.js'
