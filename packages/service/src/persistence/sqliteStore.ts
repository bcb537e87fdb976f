import Database from 'better-sqlite3'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

import type { JournalEntry } from '@acx/engine'
import { MIGRATIONS } from './migrations.js'
import type {
  ChildOrderRecord,
  ExecutionFilter,
  ExecutionRecord,
  ExecutionStore,
  FillRecord,
  HaltRecord,
  Json,
  ServiceExecutionStatus,
  StoredJournalEntry,
} from './executionStore.js'
import { FINAL_STATUSES, storedOrderStatus } from './executionStore.js'
import { ServiceError, isServiceError } from '../errors.js'

interface ExecutionRow {
  id: string
  correlation_id: string
  symbol: string
  side: 'BUY' | 'SELL'
  quantity: string
  urgency: 'LOW' | 'MEDIUM' | 'HIGH'
  strategy: string | null
  status: ServiceExecutionStatus
  intent_json: string
  result_json: string | null
  reference_price: string | null
  not_before: number | null
  resumes: number
  cancel_requested: number
  lease_owner: string | null
  lease_expires_at: number | null
  created_at: number
  updated_at: number
}

const toExecution = (r: ExecutionRow): ExecutionRecord => ({
  id: r.id,
  correlationId: r.correlation_id,
  symbol: r.symbol,
  side: r.side,
  quantity: r.quantity,
  urgency: r.urgency,
  strategy: r.strategy,
  status: r.status,
  intent: JSON.parse(r.intent_json) as Json,
  result: r.result_json === null ? null : (JSON.parse(r.result_json) as Json),
  referencePrice: r.reference_price ?? null,
  notBefore: r.not_before ?? null,
  resumes: r.resumes,
  cancelRequested: r.cancel_requested === 1,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/** Decimals become strings (Decimal#toJSON), everything else as JSON. */
const json = (v: unknown): string => JSON.stringify(v)
const str = (v: { toString(): string } | undefined | null): string | null => (v == null ? null : v.toString())

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. Parent directories are created. */
  readonly path: string
}

/** A journal entry id back to its sequence number; an id this store never gave out reads from the start. */
const seqOf = (id: string | undefined): number => (id !== undefined && /^\d{1,15}$/.test(id) ? Number(id) : 0)

interface JournalRow {
  readonly seq: number
  readonly execution_id: string
  readonly type: string
  readonly at_ms: number
  readonly entry_json: string
}

const journalEntryOf = (r: JournalRow): StoredJournalEntry => ({
  id: String(r.seq),
  executionId: r.execution_id,
  type: r.type,
  atMs: r.at_ms,
  entry: JSON.parse(r.entry_json) as Json,
})

/** Applies pending migrations, tracked in `PRAGMA user_version`, each in its own transaction. */
function migrate(db: Database.Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > MIGRATIONS.length) {
    throw new ServiceError(
      'SERVICE_STORE_TOO_NEW',
      `${path}: schema version ${current}, this acx knows ${MIGRATIONS.length}`,
    )
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!)
      db.pragma(`user_version = ${version + 1}`)
    })()
  }
}

const sqliteCode = (e: unknown): string => String((e as { code?: unknown })?.code ?? '')

/**
 * Opens the database and proves it usable before anything relies on it: an existing empty file, a
 * truncated or corrupt one (`PRAGMA quick_check`), one from a newer acx, or one that cannot be written
 * (a write probe) is refused with a `ServiceError` (`SERVICE_STORE_*`) naming the file — never opened empty, never served
 * read-only until the first POST fails.
 */
