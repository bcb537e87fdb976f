import { assertTradingSession, engineConfigFromEnv, type AcConfig, type TradingSession } from '@acx/engine'
import * as z from 'zod'

/** Symbols the built-in simulated market lists when ACX_SIM_SYMBOLS is not set: symbol:price:spread. */
export const DEFAULT_SIM_SYMBOLS = 'AAPL:190:0.02,MSFT:410:0.04,SPY:520:0.01,TSLA:250:0.05,XYZ:12.5:0.06'

/** Only a value that is not a number at all says so; a number out of range says what range. */
const aNumber = () =>
  z.coerce.number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a number' : undefined) })
const int = (min: number, max: number) =>
  aNumber()
    .int('must be a whole number')
    .min(min, `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`)
const positive = aNumber().positive('must be > 0').refine(Number.isFinite, 'must be finite')
/** One of a few words; the message lists them all. */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: () => `must be one of ${values.join(', ')}` })
const url = z.url({ error: 'must be an http(s) URL' }).refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')

const simSymbol = /^[A-Z0-9./]*[A-Z][A-Z0-9./]*:\d+(\.\d+)?:\d+(\.\d+)?$/
const simSymbols = z
  .string()
  .trim()
  .refine(
    (s) => s.split(',').every((item) => simSymbol.test(item.trim())),
    'must be SYMBOL:PRICE:SPREAD[,SYMBOL:PRICE:SPREAD…], e.g. AAPL:190:0.02',
  )
  .transform((s) =>
    Object.fromEntries(
      s.split(',').map((item) => {
        const [symbol, price, spread] = item.trim().split(':') as [string, string, string]
        return [symbol, { price, spread }]
      }),
    ),
  )

/** `09:30-16:00 America/New_York`: a weekday session in a time zone (or `always`: never closes). */
const simSession = z
  .string()
  .trim()
  .transform((s, ctx): TradingSession | undefined => {
    if (s === 'always') return undefined
    const m = /^(\d\d:\d\d)-(\d\d:\d\d) +(\S+)$/.exec(s)
    const session = m ? { open: m[1]!, close: m[2]!, timeZone: m[3]! } : undefined
    try {
      if (!session) throw new Error('expected HH:MM-HH:MM Area/City')
      assertTradingSession(session)
      return session
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        message: `must be HH:MM-HH:MM followed by a time zone, e.g. 09:30-16:00 America/New_York, or always (${(e as Error).message})`,
      })
      return z.NEVER
    }
  })

