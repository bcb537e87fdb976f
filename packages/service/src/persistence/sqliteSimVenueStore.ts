import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { ServiceError } from '../errors.js'
import type {
  SimulatedVenueChanges,
  SimulatedVenueSnapshot,
  SimulatedVenueStore,
  StoredSimFill,
  StoredSimOrder,
  StoredSimSymbol,
} from '@acx/engine'

/** The schema, one entry per version (`PRAGMA user_version`). Decimals are TEXT, times epoch ms. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     instance_id TEXT NOT NULL,
     last_order_no INTEGER NOT NULL,
     generation INTEGER NOT NULL
   );
   CREATE TABLE symbols (
     symbol TEXT PRIMARY KEY,
     mid REAL NOT NULL,
     impact REAL NOT NULL,
     position TEXT NOT NULL,
     position_cost TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE orders (
     id TEXT PRIMARY KEY,
     client_order_id TEXT NOT NULL UNIQUE,
     symbol TEXT NOT NULL,
     side TEXT NOT NULL,
     type TEXT NOT NULL,
     qty TEXT NOT NULL,
     limit_price TEXT,
     seq INTEGER NOT NULL,
     status TEXT NOT NULL,
     filled_qty TEXT NOT NULL,
     notional TEXT NOT NULL,
     submitted_at_ms INTEGER NOT NULL,
     updated_at_ms INTEGER NOT NULL,
     cancel_due_at_ms INTEGER,
     race_fill INTEGER NOT NULL,
     finished_at_ms INTEGER
   ) WITHOUT ROWID;
   CREATE TABLE fills (
     order_id TEXT NOT NULL,
     idx INTEGER NOT NULL,
     qty TEXT NOT NULL,
     price TEXT NOT NULL,
     at_ms INTEGER NOT NULL,
     after_cancel_request INTEGER NOT NULL,
     PRIMARY KEY (order_id, idx)
   ) WITHOUT ROWID;`,
]

interface OrderRow {
  id: string
  client_order_id: string
  symbol: string
  side: StoredSimOrder['side']
  type: StoredSimOrder['type']
  qty: string
  limit_price: string | null
  seq: number
  status: StoredSimOrder['status']
  filled_qty: string
  notional: string
  submitted_at_ms: number
  updated_at_ms: number
  cancel_due_at_ms: number | null
  race_fill: number
  finished_at_ms: number | null
}

interface FillRow {
  order_id: string
  idx: number
  qty: string
  price: string
  at_ms: number
  after_cancel_request: number
}

interface SymbolRow {
  symbol: string
  mid: number
  impact: number
  position: string
  position_cost: string
}

export interface SqliteSimVenueStoreOptions {
  /** File path, or ':memory:'. Parent directories are created. */
  readonly path: string
  /** How long opening waits for another process to release the file, ms. Default 2000. */
  readonly lockTimeoutMs?: number
}

export interface SqliteSimVenueStore extends SimulatedVenueStore {
  /** Closes the file (and releases it for the next process). */
  close(): void
}

/**
 * The simulated venue's state in its own SQLite file: WAL, one transaction per save (durable against a
 * process crash before `save` returns, as the service's store is). The file is held with an exclusive
 * lock while open: one venue per file, so two processes can never hand out the same order numbers.
 */
