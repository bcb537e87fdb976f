import { afterEach, describe, expect, it, vi } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parentOrderId, parseOrderIntent, type OrderIntent } from '@acx/engine'
import { pruneCommand, reportCommand } from '../src/commands.js'
import { createSqliteStore } from '../src/persistence/sqliteStore.js'
import { FAST_ENV, startService, tempDir } from './support/testService.js'

const DAY = 86_400_000

const intent = (correlationId: string): OrderIntent => {
  const r = parseOrderIntent({ side: 'BUY', symbol: 'AAPL', quantity: '10', urgency: 'HIGH', correlationId })
  if (!r.ok) throw new Error('bad intent')
  return r.value
}

/** A store with finished executions 200, 100 and 10 days old, and one 200 days old still running. */
async function seed(path: string): Promise<void> {
  const store = createSqliteStore({ path })
  const now = Date.now()
  for (const [id, ageDays, status] of [
    ['d200', 200, 'filled'],
    ['d100', 100, 'cancelled'],
    ['d10', 10, 'filled'],
    ['run200', 200, 'running'],
  ] as const) {
    await store.createExecution({ id, intent: intent(`c-${id}`), nowMs: now - ageDays * DAY })
    await store.append({
      type: 'execution_started',
      executionId: parentOrderId(id),
      atMs: now - ageDays * DAY,
      intent: intent(`c-${id}`),
      strategy: 'market',
      resumed: false,
    })
    if (status !== 'running') await store.setStatus(id, status, now - ageDays * DAY + 1000)
  }
  await store.close()
}

const ids = async (path: string): Promise<string[]> => {
  const store = createSqliteStore({ path })
  const all = (await store.listExecutions({ limit: 100 })).map((r) => r.id).sort()
  await store.close()
  return all
}

describe('retention', () => {
  const tmp = tempDir()
  afterEach(() => vi.restoreAllMocks())

  it('acx prune --before deletes finished executions created before the date, never running ones', async () => {
    const path = join(tmp.dir, 'cli.sqlite')
    await seed(path)
    expect(await pruneCommand({ db: path, before: '150d' })).toMatch(/^pruned 1 finished execution created before /)
    expect(await ids(path)).toEqual(['d10', 'd100', 'run200'])
    const date = new Date(Date.now() - 50 * DAY).toISOString().slice(0, 10)
    expect(await pruneCommand({ db: path, before: date })).toMatch(/^pruned 1 finished/)
    expect(await ids(path)).toEqual(['d10', 'run200'])
  })

  it('refuses a bad date and a --db that does not exist, naming it (creating nothing)', async () => {
    const path = join(tmp.dir, 'cli.sqlite')
    await expect(pruneCommand({ db: path, before: 'last week' })).rejects.toThrow(/^--before last week: /)
    const missing = join(tmp.dir, 'typo.sqlite')
    await expect(pruneCommand({ db: missing, before: '90d' })).rejects.toThrow(`--db ${missing}: no such file`)
    await expect(reportCommand({ db: missing, format: 'table' })).rejects.toThrow(`--db ${missing}: no such file`)
    expect(existsSync(missing)).toBe(false)
  })

  it('the service prunes past ACX_RETENTION_DAYS when it starts (and hourly), and keeps everything with 0', async () => {
    const keep = join(tmp.dir, 'keep.sqlite')
    await seed(keep)
    const a = await startService({ ...FAST_ENV, ACX_DB_PATH: keep, ACX_RETENTION_DAYS: '0' })
    await a.stop()
    expect(await ids(keep)).toEqual(['d10', 'd100', 'd200', 'run200'])

    const path = join(tmp.dir, 'svc.sqlite')
    await seed(path)
    const svc = await startService({ ...FAST_ENV, ACX_DB_PATH: path, ACX_RETENTION_DAYS: '90' })
    await svc.service.manager.idle()
    await svc.stop()
    // the old running one was resumed and finished now: last changed today, so it stays
    expect(await ids(path)).toEqual(['d10', 'run200'])
    expect(svc.logs().some((l) => l.msg === 'Pruned finished executions past retention' && l.pruned === 2)).toBe(true)
  })
})
