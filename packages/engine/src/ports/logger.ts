/** pino-compatible: structured object first, optional message. */
export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

const noop = (): void => {}

/** The default: discards everything. Libraries never log to the console. */
export const noopLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly obj: Readonly<Record<string, unknown>>
  readonly msg: string | undefined
}

/** A logger that keeps every record in memory, for tests and for embedding code that inspects events. */
export interface MemoryLogger extends Logger {
  readonly records: readonly LogRecord[]
  clear(): void
}

export function createMemoryLogger(): MemoryLogger {
  const records: LogRecord[] = []
  const at =
    (level: LogRecord['level']) =>
    (obj: object, msg?: string): void => {
      records.push({ level, obj: { ...(obj as Record<string, unknown>) }, msg })
    }
  return {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    clear: () => {
      records.length = 0
    },
  }
}
