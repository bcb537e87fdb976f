import { afterAll, beforeAll } from 'vitest'
import { join } from 'node:path'
import { createDynamoStore } from '../src/persistence/dynamoStore.js'
import { createDynamoTable } from '../src/persistence/dynamoTable.js'
import { createSqliteStore } from '../src/persistence/sqliteStore.js'
import { FAKE_CREDENTIALS, LOCAL_REGION, startDynalite, type LocalServer } from './support/localAws.js'
import { storeContract } from './support/storeContract.js'
import { tempDir } from './support/testService.js'

storeContract('SQLite', async () => {
  const tmp = tempDir()
  const path = join(tmp.dir, 'acx.sqlite')
  return { open: () => createSqliteStore({ path }), cleanup: async () => tmp.cleanup() }
})

let dynalite: LocalServer
beforeAll(async () => {
  dynalite = await startDynalite()
})
afterAll(async () => {
  await dynalite?.stop()
})

let tables = 0
storeContract('DynamoDB (dynalite)', async () => {
  // a fresh table per test, through the same code path as `acx dynamodb create-table`
  const tableName = `acx-contract-${++tables}`
  const connection = { endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: FAKE_CREDENTIALS }
  await createDynamoTable({ tableName, ...connection })
  return { open: () => createDynamoStore({ tableName, ...connection }), cleanup: async () => {} }
})
