import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb'
import { ServiceError } from '../errors.js'

/** How to reach DynamoDB: a ready client, or an endpoint/region to build one from. */
export interface DynamoConnection {
  /** A configured client; when given, `endpoint`, `region` and `credentials` are ignored and it is not destroyed on close. */
  readonly client?: DynamoDBClient
  /** A local server such as dynalite (`http://127.0.0.1:4567`); default: the region's AWS endpoint. */
  readonly endpoint?: string
  /** Default: the SDK's (AWS_REGION, then the shared config); `us-east-1` for a loopback endpoint. */
  readonly region?: string
  /** Default: the SDK's provider chain; placeholders for a loopback endpoint, which checks no signature. */
  readonly credentials?: DynamoDBClientConfig['credentials']
}

/** Global secondary indexes of the table (see the design in `dynamoStore.ts`). */
export const DYNAMO_INDEXES = {
  /** Every execution, by creation time: `listExecutions` without a symbol or status. */
  byCreated: { name: 'byCreated', pk: 'gsi1pk', sk: 'gsi1sk' },
  /** Executions of one symbol, by creation time. */
  bySymbol: { name: 'bySymbol', pk: 'gsi2pk', sk: 'gsi2sk' },
  /** Executions in one status, by creation time: status filters, `unfinished`, `orphaned`. */
  byStatus: { name: 'byStatus', pk: 'gsi3pk', sk: 'gsi3sk' },
} as const

/**
 * The table's TTL attribute: epoch seconds after which DynamoDB deletes the item. The store stamps it
 * on every execution, correlation guard, child order, fill and journal item it writes (its last write
 * plus ACX_RETENTION_DAYS); control and probe items never expire.
 */
export const DYNAMO_TTL_ATTRIBUTE = 'expires_at'

/** DynamoDB's rule for table names: 3–255 of `a-z A-Z 0-9 _ - .`. */
export function assertDynamoTableName(tableName: string): void {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
    throw new ServiceError(
      'SERVICE_STORE_UNAVAILABLE',
      `invalid DynamoDB table name ${JSON.stringify(tableName)}: use 3-255 of a-z A-Z 0-9 _ - .`,
    )
  }
}

const isLoopback = (endpoint: string): boolean => {
  try {
    const host = new URL(endpoint).hostname
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]'
  } catch {
    return false
  }
}

/** The client for `connection`, and whether the caller owns it (and so must destroy it). */
export function dynamoClientFor(connection: DynamoConnection): {
  readonly client: DynamoDBClient
  readonly owned: boolean
} {
  if (connection.client) return { client: connection.client, owned: false }
  const local = connection.endpoint !== undefined && isLoopback(connection.endpoint)
  const region = connection.region ?? (local ? 'us-east-1' : undefined)
  const credentials = connection.credentials ?? (local ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined)
  const config: DynamoDBClientConfig = {
    ...(connection.endpoint !== undefined ? { endpoint: connection.endpoint } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  }
  return { client: new DynamoDBClient(config), owned: true }
}

/**
 * The table the DynamoDB store needs: `pk`/`sk` strings, three GSIs projecting every attribute, and
 * on-demand billing. Point-in-time recovery and deletion protection are worth turning on in
 * production (not set here so the definition also works on local servers).
 */
export function dynamoTableDefinition(tableName: string): CreateTableCommandInput {
  assertDynamoTableName(tableName)
  const keys = ['pk', 'sk', ...Object.values(DYNAMO_INDEXES).flatMap((i) => [i.pk, i.sk])]
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keys.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: Object.values(DYNAMO_INDEXES).map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.pk, KeyType: 'HASH' },
        { AttributeName: i.sk, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  }
}

export interface CreateDynamoTableOptions extends DynamoConnection {
  readonly tableName: string
  /** How long to wait for the table to become ACTIVE; default 120 s. */
  readonly maxWaitSeconds?: number
}

/**
 * Creates the store's table and waits until it is ACTIVE. Idempotent: a table that exists already is
 * left as it is (`created: false`; its definition is not checked).
 */
export async function createDynamoTable(options: CreateDynamoTableOptions): Promise<{ readonly created: boolean }> {
  const { client, owned } = dynamoClientFor(options)
  try {
    let created = true
    try {
      await client.send(new CreateTableCommand(dynamoTableDefinition(options.tableName)))
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err
      created = false
    }
    await waitUntilTableExists(
      { client, maxWaitTime: options.maxWaitSeconds ?? 120, minDelay: 1, maxDelay: 5 },
      { TableName: options.tableName },
    )
    return { created }
  } finally {
    if (owned) client.destroy()
  }
}
