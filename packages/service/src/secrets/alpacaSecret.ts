// The Alpaca keys from AWS Secrets Manager: the deployment puts only the secret's ARN in the
// environment (ACX_ALPACA_SECRET_ARN), never the keys themselves.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { ServiceConfig } from '../config.js'
import { ServiceError } from '../errors.js'

/** The secret's value: a JSON object with the two keys, as `aws secretsmanager put-secret-value` stores it. */
export const ALPACA_SECRET_FIELDS = ['APCA_API_KEY_ID', 'APCA_API_SECRET_KEY'] as const

/** Where to read secrets: a client (tests), or an endpoint (a local server) and region. */
export interface SecretsConnection {
  readonly client?: Pick<SecretsManagerClient, 'send'>
  readonly endpoint?: string
  readonly region?: string
}

const fail = (message: string, cause?: unknown): ServiceError =>
  new ServiceError('SERVICE_CONFIG_INVALID', `ACX_ALPACA_SECRET_ARN: ${message}`, cause ? { cause } : {})

/**
 * Reads the Alpaca keys from the secret. Its value must be a JSON object with non-empty string fields
 * `APCA_API_KEY_ID` and `APCA_API_SECRET_KEY`; anything else is a `SERVICE_CONFIG_INVALID` naming
 * ACX_ALPACA_SECRET_ARN (values are never put in a message).
 */
export async function readAlpacaSecret(
  secretArn: string,
  connection: SecretsConnection = {},
): Promise<Record<(typeof ALPACA_SECRET_FIELDS)[number], string>> {
  const owned = connection.client
    ? undefined
    : new SecretsManagerClient({
        ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
        ...(connection.region ? { region: connection.region } : {}),
      })
  const client = connection.client ?? owned!
  let text: string | undefined
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString
  } catch (err) {
    throw fail(`cannot read the secret: ${(err as Error).name}: ${(err as Error).message}`, err)
  } finally {
    owned?.destroy()
  }
  if (text === undefined) throw fail('the secret has no string value (SecretString)')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw fail(`the secret is not JSON: store {"APCA_API_KEY_ID": "…", "APCA_API_SECRET_KEY": "…"}`, err)
  }
  const record = (value !== null && typeof value === 'object' ? value : {}) as Record<string, unknown>
  const missing = ALPACA_SECRET_FIELDS.filter((f) => typeof record[f] !== 'string' || record[f].trim() === '')
  if (missing.length > 0) throw fail(`the secret's JSON lacks ${missing.join(' and ')} (non-empty strings)`)
  return {
    APCA_API_KEY_ID: (record.APCA_API_KEY_ID as string).trim(),
    APCA_API_SECRET_KEY: (record.APCA_API_SECRET_KEY as string).trim(),
  }
}

/**
 * The configuration with the Alpaca keys filled in from ACX_ALPACA_SECRET_ARN when it is set (one read);
 * unchanged otherwise. Call once per process (a Lambda cold start, a service start).
 */
export async function resolveAlpacaKeys(
  config: ServiceConfig,
  connection: SecretsConnection = {},
): Promise<ServiceConfig> {
  if (config.ACX_ALPACA_SECRET_ARN === undefined) return config
  const keys = await readAlpacaSecret(config.ACX_ALPACA_SECRET_ARN, {
    ...(config.ACX_SECRETS_MANAGER_ENDPOINT ? { endpoint: config.ACX_SECRETS_MANAGER_ENDPOINT } : {}),
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
    ...connection,
  })
  return { ...config, ...keys }
}
