import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const packageDir = join(import.meta.dirname, '../..')
const runTs = join(packageDir, '../../scripts/runTs.mjs')

/** The service (src/main.ts) as a child process, as it runs in production. */
export interface ChildService {
  readonly proc: ChildProcess
  /** Resolves with the address once the service listens. */
  readonly url: Promise<string>
  readonly output: () => string
}

export function startChildService(env: Record<string, string>): ChildService {
  const proc = spawn(process.execPath, [runTs, 'src/main.ts'], {
    cwd: packageDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const url = new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /"address":"(http:\/\/[^"]+)"/.exec(out)
      if (m) resolve(m[1]!)
    })
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()))
    proc.on('exit', (code) => reject(new Error(`service exited (${code}) before listening:\n${out}`)))
  })
  return { proc, url, output: () => out }
}

/** SIGKILL: no shutdown, no flush, as a crash or an OOM kill. */
export const killHard = (child: ChildService): Promise<void> =>
  new Promise<void>((resolve) => {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve()
    child.proc.once('exit', () => resolve())
    child.proc.kill('SIGKILL')
  })
