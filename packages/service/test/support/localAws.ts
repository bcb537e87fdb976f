import { createRequire } from 'node:module'
import { createServer, type AddressInfo } from 'node:net'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createSqsServer, type ISqsServerOptions } from 'local-aws-sqs'
import { SQSClient } from '@aws-sdk/client-sqs'
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb'

/** Placeholder credentials: the local servers check no signature. */
export const FAKE_CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' } as const
export const LOCAL_REGION = 'us-east-1'

export interface LocalServer {
  readonly endpoint: string
  readonly stop: () => Promise<void>
}

const require = createRequire(import.meta.url)
type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server
const dynalite = require('dynalite') as Dynalite

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    server.closeAllConnections()
    server.close((err) => (err ? reject(err) : resolve()))
  })

/** A free TCP port on 127.0.0.1 (for servers that must know their own port up front). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

/** dynalite in memory on 127.0.0.1, a random port; tables become ACTIVE at once. */
export async function startDynalite(): Promise<LocalServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => closeServer(server) }
}

export interface LocalSqs extends LocalServer {
  /** The URL of a queue created at start, by name. */
  readonly queueUrl: (name: string) => string
  /** A client for the server (fake credentials), destroyed by `stop`. */
  readonly client: SQSClient
}

/** local-aws-sqs (JSON protocol) on 127.0.0.1, a random port, with `queues` created. */
export async function startLocalSqs(queues: NonNullable<ISqsServerOptions['queues']>): Promise<LocalSqs> {
  const port = await freePort()
  const server = await createSqsServer({
    port,
    hostname: '127.0.0.1',
    queues,
    emulateQueueCreationLifecycle: false,
    emulateLazyQueues: false,
  })
  const endpoint = `http://127.0.0.1:${port}`
  const client = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: FAKE_CREDENTIALS })
  return {
    endpoint,
    client,
    queueUrl: (name) => `${endpoint}/123456789012/${name}`,
    stop: async () => {
      client.destroy()
      await closeServer(server)
    },
  }
}

export interface FakeSecretsManager extends LocalServer {
  /** GetSecretValue calls answered so far, by secret id. */
  readonly reads: () => readonly string[]
}

/**
 * A fake of AWS Secrets Manager's HTTP edge (JSON protocol, `secretsmanager.GetSecretValue` only) on
 * 127.0.0.1: the real SDK client talks to it. `secrets` maps a secret ARN to its string value; any other
 * id answers ResourceNotFoundException, as AWS does.
 */
export async function startFakeSecretsManager(secrets: Readonly<Record<string, string>>): Promise<FakeSecretsManager> {
  const reads: string[] = []
  const server = createHttpServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString('utf8')))
    req.on('end', () => {
      const answer = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
        res.end(JSON.stringify(payload))
      }
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue')
        return answer(400, { __type: 'UnknownOperationException', message: 'only GetSecretValue is faked' })
      const { SecretId } = JSON.parse(body) as { SecretId: string }
      reads.push(SecretId)
      const value = secrets[SecretId]
      if (value === undefined)
        return answer(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        })
      return answer(200, {
        ARN: SecretId,
        Name: SecretId.split(':').pop(),
        SecretString: value,
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1767225600,
      })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return { endpoint: `http://127.0.0.1:${port}`, reads: () => [...reads], stop: () => closeServer(server) }
}

/** Every item of a table on a local DynamoDB server, as the low-level client returns them. */
export async function scanTable(endpoint: string, table: string): Promise<Record<string, AttributeValue>[]> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: FAKE_CREDENTIALS })
  try {
    return (await client.send(new ScanCommand({ TableName: table }))).Items ?? []
  } finally {
    client.destroy()
  }
}
