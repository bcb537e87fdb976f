import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino'

/** Paths pino replaces with "[redacted]": keys, secrets and credentials, wherever they are logged. */
export const REDACT_PATHS = [
  'secretKey',
  '*.secretKey',
  'keyId',
  '*.keyId',
  'APCA_API_SECRET_KEY',
  '*.APCA_API_SECRET_KEY',
  'APCA_API_KEY_ID',
  '*.APCA_API_KEY_ID',
  'ACX_API_TOKEN',
  '*.ACX_API_TOKEN',
  'req.headers.authorization',
  'req.headers["apca-api-secret-key"]',
  'req.headers["apca-api-key-id"]',
  'headers.authorization',
  'headers["apca-api-secret-key"]',
]

/**
 * JSON lines on stdout (or `destination`), no in-process transports; pipe to pino-pretty to read by eye.
 * `time` is ISO-8601 UTC with milliseconds, as every time acx shows. `sync` writes each line to stdout
 * before returning (Lambda freezes the process after each invocation).
 */
export function createLogger(
  level: LevelWithSilent,
  destination?: NodeJS.WritableStream,
  { sync = false }: { readonly sync?: boolean } = {},
): PinoLogger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'acx' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync }),
  )
}
