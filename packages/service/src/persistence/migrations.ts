/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Append new
 * ones; never edit one that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE executions (
     id               TEXT PRIMARY KEY,
     correlation_id   TEXT NOT NULL UNIQUE,
     symbol           TEXT NOT NULL,
     side             TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
     quantity         TEXT NOT NULL,
     urgency          TEXT NOT NULL CHECK (urgency IN ('LOW', 'MEDIUM', 'HIGH')),
     strategy         TEXT,
     status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'filled', 'partially_filled', 'failed', 'cancelled')),
     intent_json      TEXT NOT NULL,
     result_json      TEXT,
     resumes          INTEGER NOT NULL DEFAULT 0,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     created_at       INTEGER NOT NULL,
     updated_at       INTEGER NOT NULL
   );
   CREATE INDEX executions_status ON executions (status, created_at);
   CREATE INDEX executions_symbol ON executions (symbol, created_at);
   CREATE INDEX executions_created ON executions (created_at);

   CREATE TABLE child_orders (
     client_order_id TEXT PRIMARY KEY,
     execution_id    TEXT NOT NULL REFERENCES executions (id),
     broker_order_id TEXT,
     slice_index     INTEGER NOT NULL,
     attempt         INTEGER NOT NULL,
     type            TEXT NOT NULL,
     side            TEXT NOT NULL,
     qty             TEXT NOT NULL,
     limit_price     TEXT,
     status          TEXT NOT NULL,
     filled_qty      TEXT NOT NULL,
     avg_px          TEXT NOT NULL,
     created_at      INTEGER NOT NULL,
     updated_at      INTEGER NOT NULL
   );
   CREATE INDEX child_orders_execution ON child_orders (execution_id);

   CREATE TABLE fills (
     fill_id         TEXT PRIMARY KEY,
     execution_id    TEXT NOT NULL REFERENCES executions (id),
     client_order_id TEXT NOT NULL REFERENCES child_orders (client_order_id),
     broker_order_id TEXT NOT NULL,
     qty             TEXT NOT NULL,
     price           TEXT NOT NULL,
     ts_event        INTEGER NOT NULL,
     ts_init         INTEGER NOT NULL
   );
   CREATE INDEX fills_execution ON fills (execution_id);

   CREATE TABLE journal (
     seq          INTEGER PRIMARY KEY AUTOINCREMENT,
     execution_id TEXT NOT NULL,
     type         TEXT NOT NULL,
     at_ms        INTEGER NOT NULL,
     entry_json   TEXT NOT NULL
   );
   CREATE INDEX journal_execution ON journal (execution_id, seq);`,
  `ALTER TABLE executions ADD COLUMN lease_owner TEXT;
   ALTER TABLE executions ADD COLUMN lease_expires_at INTEGER;`,
  `ALTER TABLE executions ADD COLUMN reference_price TEXT;
   CREATE TABLE controls (
     name       TEXT PRIMARY KEY,
     value_json TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE probes (
     id    INTEGER PRIMARY KEY CHECK (id = 1),
     at_ms INTEGER NOT NULL
   );`,
  // SQLite cannot change a CHECK constraint: the table is rebuilt (the documented twelve steps; the
  // store turns foreign keys off around migrations) to allow `scheduled`, with its start time.
  `CREATE TABLE executions_v4 (
     id               TEXT PRIMARY KEY,
     correlation_id   TEXT NOT NULL UNIQUE,
     symbol           TEXT NOT NULL,
     side             TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
     quantity         TEXT NOT NULL,
     urgency          TEXT NOT NULL CHECK (urgency IN ('LOW', 'MEDIUM', 'HIGH')),
     strategy         TEXT,
     status           TEXT NOT NULL CHECK (status IN ('scheduled', 'queued', 'running', 'filled', 'partially_filled', 'failed', 'cancelled')),
     intent_json      TEXT NOT NULL,
     result_json      TEXT,
     resumes          INTEGER NOT NULL DEFAULT 0,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     created_at       INTEGER NOT NULL,
     updated_at       INTEGER NOT NULL,
     lease_owner      TEXT,
     lease_expires_at INTEGER,
     reference_price  TEXT,
     not_before       INTEGER
   );
   INSERT INTO executions_v4 (id, correlation_id, symbol, side, quantity, urgency, strategy, status, intent_json,
     result_json, resumes, cancel_requested, created_at, updated_at, lease_owner, lease_expires_at, reference_price)
   SELECT id, correlation_id, symbol, side, quantity, urgency, strategy, status, intent_json, result_json, resumes,
     cancel_requested, created_at, updated_at, lease_owner, lease_expires_at, reference_price FROM executions;
   DROP TABLE executions;
   ALTER TABLE executions_v4 RENAME TO executions;
   CREATE INDEX executions_status ON executions (status, created_at);
   CREATE INDEX executions_symbol ON executions (symbol, created_at);
   CREATE INDEX executions_created ON executions (created_at);`,
]
