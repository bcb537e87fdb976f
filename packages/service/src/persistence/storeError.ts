/** Why a store cannot be used. Not HTTP codes: the HTTP layer maps a store failure to 503 itself. */
export const STORE_ERRORS = {
  STORE_EMPTY_FILE: 'The database file exists but is empty (0 bytes): not an acx database',
  STORE_CORRUPT: 'The database file is corrupt or not a SQLite database',
  STORE_TOO_NEW: 'The database was written by a newer acx (unknown schema version)',
  STORE_READ_ONLY: 'The database cannot be written',
  STORE_LOCKED: 'The file is in use by another process',
  STORE_LEASE_LOST: 'Another worker holds the execution now',
  STORE_UNAVAILABLE: 'The store failed',
} as const

export type StoreErrorCode = keyof typeof STORE_ERRORS

export class StoreError extends Error {
  override readonly name = 'StoreError'
  constructor(
    readonly code: StoreErrorCode,
    message?: string,
    opts?: { cause?: unknown },
  ) {
    super(message ?? STORE_ERRORS[code], opts)
  }
}

export const isStoreError = (e: unknown): e is StoreError => e instanceof Error && e.name === 'StoreError'