function openChecked(path: string): Database.Database {
  if (path !== ':memory:') {
    if (existsSync(path) && statSync(path).isFile() && statSync(path).size === 0) {
      throw new ServiceError(
        'SERVICE_STORE_EMPTY_FILE',
        `${path}: the file is empty (0 bytes), not an acx database; move it away or point at another file`,
      )
    }
    mkdirSync(dirname(path), { recursive: true })
  }
  let db: Database.Database | undefined
  try {
    db = new Database(path)
    db.pragma('busy_timeout = 5000')
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok')
      throw new ServiceError('SERVICE_STORE_CORRUPT', `${path}: integrity check failed: ${String(check)}`)
    db.pragma('journal_mode = WAL')
    // NORMAL is durable against a process crash in WAL mode (only an OS crash can lose the last commits).
    db.pragma('synchronous = NORMAL')
    // off while migrating: a migration may rebuild a table other tables refer to (checked after)
    db.pragma('foreign_keys = OFF')
    migrate(db, path)
    const broken = db.pragma('foreign_key_check') as unknown[]
    if (broken.length > 0)
      throw new ServiceError('SERVICE_STORE_CORRUPT', `${path}: ${broken.length} rows break a foreign key`)
    db.pragma('foreign_keys = ON')
    db.prepare(
      'INSERT INTO probes (id, at_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms',
    ).run(Date.now())
    return db
  } catch (e) {
    db?.close()
    if (isServiceError(e)) throw e
    const code = sqliteCode(e)
    const why = (e as Error).message
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
      throw new ServiceError('SERVICE_STORE_CORRUPT', `${path}: ${why}`, { cause: e })
    if (
      code.startsWith('SQLITE_READONLY') ||
      code === 'SQLITE_CANTOPEN' ||
      code === 'SQLITE_PERM' ||
      code.startsWith('SQLITE_IOERR')
    ) {
      throw new ServiceError('SERVICE_STORE_READ_ONLY', `${path}: cannot write (${code}: ${why})`, { cause: e })
    }
    throw new ServiceError('SERVICE_STORE_UNAVAILABLE', `${path}: ${code ? `${code}: ` : ''}${why}`, { cause: e })
  }
}

/**
 * The default store: one SQLite file in WAL mode. Every write is its own transaction and is on disk
 * (in the WAL) before the call returns, so a kill -9 loses nothing the engine was told was stored.
 */
