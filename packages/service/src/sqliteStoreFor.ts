// The SQLite store for ACX_STORE=sqlite. Its own module so that only that setting loads the native
// SQLite driver (see runtime.ts); the Lambda bundle leaves it out.
import type { ServiceConfig } from './config.js'
import { isServiceError, ServiceError } from './errors.js'
import type { ExecutionStore } from './persistence/executionStore.js'
import { createSqliteStore } from './persistence/sqliteStore.js'

/** SQLite at ACX_DB_PATH; a store that cannot be used throws a `ServiceError` whose message starts with the setting. */
export function sqliteStoreFor(config: ServiceConfig): ExecutionStore {
  try {
    return createSqliteStore({ path: config.ACX_DB_PATH })
  } catch (err) {
    if (!isServiceError(err)) throw err
    throw new ServiceError(err.code, `ACX_DB_PATH=${config.ACX_DB_PATH}: ${err.message}`, { cause: err })
  }
}
