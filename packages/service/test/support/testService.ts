import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import type { BrokerPort, Clock } from '@acx/engine'
import { createService, loadConfig, type ExecutionStore, type Service, type ServiceConfig } from '../../src/index.js'

/** Fast settings: a 3-second AC execution in 3 slices, on the simulated market sped up 100×. */
export const FAST_ENV: Record<string, string> = {
  ACX_PORT: '0',
  ACX_SIM_TIME_SCALE: '100',
  AC_TOTAL_TIME_SECONDS: '300',
  AC_NUM_SLICES: '3',
  AC_SLICE_WAIT_SECONDS: '30',
  WTB_STEP_WAIT_SECONDS: '10',
  ACX_LOG_LEVEL: 'info',
}

export function tempDir(): { readonly dir: string; readonly cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'acx-service-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function configFor(env: Record<string, string>): ServiceConfig {
  const loaded = loadConfig(env)
  if (!loaded.ok) throw new Error(`bad test config: ${JSON.stringify(loaded.problems)}`)
  return loaded.config
}

/** A logger that keeps every JSON line, for asserting on logs. */
function captureLogger(): { readonly logger: Logger; readonly lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  const logger = pino({ level: 'debug' }, sink)
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}

export interface RunningService {
  readonly service: Service
  readonly url: string
  readonly logs: () => Array<Record<string, unknown>>
  readonly stop: () => Promise<void>
}

export async function startService(
  env: Record<string, string>,
  deps: { broker?: BrokerPort; clock?: Clock; store?: ExecutionStore } = {},
): Promise<RunningService> {
  const { logger, lines } = captureLogger()
  const service = await createService(configFor(env), logger, deps)
  const url = await service.start()
  return { service, url, logs: lines, stop: () => service.stop() }
}

export async function http(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, json, text }
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 25))
  }
}