export function createSqliteStore(options: SqliteStoreOptions): ExecutionStore {
  const db = openChecked(options.path)

  const q = {
    insertExecution: db.prepare(`INSERT INTO executions
      (id, correlation_id, symbol, side, quantity, urgency, strategy, status, intent_json, reference_price, not_before,
       created_at, updated_at)
      VALUES (@id, @correlationId, @symbol, @side, @quantity, @urgency, @strategy, @status, @intent, @referencePrice,
       @notBefore, @now, @now)
      ON CONFLICT (correlation_id) DO NOTHING`),
    byId: db.prepare('SELECT * FROM executions WHERE id = ?'),
    byCorrelation: db.prepare('SELECT * FROM executions WHERE correlation_id = ?'),
    unfinished: db.prepare(`SELECT * FROM executions WHERE status IN ('queued', 'running') ORDER BY created_at, id`),
    setStatus: db.prepare('UPDATE executions SET status = ?, not_before = ?, updated_at = ? WHERE id = ?'),
    started: db.prepare('UPDATE executions SET status = ?, strategy = ?, updated_at = ? WHERE id = ?'),
    finished: db.prepare('UPDATE executions SET status = ?, result_json = ?, updated_at = ? WHERE id = ?'),
    requestCancel: db.prepare('UPDATE executions SET cancel_requested = 1, updated_at = ? WHERE id = ?'),
    resumed: db.prepare('UPDATE executions SET resumes = resumes + 1, updated_at = ? WHERE id = ? RETURNING resumes'),
    journal: db.prepare('INSERT INTO journal (execution_id, type, at_ms, entry_json) VALUES (?, ?, ?, ?)'),
    insertChild: db.prepare(`INSERT INTO child_orders
      (client_order_id, execution_id, broker_order_id, slice_index, attempt, type, side, qty, limit_price, status,
       filled_qty, avg_px, created_at, updated_at)
      VALUES (@clientOrderId, @executionId, @brokerOrderId, @sliceIndex, @attempt, @type, @side, @qty, @limitPrice,
       @status, @filledQty, @avgPx, @createdAt, @updatedAt)
      ON CONFLICT (client_order_id) DO UPDATE SET broker_order_id = excluded.broker_order_id,
       status = excluded.status, filled_qty = excluded.filled_qty, avg_px = excluded.avg_px,
       updated_at = excluded.updated_at`),
    insertFill: db.prepare(`INSERT INTO fills
      (fill_id, execution_id, client_order_id, broker_order_id, qty, price, ts_event, ts_init)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fill_id) DO NOTHING`),
    children: db.prepare('SELECT * FROM child_orders WHERE execution_id = ? ORDER BY created_at, slice_index, attempt'),
    fills: db.prepare('SELECT * FROM fills WHERE execution_id = ? ORDER BY ts_init, fill_id'),
    acquire: db.prepare(`UPDATE executions SET lease_owner = @owner, lease_expires_at = @until
      WHERE id = @id AND (lease_owner IS NULL OR lease_owner = @owner OR lease_expires_at <= @now)`),
    renew: db.prepare(`UPDATE executions SET lease_expires_at = @until
      WHERE id = @id AND lease_owner = @owner AND lease_expires_at > @now`),
    release: db.prepare(
      'UPDATE executions SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?',
    ),
    orphaned: db.prepare(`SELECT * FROM executions
      WHERE (status IN ('queued', 'running') OR (status = 'scheduled' AND not_before <= @market_now))
      AND (lease_owner IS NULL OR lease_expires_at <= @now) ORDER BY created_at, id`),
    getControl: db.prepare('SELECT value_json FROM controls WHERE name = ?'),
    setControl: db.prepare(`INSERT INTO controls (name, value_json, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`),
    deleteControl: db.prepare('DELETE FROM controls WHERE name = ?'),
    prunable:
      db.prepare(`SELECT id FROM executions WHERE status IN (${[...FINAL_STATUSES].map((s) => `'${s}'`).join(', ')})
      AND created_at < @before AND updated_at < @before ORDER BY created_at, id LIMIT @limit`),
    pruneFills: db.prepare('DELETE FROM fills WHERE execution_id = ?'),
    pruneChildren: db.prepare('DELETE FROM child_orders WHERE execution_id = ?'),
    pruneJournal: db.prepare('DELETE FROM journal WHERE execution_id = ?'),
    pruneExecution: db.prepare('DELETE FROM executions WHERE id = ?'),
    probe: db.prepare(
      'INSERT INTO probes (id, at_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms',
    ),
    probeRead: db.prepare('SELECT at_ms FROM probes WHERE id = 1'),
    // the run chain starts at the latest fresh (not resumed) start: an execution stopped before it sent
    // anything (the market was closed) and scheduled again starts from scratch
    freshStart: db.prepare(
      `SELECT seq, at_ms FROM journal WHERE execution_id = ? AND type = 'execution_started'
       AND COALESCE(json_extract(entry_json, '$.resumed'), 0) = 0 ORDER BY seq DESC LIMIT 1`,
    ),
    journalAfter: db.prepare(
      'SELECT seq, execution_id, type, at_ms, entry_json FROM journal WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    firstArrival: db.prepare(
      `SELECT entry_json FROM journal WHERE execution_id = ? AND type = 'arrival_quote' AND seq > ? ORDER BY seq LIMIT 1`,
    ),
  }

  const appendTx = db.transaction((entry: JournalEntry) => {
    q.journal.run(entry.executionId, entry.type, entry.atMs, json(entry))
    switch (entry.type) {
      case 'execution_started':
        q.started.run('running', entry.strategy, entry.atMs, entry.executionId)
        break
      case 'child_order_created':
      case 'child_order_status': {
        const o = entry.order
        q.insertChild.run({
          clientOrderId: o.clientOrderId,
          executionId: entry.executionId,
          brokerOrderId: o.brokerOrderId ?? null,
          sliceIndex: o.sliceIndex,
          attempt: o.attempt,
          type: o.type,
          side: o.side,
          qty: o.qty.toString(),
          limitPrice: str(o.limitPrice),
          status: o.status,
          filledQty: o.filledQty.toString(),
          avgPx: o.avgPx.toString(),
          createdAt: o.createdAt,
          updatedAt: o.updatedAt,
        })
        break
      }
      case 'fill': {
        const f = entry.fill
        q.insertFill.run(
          f.fillId,
          entry.executionId,
          f.clientOrderId,
          f.brokerOrderId,
          f.qty.toString(),
          f.price.toString(),
          f.tsEvent,
          f.tsInit,
        )
        break
      }
      case 'execution_finished':
        q.finished.run(entry.status, json(entry.result), entry.atMs, entry.executionId)
        break
      default:
        break // arrival_quote, risk_check_failed: the journal row is the record
    }
  })

  const pruneTx = db.transaction((beforeMs: number, limit: number): number => {
    const ids = (q.prunable.all({ before: beforeMs, limit }) as Array<{ id: string }>).map((r) => r.id)
    for (const id of ids) {
      q.pruneFills.run(id)
      q.pruneChildren.run(id)
      q.pruneJournal.run(id)
      q.pruneExecution.run(id)
    }
    return ids.length
  })

  const row = (r: unknown): ExecutionRecord | null => (r ? toExecution(r as ExecutionRow) : null)

  const rescheduleTx = db.transaction((entry: Extract<JournalEntry, { type: 'execution_finished' }>, at: number) => {
    q.setStatus.run('scheduled', at, entry.atMs, entry.executionId)
    q.journal.run(entry.executionId, entry.type, entry.atMs, json(entry))
  })

  // journal reads come in a few shapes (after an id or not, a few type lists): prepared once each
  const statements = new Map<string, Database.Statement>()
  const prepared = (sql: string): Database.Statement => {
    let st = statements.get(sql)
    if (!st) {
      st = db.prepare(sql)
      if (statements.size < 64) statements.set(sql, st)
    }
    return st
  }

  return {
    async append(entry) {
      appendTx(entry)
    },

    async reschedule(entry, notBefore) {
      rescheduleTx(entry, notBefore)
    },

    async createExecution({ id, intent, nowMs, referencePrice, notBefore }) {
      const info = q.insertExecution.run({
        id,
        correlationId: intent.correlationId,
        symbol: intent.symbol,
        side: intent.side,
        quantity: intent.quantity.toString(),
        urgency: intent.urgency,
        strategy: intent.strategy ?? null,
        intent: json(intent),
        now: nowMs,
        referencePrice: referencePrice ?? null,
        status: notBefore === undefined ? 'queued' : 'scheduled',
        notBefore: notBefore ?? null,
      })
      const record = row(q.byCorrelation.get(intent.correlationId))!
      return { record, created: info.changes === 1 }
    },

    getExecution: async (id) => row(q.byId.get(id)),
    getExecutionByCorrelationId: async (correlationId) => row(q.byCorrelation.get(correlationId)),

    async listExecutions(filter: ExecutionFilter = {}) {
      const where: string[] = []
      const args: Array<string | number> = []
      const add = (clause: string, value: string | number | undefined) => {
        if (value === undefined) return
        where.push(clause)
        args.push(value)
      }
      add('symbol = ?', filter.symbol)
      add('status = ?', filter.status)
      add('created_at >= ?', filter.sinceMs)
      if (filter.after) {
        where.push('(created_at < ? OR (created_at = ? AND id < ?))')
        args.push(filter.after.createdAt, filter.after.createdAt, filter.after.id)
      }
      const sql = `SELECT * FROM executions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT ?`
      return (db.prepare(sql).all(...args, filter.limit ?? 50) as ExecutionRow[]).map(toExecution)
    },

    async childOrders(executionId) {
      return (q.children.all(executionId) as Array<Record<string, unknown>>).map((r): ChildOrderRecord => ({
        clientOrderId: r.client_order_id as string,
        executionId: r.execution_id as string,
        brokerOrderId: r.broker_order_id as string | null,
        sliceIndex: r.slice_index as number,
        attempt: r.attempt as number,
        type: r.type as 'market' | 'limit',
        side: r.side as 'BUY' | 'SELL',
        qty: r.qty as string,
        limitPrice: r.limit_price as string | null,
        status: storedOrderStatus(r.status, r.client_order_id as string),
        filledQty: r.filled_qty as string,
        avgPx: r.avg_px as string,
        createdAt: r.created_at as number,
        updatedAt: r.updated_at as number,
      }))
    },

    async fills(executionId) {
      return (q.fills.all(executionId) as Array<Record<string, unknown>>).map((r): FillRecord => ({
        fillId: r.fill_id as string,
        executionId: r.execution_id as string,
        clientOrderId: r.client_order_id as string,
        brokerOrderId: r.broker_order_id as string,
        qty: r.qty as string,
        price: r.price as string,
        tsEvent: r.ts_event as number,
        tsInit: r.ts_init as number,
      }))
    },

    async runStart(id) {
      const started = q.freshStart.get(id) as { seq: number; at_ms: number } | undefined
      if (!started) return null
      const quote = q.firstArrival.get(id, started.seq) as { entry_json: string } | undefined
      const mid = quote ? (JSON.parse(quote.entry_json) as { quote: { mid?: string } | null }).quote?.mid : undefined
      return { startedAt: started.at_ms, arrivalMid: mid ?? null }
    },
    unfinished: async () => (q.unfinished.all() as ExecutionRow[]).map(toExecution),
    async setStatus(id, status, nowMs, notBefore) {
      q.setStatus.run(status, status === 'scheduled' ? (notBefore ?? null) : null, nowMs, id)
    },
    async requestCancel(id, nowMs) {
      q.requestCancel.run(nowMs, id)
    },
    async markResumed(id, nowMs) {
      return (q.resumed.get(nowMs, id) as { resumes: number } | undefined)?.resumes ?? 0
    },
    async acquireLease(id, owner, nowMs, ttlMs) {
      return q.acquire.run({ id, owner, now: nowMs, until: nowMs + ttlMs }).changes === 1
    },
    async renewLease(id, owner, nowMs, ttlMs) {
      return q.renew.run({ id, owner, now: nowMs, until: nowMs + ttlMs }).changes === 1
    },
    async releaseLease(id, owner) {
      q.release.run(id, owner)
    },
    orphaned: async (nowMs, marketNowMs = nowMs) =>
      (q.orphaned.all({ now: nowMs, market_now: marketNowMs }) as ExecutionRow[]).map(toExecution),
    async journalAfter(afterId, limit) {
      const rows = q.journalAfter.all(seqOf(afterId), limit) as JournalRow[]
      return rows.map(journalEntryOf)
    },
    async journal(executionId, options = {}) {
      const types = options.types ?? []
      const sql = `SELECT seq, execution_id, type, at_ms, entry_json FROM journal WHERE execution_id = ?
        ${options.afterId === undefined ? '' : 'AND seq > ?'}
        ${types.length ? `AND type IN (${types.map(() => '?').join(', ')})` : ''} ORDER BY seq`
      const args = [executionId, ...(options.afterId === undefined ? [] : [seqOf(options.afterId)]), ...types]
      return (prepared(sql).all(...args) as JournalRow[]).map(journalEntryOf)
    },
    async getHalt() {
      const r = q.getControl.get('halt') as { value_json: string } | undefined
      return r ? (JSON.parse(r.value_json) as HaltRecord) : null
    },
    async setHalt(halt) {
      if (halt === null) q.deleteControl.run('halt')
      else q.setControl.run('halt', json(halt), halt.sinceMs)
    },
    prune: async (beforeMs, limit) => pruneTx(beforeMs, limit),
    async probe(nowMs) {
      q.probe.run(nowMs)
      if ((q.probeRead.get() as { at_ms: number } | undefined)?.at_ms !== nowMs)
        throw new ServiceError('SERVICE_STORE_UNAVAILABLE', 'probe write not read back')
    },
    async close() {
      db.close()
    },
  }
}