export function createSqliteSimVenueStore(options: SqliteSimVenueStoreOptions): SqliteSimVenueStore {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path, { timeout: options.lockTimeoutMs ?? 2000 })
  try {
    db.pragma('locking_mode = EXCLUSIVE') // before WAL: no shared memory, the lock is held until close
    db.pragma('journal_mode = WAL')
    // NORMAL is durable against a process crash in WAL mode (only an OS crash can lose the last commits).
    db.pragma('synchronous = NORMAL')
    const current = db.pragma('user_version', { simple: true }) as number
    for (let version = current; version < MIGRATIONS.length; version++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[version]!)
        db.pragma(`user_version = ${version + 1}`)
      }).immediate()
    }
    db.exec('BEGIN IMMEDIATE; COMMIT') // take the write lock now, not at the first save
  } catch (cause) {
    db.close()
    const busy = (cause as { code?: string }).code === 'SQLITE_BUSY'
    throw busy
      ? new ServiceError(
          'SERVICE_STORE_LOCKED',
          `simulated venue state ${options.path} is in use by another process (one venue per file: set ACX_SIM_STATE_PATH)`,
          { cause },
        )
      : new ServiceError(
          'SERVICE_STORE_UNAVAILABLE',
          `cannot open the simulated venue state ${options.path}: ${(cause as Error).message}`,
          { cause },
        )
  }

  const q = {
    meta: db.prepare<[], { instance_id: string; last_order_no: number; generation: number }>(
      'SELECT instance_id, last_order_no, generation FROM meta WHERE id = 1',
    ),
    symbols: db.prepare<[], SymbolRow>('SELECT * FROM symbols'),
    orders: db.prepare<[], OrderRow>('SELECT * FROM orders ORDER BY seq'),
    fills: db.prepare<[], FillRow>('SELECT * FROM fills ORDER BY order_id, idx'),
    putMeta: db.prepare(`INSERT INTO meta (id, instance_id, last_order_no, generation) VALUES (1, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, last_order_no = excluded.last_order_no,
      generation = excluded.generation`),
    putSymbol: db.prepare(`INSERT INTO symbols (symbol, mid, impact, position, position_cost) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (symbol) DO UPDATE SET mid = excluded.mid, impact = excluded.impact, position = excluded.position,
      position_cost = excluded.position_cost`),
    putOrder: db.prepare(`INSERT INTO orders (id, client_order_id, symbol, side, type, qty, limit_price, seq, status,
      filled_qty, notional, submitted_at_ms, updated_at_ms, cancel_due_at_ms, race_fill, finished_at_ms)
      VALUES (@id, @clientOrderId, @symbol, @side, @type, @qty, @limitPrice, @seq, @status, @filledQty, @notional,
      @submittedAtMs, @updatedAtMs, @cancelDueAtMs, @raceFill, @finishedAtMs)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, filled_qty = excluded.filled_qty,
      notional = excluded.notional, updated_at_ms = excluded.updated_at_ms, cancel_due_at_ms = excluded.cancel_due_at_ms,
      race_fill = excluded.race_fill, finished_at_ms = excluded.finished_at_ms`),
    putFill:
      db.prepare(`INSERT INTO fills (order_id, idx, qty, price, at_ms, after_cancel_request) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (order_id, idx) DO NOTHING`),
    forgetOrder: db.prepare('DELETE FROM orders WHERE id = ?'),
    forgetFills: db.prepare('DELETE FROM fills WHERE order_id = ?'),
  }

  const save = db.transaction((c: SimulatedVenueChanges) => {
    // forgotten first: a new order may reuse the client order id of one forgotten in the same save
    for (const id of c.forgotten) {
      q.forgetOrder.run(id)
      q.forgetFills.run(id)
    }
    if (c.meta) q.putMeta.run(c.meta.instanceId, c.meta.lastOrderNo, c.meta.generation)
    for (const s of c.symbols) q.putSymbol.run(s.symbol, s.mid, s.impact, s.position, s.positionCost)
    for (const o of c.orders) q.putOrder.run({ ...o, raceFill: o.raceFill ? 1 : 0 })
    for (const f of c.fills) q.putFill.run(f.orderId, f.index, f.qty, f.price, f.atMs, f.afterCancelRequest ? 1 : 0)
  })

  return {
    load(): SimulatedVenueSnapshot | null {
      const meta = q.meta.get()
      if (meta === undefined) return null
      return {
        meta: { instanceId: meta.instance_id, lastOrderNo: meta.last_order_no, generation: meta.generation },
        symbols: q.symbols.all().map((r): StoredSimSymbol => ({
          symbol: r.symbol,
          mid: r.mid,
          impact: r.impact,
          position: r.position,
          positionCost: r.position_cost,
        })),
        orders: q.orders.all().map((r): StoredSimOrder => ({
          id: r.id,
          clientOrderId: r.client_order_id,
          symbol: r.symbol,
          side: r.side,
          type: r.type,
          qty: r.qty,
          limitPrice: r.limit_price,
          seq: r.seq,
          status: r.status,
          filledQty: r.filled_qty,
          notional: r.notional,
          submittedAtMs: r.submitted_at_ms,
          updatedAtMs: r.updated_at_ms,
          cancelDueAtMs: r.cancel_due_at_ms,
          raceFill: r.race_fill === 1,
          finishedAtMs: r.finished_at_ms,
        })),
        fills: q.fills.all().map((r): StoredSimFill => ({
          orderId: r.order_id,
          index: r.idx,
          qty: r.qty,
          price: r.price,
          atMs: r.at_ms,
          afterCancelRequest: r.after_cancel_request === 1,
        })),
      }
    },
    save(changes) {
      save.immediate(changes)
    },
    close() {
      if (db.open) db.close()
    },
  }
}
