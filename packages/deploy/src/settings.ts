// The function's settings, checked at synth time with the validation the service runs at start
// (loadConfig: every ACX_* setting and the engine's AC_*, WTB_*, ROUTE_*, RISK_*), plus what a deployment
// adds: the stack owns the store, the broker and the secret, and an execution must fit in a Lambda run.
import {
  ConfigSchema,
  ENGINE_ENV_VARIABLES,
  HANDLER_MARGIN_MS,
  formatConfigProblems,
  ineffectiveSettings,
  loadConfig,
  longestPlannedSeconds,
  type ServiceConfig,
} from '@acx/service'
import { DeployError } from './errors.js'

/** Service settings an environment may set; the rest are the stack's (below) or mean nothing on Lambda. */
const SERVICE_SETTINGS = [
  'ACX_LOG_LEVEL',
  'ACX_RECOVERY',
  'ACX_MAX_CONCURRENT_EXECUTIONS',
  'ACX_MAX_QUEUED_EXECUTIONS',
  'ACX_LEASE_SECONDS',
  'ACX_RETENTION_DAYS',
  'ACX_STORE_PROBE_SECONDS',
  'ACX_WORKER_ID',
  'RISK_MAX_OPEN_NOTIONAL',
  'RISK_OPEN_NOTIONAL_POLICY',
  'APCA_API_BASE_URL',
  'APCA_DATA_BASE_URL',
  'ACX_ALPACA_MAX_REQUESTS_PER_MINUTE',
] as const

/** The engine's variables by prefix (each name is checked against the service's list at synth time). */
type EngineSetting =
  | `AC_${string}`
  | `WTB_${string}`
  | `ROUTE_${string}`
  | `RISK_${string}`
  | `${'ORDER' | 'CANCEL' | 'MARKET' | 'BROKER' | 'UNKNOWN' | 'QUOTE'}_${string}`
  | 'FRACTIONAL_TRADING'

export type FunctionSettings = Readonly<Partial<Record<(typeof SERVICE_SETTINGS)[number] | EngineSetting, string>>>

/** What the stack sets itself; an environment that sets one is refused (a secret never goes in plain text). */
const STACK_SETTINGS: Readonly<Record<string, string>> = {
  ACX_STORE: 'the stack sets dynamodb',
  ACX_DYNAMODB_TABLE: "the stack sets its table's name",
  ACX_BROKER: 'the stack sets alpaca',
  ACX_ALPACA_SECRET_ARN: 'the stack sets its secret (alpacaSecretArn in the environment)',
  APCA_API_KEY_ID: 'keys go in the Secrets Manager secret, never in the environment',
  APCA_API_SECRET_KEY: 'keys go in the Secrets Manager secret, never in the environment',
  ACX_API_TOKEN: 'a secret: the Lambda has no HTTP API',
}

/** Stand-ins for the values the stack fills in at deploy time, so the service's validation sees a whole configuration. */
const STACK_STAND_INS = {
  ACX_STORE: 'dynamodb',
  ACX_DYNAMODB_TABLE: 'acx-synth-check',
  ACX_BROKER: 'alpaca',
  ACX_ALPACA_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:acx-synth-check',
} as const

/** Lambda's longest run, seconds. */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900

export interface CheckedSettings {
  /** The service's configuration as the function will load it (stand-ins for the stack's own values). */
  readonly config: ServiceConfig
  /** The function timeout: the longest execution plus the handler's margin plus `timeoutMarginSeconds`, seconds. */
  readonly timeoutSeconds: number
}

/**
 * Checks an environment's settings as the function will see them, and derives the function timeout. Every
 * problem is listed, each naming its variable; throws `DeployError` (`DEPLOY_INVALID_SETTINGS`,
 * `DEPLOY_EXECUTION_TOO_LONG`) when the deployment could not run.
 */
