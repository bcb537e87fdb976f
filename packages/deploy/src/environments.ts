// One file for every environment's deployment: its AWS account and region, the function's settings
// (AC_*, ROUTE_*, RISK_*, … exactly as the service reads them, checked at synth time by the service's
// own validation), and the knobs of the stack around it. Change a setting here and redeploy: that is how
// a rollout step or a rollback is made (see the README's "Deploy and roll out").
import type { FunctionSettings } from './settings.js'

export interface AlarmThresholds {
  /** Alarm when the average fill percentage of Almgren–Chriss executions falls below this (rollout guide: 95). */
  readonly minFillPercent: number
  /** Alarm when their average execution time leaves this range, minutes (rollout guide: 5–10). */
  readonly executionMinutes: readonly [min: number, max: number]
  /** Alarm when more than this share of them needed the market order fallback, percent (rollout guide: 10). */
  readonly maxFallbackPercent: number
  /** The window each success criterion is averaged over, minutes. */
  readonly periodMinutes: number
}

export interface EnvironmentConfig {
  /** AWS account (12 digits); unset: the one the CLI's credentials belong to. */
  readonly account?: string
  readonly region: string
  /** The function's settings, by variable name, as text (units and defaults: packages/service/README.md). */
  readonly settings: FunctionSettings
  /** An existing secret with the Alpaca keys; unset: the stack creates an empty one to fill (runbook step 1). */
  readonly alpacaSecretArn?: string
  /** Most invocations at once (Lambda reserved concurrency): bounds the orders in flight and Alpaca's load. */
  readonly reservedConcurrency: number
  /** Intents per invocation; at most ACX_MAX_CONCURRENT_EXECUTIONS, so none waits behind another. */
  readonly batchSize: number
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number
  readonly memoryMb: number
  /** Added to the longest execution (plus the handler's 10 s) for the function timeout: start-up, store, answer. */
  readonly timeoutMarginSeconds: number
  /** How long the function's logs (and so the metrics' raw data) are kept, days (a CloudWatch retention value). */
  readonly logRetentionDays: 7 | 14 | 30 | 60 | 90 | 180 | 365 | 731 | 1827 | 3653
  readonly alarms: AlarmThresholds
  /** Email subscribed to the alarms topic; unset: subscribe later (the topic's ARN is an output). */
  readonly alarmEmail?: string
  /** Keep the table and secret when the stack is deleted, with deletion protection on the table. */
  readonly protectData: boolean
}

/** The rollout guide's success criteria. */
const GUIDE_ALARMS: AlarmThresholds = {
  minFillPercent: 95,
  executionMinutes: [5, 10],
  maxFallbackPercent: 10,
  periodMinutes: 60,
}

/**
 * The guide's dev parameters (step 1), on Alpaca's paper API — but its `AC_TEMP_IMPACT=0.001` (η per
 * fraction of the order) is left out: acx's default impact model is `participation`, which prices impact
 * per share against the symbol's ADV (`AC_IMPACT_ETA`, `AC_IMPACT_GAMMA`), and the synth refuses a setting
 * that would change nothing. `AC_IMPACT_MODEL=order_fraction` with `AC_TEMP_IMPACT` restores the guide's.
 */
const GUIDE_PARAMETERS = {
  AC_RISK_AVERSION: '0.5',
  AC_VOLATILITY: '0.02',
  AC_NUM_SLICES: '5',
  AC_TOTAL_TIME_SECONDS: '300',
  AC_SLICE_WAIT_SECONDS: '30',
  AC_MARKET_FALLBACK: 'true',
  // the participation cap may stretch a large order's horizon; on Lambda it must end within the
  // function's 15 minutes (600 s + the cancel confirmation and market fallback + the margins)
  AC_MAX_HORIZON_SECONDS: '600',
} as const

export const ENVIRONMENTS = {
  dev: {
    region: 'us-east-1',
    settings: {
      ...GUIDE_PARAMETERS,
      ROUTE_MEDIUM: 'almgren_chriss',
      RISK_MAX_ORDER_QUANTITY: '100',
      RISK_MAX_ORDER_NOTIONAL: '50000',
      APCA_API_BASE_URL: 'https://paper-api.alpaca.markets',
      ACX_MAX_CONCURRENT_EXECUTIONS: '4',
      ACX_RETENTION_DAYS: '30',
      ACX_LOG_LEVEL: 'info',
    },
    reservedConcurrency: 2,
    batchSize: 4,
    maxReceiveCount: 3,
    memoryMb: 512,
    timeoutMarginSeconds: 30,
    logRetentionDays: 30,
    alarms: GUIDE_ALARMS,
    protectData: false,
  },
  prod: {
    region: 'us-east-1',
    settings: {
      ...GUIDE_PARAMETERS,
      // week 1 of the rollout: a fifth of MEDIUM orders on Almgren–Chriss, the rest as before
      ROUTE_MEDIUM: 'almgren_chriss:20,walk_the_book:80',
      RISK_MAX_ORDER_QUANTITY: '100000',
      RISK_MAX_ORDER_NOTIONAL: '1000000',
      // live trading: the secret must hold live keys
      APCA_API_BASE_URL: 'https://api.alpaca.markets',
      ACX_MAX_CONCURRENT_EXECUTIONS: '10',
      ACX_RETENTION_DAYS: '90',
      ACX_LOG_LEVEL: 'info',
    },
    reservedConcurrency: 10,
    batchSize: 10,
    maxReceiveCount: 3,
    memoryMb: 1024,
    timeoutMarginSeconds: 30,
    logRetentionDays: 90,
    alarms: GUIDE_ALARMS,
    protectData: true,
  },
} as const satisfies Readonly<Record<string, EnvironmentConfig>>