/** Every service setting, from environment variables. Engine settings (AC_*, WTB_*, ROUTE_*) are checked by the engine. */
export const ConfigSchema = z
  .object({
    ACX_HOST: z.string().trim().min(1).default('127.0.0.1'),
    ACX_PORT: int(0, 65535).default(8080),
    ACX_BROKER: oneOf(['sim', 'alpaca']).default('sim'),
    ACX_STORE: oneOf(['sqlite', 'dynamodb']).default('sqlite'),
    ACX_DB_PATH: z.string().trim().min(1).default('./data/acx.sqlite'),
    ACX_DYNAMODB_TABLE: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be 3–255 of a-z A-Z 0-9 _ - .')
      .optional(),
    ACX_DYNAMODB_ENDPOINT: url.optional(),
    ACX_INTAKE: oneOf(['http', 'sqs']).default('http'),
    ACX_SQS_QUEUE_URL: url.optional(),
    ACX_SQS_DLQ_URL: url.optional(),
    ACX_SQS_ENDPOINT: url.optional(),
    AWS_REGION: z.string().trim().min(1).optional(),
    ACX_RECOVERY: oneOf(['resume', 'flatten', 'fail']).default('resume'),
    ACX_MAX_CONCURRENT_EXECUTIONS: int(1, 10_000).default(16),
    ACX_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    ACX_BODY_LIMIT_BYTES: int(256, 10 * 1024 * 1024).default(16_384),
    ACX_LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ACX_SHUTDOWN_TIMEOUT_SECONDS: positive.default(30),
    ACX_WORKER_ID: z.string().trim().min(1).max(200).optional(),
    ACX_LEASE_SECONDS: positive.default(30),
    ACX_MAX_QUEUED_EXECUTIONS: int(1, 1_000_000).default(10_000),
    ACX_RETENTION_DAYS: int(0, 36_500).default(90),
    ACX_STORE_PROBE_SECONDS: positive.default(2),
    RISK_MAX_OPEN_NOTIONAL: z
      .string()
      .trim()
      .regex(/^(\d+(\.\d*)?|\.\d+)$/, 'must be a positive decimal number (digits and a point)')
      .refine((v) => Number(v) > 0, 'must be > 0')
      .optional(),
    RISK_OPEN_NOTIONAL_POLICY: oneOf(['queue', 'reject']).default('queue'),
    ACX_OUTSIDE_HOURS: oneOf(['queue', 'reject']).default('queue'),
    ACX_MAX_EVENT_STREAMS: int(0, 10_000).default(100),
    /** `on`: the dashboard's page at `/`; `off`: the API only. */
    ACX_DASHBOARD: z.enum(['on', 'off']).default('on'),
    ACX_TAKEOVER_INTERVAL_SECONDS: positive.default(10),
    ACX_SIM_TIME_SCALE: positive.default(1),
    ACX_SIM_SEED: int(0, 2 ** 31 - 1).default(1),
    ACX_SIM_SYMBOLS: simSymbols.prefault(DEFAULT_SIM_SYMBOLS),
    /** `HH:MM-HH:MM Area/City` (weekdays, that zone); unset or `always`: always open. */
    ACX_SIM_SESSION: simSession.optional(),
    /** Unset: named after ACX_DB_PATH (`./data/acx.sim-venue.sqlite`; `:memory:` with a memory DB); see `createSimBroker`. */
    ACX_SIM_STATE_PATH: z.string().trim().min(1).optional(),
    /** Secrets Manager secret holding the Alpaca keys (read once at start), instead of APCA_API_KEY_ID/SECRET_KEY. */
    ACX_ALPACA_SECRET_ARN: z
      .string()
      .trim()
      .regex(
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
        'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)',
      )
      .optional(),
    ACX_SECRETS_MANAGER_ENDPOINT: url.optional(),
    APCA_API_KEY_ID: z.string().trim().min(1).optional(),
    APCA_API_SECRET_KEY: z.string().trim().min(1).optional(),
    APCA_API_BASE_URL: url.default('https://paper-api.alpaca.markets'),
    APCA_DATA_BASE_URL: url.default('https://data.alpaca.markets'),
    ACX_ALPACA_MAX_REQUESTS_PER_MINUTE: int(1, 1_000_000).default(200),
    /** Daily bars Alpaca's σ and ADV are computed from (`getDailyStats`). */
    AC_STATS_LOOKBACK_DAYS: int(3, 250).default(20),
  })
  .superRefine((c, ctx) => {
    const require = (key: keyof typeof c, when: string) => {
      if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: `required when ${when}` })
    }
    if (c.ACX_ALPACA_SECRET_ARN !== undefined) {
      // one source of keys: a key in the environment beside the secret is a leftover to remove
      for (const key of ['APCA_API_KEY_ID', 'APCA_API_SECRET_KEY'] as const)
        if (c[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'must not be set with ACX_ALPACA_SECRET_ARN' })
    } else if (c.ACX_BROKER === 'alpaca') {
      require('APCA_API_KEY_ID', 'ACX_BROKER=alpaca (or set ACX_ALPACA_SECRET_ARN)')
      require('APCA_API_SECRET_KEY', 'ACX_BROKER=alpaca (or set ACX_ALPACA_SECRET_ARN)')
    }
    if (c.ACX_STORE === 'dynamodb') require('ACX_DYNAMODB_TABLE', 'ACX_STORE=dynamodb')
    if (c.ACX_INTAKE === 'sqs') require('ACX_SQS_QUEUE_URL', 'ACX_INTAKE=sqs')
  })

export type ServiceSettings = z.output<typeof ConfigSchema>

export interface ServiceConfig extends ServiceSettings {
  /** The engine's configuration (AC_*, WTB_*, QUOTE_MAX_AGE_SECONDS, ROUTE_*). */
  readonly engine: AcConfig
}

export interface ConfigProblem {
  /** The environment variable at fault. */
  readonly variable: string
  readonly message: string
}

export type ConfigResult =
  | { readonly ok: true; readonly config: ServiceConfig }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] }

/** Empty strings count as unset, as shells and .env files often leave them. */
const withoutEmpty = (env: Readonly<Record<string, string | undefined>>) =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''))

/** Reads and checks every setting; collects every problem (service and engine) instead of stopping at the first. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ConfigResult {
  const vars = withoutEmpty(env)
  const problems: ConfigProblem[] = []
  const parsed = ConfigSchema.safeParse(vars)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({ variable: String(issue.path[0] ?? '(env)'), message: issue.message })
    }
  }
  const engine = engineConfigFromEnv(vars)
  if (!engine.ok) problems.push(...engine.problems.map((p) => ({ variable: p.variable, message: p.message })))
  if (!parsed.success || !engine.ok || problems.length) return { ok: false, problems }
  return { ok: true, config: { ...parsed.data, engine: engine.config } }
}

/** One line per problem, for start-up failures. Values are not echoed: some are secrets. */
export const formatConfigProblems = (problems: readonly ConfigProblem[]): string =>
  problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')