export function checkSettings(
  environment: string,
  settings: FunctionSettings,
  options: { readonly batchSize: number; readonly timeoutMarginSeconds: number; readonly reservedConcurrency: number },
): CheckedSettings {
  const problems: { variable: string; message: string }[] = []
  const known = new Set<string>([...SERVICE_SETTINGS, ...ENGINE_ENV_VARIABLES])
  for (const name of Object.keys(settings)) {
    const owned = STACK_SETTINGS[name]
    if (owned) problems.push({ variable: name, message: `not settable per environment: ${owned}` })
    else if (!known.has(name))
      problems.push({
        variable: name,
        message:
          name in ConfigSchema.shape
            ? name === 'ACX_OUTSIDE_HOURS'
              ? 'means nothing on Lambda (an intent for a closed market is always refused: no process outlives the invocation to start it at the open)'
              : 'means nothing on Lambda (no HTTP server, no simulated market, no SQS consumer)'
            : 'unknown setting (see packages/service/README.md)',
      })
  }
  const loaded = loadConfig({ ...settings, ...STACK_STAND_INS })
  if (!loaded.ok) problems.push(...loaded.problems)
  // a setting that changes nothing is a misunderstanding in a file that is reviewed and deployed
  else problems.push(...ineffectiveSettings(settings, loaded.config.engine.impact.model))
  if (problems.length > 0 || !loaded.ok)
    throw new DeployError(
      'DEPLOY_INVALID_SETTINGS',
      `environment ${environment}: invalid settings:\n${formatConfigProblems(problems)}`,
    )
  const { config } = loaded
  if (options.batchSize > config.ACX_MAX_CONCURRENT_EXECUTIONS)
    throw new DeployError(
      'DEPLOY_INVALID_SETTINGS',
      `environment ${environment}: batchSize ${options.batchSize} is more than ACX_MAX_CONCURRENT_EXECUTIONS=` +
        `${config.ACX_MAX_CONCURRENT_EXECUTIONS}: an intent would wait behind others and could outlive the invocation`,
    )
  // the SQS event source polls with at least 2 concurrent invocations: fewer reserved would throttle it
  if (options.reservedConcurrency < 2)
    throw new DeployError(
      'DEPLOY_INVALID_SETTINGS',
      `environment ${environment}: reservedConcurrency ${options.reservedConcurrency} must be at least 2 (the SQS event source's minimum)`,
    )
  const longest = longestPlannedSeconds(config.engine)
  const timeoutSeconds = Math.ceil(longest.seconds + HANDLER_MARGIN_MS / 1000 + options.timeoutMarginSeconds)
  if (timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS)
    throw new DeployError(
      'DEPLOY_EXECUTION_TOO_LONG',
      `environment ${environment}: ${longest.strategy}${longest.symbol ? ` for ${longest.symbol}` : ''} can take ` +
        `${longest.seconds} s (AC_TOTAL_TIME_SECONDS or its profile — or AC_MAX_HORIZON_SECONDS, to which the ` +
        `participation cap AC_MAX_PARTICIPATION may extend it —, plus CANCEL_CONFIRM_TIMEOUT_SECONDS and ` +
        `MARKET_ORDER_TIMEOUT_SECONDS); with the margins the function needs ${timeoutSeconds} s, more than ` +
        `Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s: shorten AC_TOTAL_TIME_SECONDS and AC_MAX_HORIZON_SECONDS`,
    )
  return { config, timeoutSeconds }
}

/** The function's environment: the settings as given, with the stack's own values. */
export function functionEnvironment(
  settings: FunctionSettings,
  stack: { readonly tableName: string; readonly secretArn: string },
): Record<string, string> {
  return {
    ...(settings as Record<string, string>),
    ACX_STORE: 'dynamodb',
    ACX_DYNAMODB_TABLE: stack.tableName,
    ACX_BROKER: 'alpaca',
    ACX_ALPACA_SECRET_ARN: stack.secretArn,
  }
}
