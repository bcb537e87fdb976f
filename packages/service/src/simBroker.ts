// The simulated market with its state in SQLite. Its own module so that only ACX_BROKER=sim loads the
// native SQLite driver (see runtime.ts); the Lambda bundle leaves it out.
import { createSimulatedMarket, type BrokerPort, type Clock } from '@acx/engine'
import { basename, dirname, extname, join } from 'node:path'
import type { ServiceConfig } from './config.js'
import { ServiceError } from './errors.js'
import { createSqliteSimVenueStore } from './persistence/sqliteSimVenueStore.js'

/**
 * The simulated market `npm start` runs on: symbols from ACX_SIM_SYMBOLS, time sped up by
 * ACX_SIM_TIME_SCALE, its orders, fills and positions kept across restarts in the SQLite file
 * ACX_SIM_STATE_PATH. Unset, that is named after ACX_DB_PATH (`./data/acx.sqlite` →
 * `./data/acx.sim-venue.sqlite`), so each store has its own venue and two services whose stores share
 * a directory never share one. `close` releases the file.
 */
export function createSimBroker(config: ServiceConfig, clock: Clock): BrokerPort & { close(): Promise<void> } {
  const db = config.ACX_DB_PATH
  const path =
    config.ACX_SIM_STATE_PATH ??
    (db === ':memory:' ? db : join(dirname(db), `${basename(db, extname(db))}.sim-venue.sqlite`))
  let store: ReturnType<typeof createSqliteSimVenueStore>
  try {
    store = createSqliteSimVenueStore({ path })
  } catch (err) {
    throw new ServiceError('SERVICE_STORE_UNAVAILABLE', `ACX_SIM_STATE_PATH=${path}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  try {
    const market = createSimulatedMarket({
      clock,
      seed: config.ACX_SIM_SEED,
      symbols: config.ACX_SIM_SYMBOLS,
      store,
      ...(config.ACX_SIM_SESSION ? { session: config.ACX_SIM_SESSION } : {}),
    })
    return Object.assign(market, { close: async () => store.close() })
  } catch (err) {
    store.close()
    throw err
  }
}
