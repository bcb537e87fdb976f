// Start-up on a store that cannot be used: the process must stop with a message naming the setting and
// the problem — never start on an empty database, never answer /readyz 200 and then 500 on every POST.
import { spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/persistence/sqliteStore.js'
import { isServiceError } from '../src/errors.js'
import { startChildService, killHard } from './support/childService.js'
import { http, tempDir } from './support/testService.js'

const packageDir = join(import.meta.dirname, '..')
const runTs = join(packageDir, '../../scripts/runTs.mjs')

/** src/main.ts bundled once to a file any user can read (an unprivileged child cannot run runTs, which writes). */
async function bundledMain(): Promise<string> {
  const { bundleNode } = await import('../../../scripts/bundleNode.mjs')
  const outfile = join(packageDir, 'node_modules/.cache/acx-run', `startup-main.${process.pid}.mjs`)
  await bundleNode({ entry: join(packageDir, 'src/main.ts'), outfile })
  chmodSync(outfile, 0o644)
  return outfile
}

/** Runs the service until it exits (or listens, which is a failure here); returns its exit code and stderr. */
async function startExpectingFailure(
  env: Record<string, string>,
  uid?: number,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const args = uid === undefined ? [runTs, 'src/main.ts'] : [await bundledMain()]
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, args, {
      cwd: packageDir,
      env: { PATH: process.env.PATH ?? '', ACX_PORT: '0', ACX_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(uid === undefined ? {} : { uid, gid: uid }),
    })
    let stderr = ''
    let stdout = ''
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
      if (stdout.includes('"address"')) proc.kill('SIGKILL') // it started: the test fails on the code
    })
    proc.on('exit', (code) => resolve({ code, stderr, stdout }))
  })
}

describe('start-up on a store that cannot be used', () => {
  const tmp = tempDir()
  let good: string

  beforeAll(async () => {
    // a real database with one execution in it, to damage in several ways
    good = join(tmp.dir, 'good.sqlite')
    const store = createSqliteStore({ path: good })
    const { parseOrderIntent } = await import('@acx/engine')
    const intent = parseOrderIntent({
      side: 'BUY',
      symbol: 'AAPL',
      quantity: '10',
      urgency: 'HIGH',
      correlationId: 'c1',
    })
    if (!intent.ok) throw new Error('bad intent')
    for (let i = 0; i < 200; i++) {
      await store.createExecution({ id: `ex-${i}`, intent: { ...intent.value, correlationId: `c-${i}` }, nowMs: i })
    }
    await store.close()
  })
  afterAll(() => {
    tmp.cleanup()
    rmSync(join(packageDir, 'node_modules/.cache/acx-run', `startup-main.${process.pid}.mjs`), { force: true })
  })

  const copy = (name: string): string => {
    const dir = join(tmp.dir, name)
    mkdirSync(dir, { recursive: true })
    const path = join(dir, 'acx.sqlite')
    copyFileSync(good, path)
    return path
  }

  it('refuses a zero-byte file instead of starting on an empty database', async () => {
    const path = join(tmp.dir, 'empty.sqlite')
    writeFileSync(path, '')
    const r = await startExpectingFailure({ ACX_DB_PATH: path })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`ACX_DB_PATH=${path}`)
    expect(r.stderr).toMatch(/empty \(0 bytes\)/)
    expect(statSync(path).size).toBe(0) // left as found
  })

  it('refuses a truncated file', async () => {
    const path = copy('truncated')
    truncateSync(path, Math.floor(statSync(path).size / 2))
    const r = await startExpectingFailure({ ACX_DB_PATH: path })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`ACX_DB_PATH=${path}`)
    expect(r.stderr).toMatch(/malformed|corrupt|integrity|not a database/i)
  })

  it('refuses a file that is not a database, and one whose pages were overwritten', async () => {
    const garbage = join(tmp.dir, 'garbage.sqlite')
    writeFileSync(garbage, Buffer.alloc(8192, 0x5a))
    const r1 = await startExpectingFailure({ ACX_DB_PATH: garbage })
    expect(r1.code).toBe(2)
    expect(r1.stderr).toContain(`ACX_DB_PATH=${garbage}`)
    expect(r1.stderr).toMatch(/not a database/i)

    const path = copy('scribbled')
    const bytes = readFileSync(path)
    bytes.fill(0x41, 4096 + 100, 4096 * 3) // the header is intact; table pages are not
    writeFileSync(path, bytes)
    const r2 = await startExpectingFailure({ ACX_DB_PATH: path })
    expect(r2.code).toBe(2)
    expect(r2.stderr).toContain(`ACX_DB_PATH=${path}`)
    expect(r2.stderr).toMatch(/malformed|corrupt|integrity/i)
  })

  it('refuses a database from a newer acx', async () => {
    const path = copy('newer')
    const Database = (await import('better-sqlite3')).default
    const db = new Database(path)
    db.pragma('user_version = 999')
    db.close()
    const r = await startExpectingFailure({ ACX_DB_PATH: path })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/schema version 999/)
  })

  it('refuses a database it cannot write', async () => {
    const path = copy('readonly')
    const dir = join(tmp.dir, 'readonly')
    chmodSync(path, 0o444)
    chmodSync(dir, 0o555)
    // root writes through file modes, so as root the check runs as an unprivileged user
    const asRoot = process.getuid?.() === 0
    if (asRoot) {
      chmodSync(tmp.dir, 0o755)
      chownSync(dir, 0, 0)
    }
    const r = await startExpectingFailure({ ACX_DB_PATH: path }, asRoot ? 65534 : undefined)
    chmodSync(dir, 0o755)
    expect(r.code, r.stderr + r.stdout).toBe(2)
    expect(r.stderr).toContain(`ACX_DB_PATH=${path}`)
    expect(r.stderr).toMatch(/cannot write|readonly|read-only/i)
  })

  it('opens the undamaged database, with its executions', async () => {
    const path = copy('intact')
    const store = createSqliteStore({ path })
    expect(await store.getExecution('ex-199')).not.toBeNull()
    await store.close()
  })

  it('throws a typed ServiceError in-process too', () => {
    const path = join(tmp.dir, 'empty2.sqlite')
    writeFileSync(path, '')
    let err: unknown
    try {
      createSqliteStore({ path })
    } catch (e) {
      err = e
    }
    expect(isServiceError(err) && err.code).toBe('SERVICE_STORE_EMPTY_FILE')
  })

  it('names ACX_PORT when the port is taken, without a stack trace', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    const r = await startExpectingFailure({ ACX_DB_PATH: join(tmp.dir, 'port', 'acx.sqlite'), ACX_PORT: String(port) })
    blocker.close()
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`ACX_PORT=${port}: the port is in use`)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('starts on a fresh path and reports ready', async () => {
    const child = startChildService({
      ACX_PORT: '0',
      ACX_DB_PATH: join(tmp.dir, 'fresh', 'acx.sqlite'),
      ACX_LOG_LEVEL: 'info',
    })
    try {
      const url = await child.url
      const ready = await http(`${url}/readyz`, 'GET')
      expect(ready).toMatchObject({ status: 200, json: { status: 'ready', reasons: [] } })
    } finally {
      await killHard(child)
    }
  })
})
