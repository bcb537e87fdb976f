import { formatConfigProblems, loadConfig } from './config.js'
import type { ServiceConfig } from './config.js'
import { createService, type Service } from './createService.js'

import { createLogger } from './observability/logger.js'
import { ineffectiveSettings } from './config/ineffectiveSettings.js'
import { isServiceError } from './errors.js'
import { resolveAlpacaKeys } from './secrets/alpacaSecret.js'

/** A start-up failure an operator can fix, as one line naming the setting; undefined for a bug. */
function startFailure(err: unknown, config: ServiceConfig): string | undefined {
  if (isServiceError(err)) return err.message
  const code = (err as { code?: unknown })?.code
  if (code === 'EADDRINUSE') return `ACX_PORT=${config.ACX_PORT}: the port is in use on ${config.ACX_HOST}`
  if (code === 'EADDRNOTAVAIL') return `ACX_HOST=${config.ACX_HOST}: not an address of this machine`
  if (code === 'EACCES' && typeof (err as { syscall?: unknown }).syscall === 'string') {
    return `ACX_PORT=${config.ACX_PORT}: not allowed to listen there (${String((err as { syscall: string }).syscall)})`
  }
  return undefined
}

/**
 * Runs the placement service until SIGTERM/SIGINT: settings from `env` (a bad one stops start-up
 * with a message naming it), JSON logs on stdout, a how-to banner on stderr.
 */
export async function serve(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  const loaded = loadConfig(env)
  if (!loaded.ok) {
    process.stderr.write(`acx: invalid configuration, not starting:\n${formatConfigProblems(loaded.problems)}\n`)
    process.exitCode = 2
    return
  }
  let config = loaded.config
  const logger = createLogger(config.ACX_LOG_LEVEL)
  for (const { variable, message } of ineffectiveSettings(env, config.engine.impact.model))
    logger.warn({ setting: variable }, `${variable} ${message}`)
  let service: Service
  let address: string
  try {
    config = await resolveAlpacaKeys(config)
    service = await createService(config, logger)
    address = await service.start()
  } catch (err) {
    const why = startFailure(err, config)
    if (why === undefined) throw err
    logger.flush()
    process.stderr.write(`acx: not starting: ${why}\n`)
    process.exitCode = 2
    return
  }
  const market =
    config.ACX_BROKER === 'sim'
      ? `the simulated market (${Object.keys(config.ACX_SIM_SYMBOLS).join(', ')}; time ×${config.ACX_SIM_TIME_SCALE})`
      : `Alpaca at ${config.APCA_API_BASE_URL}`
  logger.info({ address, broker: config.ACX_BROKER, dbPath: config.ACX_DB_PATH }, 'acx placement service listening')
  const auth = config.ACX_API_TOKEN ? ` -H "authorization: Bearer $ACX_API_TOKEN"` : ''
  process.stderr.write(
    `\nacx placement service listening on ${address}, trading on ${market}, store ${config.ACX_DB_PATH}\n` +
      `Submit an order:\n` +
      `  curl -s -X POST ${address}/v1/orders -H 'content-type: application/json'${auth} \\\n` +
      `    -d '{"side":"BUY","symbol":"AAPL","quantity":"1000","urgency":"MEDIUM","correlationId":"demo-1"}'\n` +
      `Then: curl -s ${address}/v1/orders/<executionId>${auth}\n\n`,
  )

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'Shutting down: intake stopped, bringing running executions to a safe point')
    service.stop().then(
      () => {
        logger.info('Stopped')
        logger.flush()
        process.exit(0)
      },
      (err: unknown) => {
        logger.error({ err }, 'Shutdown failed')
        logger.flush()
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}
