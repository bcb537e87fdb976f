export { ConfigSchema, DEFAULT_SIM_SYMBOLS, formatConfigProblems, loadConfig } from './config.js'
export type { ConfigProblem, ConfigResult, ServiceConfig, ServiceSettings } from './config.js'
export { createService } from './createService.js'
export { ENGINE_ENV_VARIABLES } from '@acx/engine'
export { ineffectiveSettings } from './config/ineffectiveSettings.js'
export type { IneffectiveSetting } from './config/ineffectiveSettings.js'
export { HANDLER_MARGIN_MS, longestPlannedSeconds } from './lambda/timeBudget.js'
export { DYNAMO_TTL_ATTRIBUTE, dynamoTableDefinition } from './persistence/dynamoTable.js'
export { createBroker, createRuntime, createStore } from './runtime.js'
export type { Runtime, RuntimeDeps } from './runtime.js'
export { createSimBroker } from './simBroker.js'
export type { Service, ServiceDeps } from './createService.js'
export { SERVICE_ERRORS, ServiceError, isServiceError } from './errors.js'
export type { ServiceErrorCode, ServiceErrorIssue } from './errors.js'
export { createExecutionManager } from './executions/executionManager.js'
export type {
  CancelOutcome,
  ExecutionDetail,
  ExecutionListing,
  ExecutionManager,
  ExecutionManagerOptions,
  NotReadyReason,
  OpenNotionalPolicy,
  OutsideHoursPolicy,
  Readiness,
  RecoveryPolicy,
} from './executions/executionManager.js'
export { progressOf } from './executions/executionProgress.js'
export type { ArrivalQuote, ExecutionProgress } from './executions/executionProgress.js'
export { buildApp } from './http/app.js'
export type { AppOptions } from './http/app.js'
export { IntentBody, MAX_INTAKE_CORRELATION_ID, parseIntent } from './intake/parseIntent.js'
export type { IntentCheck } from './intake/parseIntent.js'
export { createLogger, REDACT_PATHS } from './observability/logger.js'
export { createMetrics } from './observability/metrics.js'
export type { ServiceMetrics } from './observability/metrics.js'
export { instrumentBroker } from './observability/instrumentBroker.js'
export { EXECUTION_STATUSES, FINAL_STATUSES } from './persistence/executionStore.js'
export type {
  ChildOrderRecord,
  CreateExecution,
  ExecutionFilter,
  ExecutionJournalStore,
  ExecutionLeases,
  ExecutionQueries,
  ExecutionRecord,
  ExecutionStore,
  FillRecord,
  HaltRecord,
  Json,
  StoredJournalEntry,
  StoreControl,
  RunStart,
  ServiceExecutionStatus,
} from './persistence/executionStore.js'
export { createSqliteStore } from './persistence/sqliteStore.js'
export type { SqliteStoreOptions } from './persistence/sqliteStore.js'
export {
  calibrateCommand,
  createTableCommand,
  openCommandStore,
  parseWhen,
  pruneCommand,
  reportCommand,
  serve,
  submitCommand,
} from './commands.js'
export type { CalibrateCommandOptions, ReportCommandOptions, SubmitCommandOptions } from './commands.js'
