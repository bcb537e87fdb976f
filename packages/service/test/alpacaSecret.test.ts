import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type ServiceConfig } from '../src/config.js'
import { readAlpacaSecret, resolveAlpacaKeys } from '../src/secrets/alpacaSecret.js'
import { startFakeSecretsManager, type FakeSecretsManager } from './support/localAws.js'

const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`
const KEYS = { APCA_API_KEY_ID: 'PKTESTKEY', APCA_API_SECRET_KEY: 'never-in-a-message' }

describe('the Alpaca keys from Secrets Manager', () => {
  let sm: FakeSecretsManager
  const connection = () => ({ endpoint: sm.endpoint, region: 'us-east-1' })
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'x'
    process.env.AWS_SECRET_ACCESS_KEY ??= 'x'
    sm = await startFakeSecretsManager({
      [arn('good')]: JSON.stringify(KEYS),
      [arn('text')]: 'PKTESTKEY:never-in-a-message',
      [arn('half')]: JSON.stringify({ APCA_API_KEY_ID: 'PKTESTKEY', APCA_API_SECRET_KEY: ' ' }),
    })
  })
  afterAll(() => sm.stop())

  it('reads both keys from the secret JSON', async () => {
    expect(await readAlpacaSecret(arn('good'), connection())).toEqual(KEYS)
  })

  it.each([
    ['text', /ACX_ALPACA_SECRET_ARN: the secret is not JSON/],
    ['half', /ACX_ALPACA_SECRET_ARN: the secret's JSON lacks APCA_API_SECRET_KEY/],
    ['missing', /ACX_ALPACA_SECRET_ARN: cannot read the secret: ResourceNotFoundException/],
  ])('refuses a %s secret with a typed error naming the setting, never the value', async (name, message) => {
    const err = await readAlpacaSecret(arn(name), connection()).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'ServiceError', code: 'SERVICE_CONFIG_INVALID', message })
    expect(String((err as Error).message)).not.toContain('never-in-a-message')
  })

  it('fills the keys into the configuration, reading the secret once', async () => {
    const loaded = loadConfig({
      ACX_BROKER: 'alpaca',
      ACX_ALPACA_SECRET_ARN: arn('good'),
      ACX_SECRETS_MANAGER_ENDPOINT: sm.endpoint,
      AWS_REGION: 'us-east-1',
    })
    expect(loaded.ok).toBe(true)
    const before = sm.reads().length
    const config = await resolveAlpacaKeys((loaded as { config: ServiceConfig }).config)
    expect([config.APCA_API_KEY_ID, config.APCA_API_SECRET_KEY]).toEqual([
      KEYS.APCA_API_KEY_ID,
      KEYS.APCA_API_SECRET_KEY,
    ])
    expect(sm.reads().length - before).toBe(1)
  })
})

describe('ACX_ALPACA_SECRET_ARN in the settings', () => {
  it('stands in for the keys when ACX_BROKER=alpaca', () => {
    expect(loadConfig({ ACX_BROKER: 'alpaca' })).toMatchObject({
      ok: false,
      problems: [
        { variable: 'APCA_API_KEY_ID', message: expect.stringContaining('ACX_ALPACA_SECRET_ARN') },
        { variable: 'APCA_API_SECRET_KEY', message: expect.stringContaining('ACX_ALPACA_SECRET_ARN') },
      ],
    })
    expect(loadConfig({ ACX_BROKER: 'alpaca', ACX_ALPACA_SECRET_ARN: arn('good') }).ok).toBe(true)
  })

  it('refuses keys in the environment beside the secret, and an ARN that is not one', () => {
    const r = loadConfig({ ACX_BROKER: 'alpaca', ACX_ALPACA_SECRET_ARN: arn('good'), APCA_API_SECRET_KEY: 'x' })
    expect(r).toMatchObject({ ok: false, problems: [{ variable: 'APCA_API_SECRET_KEY' }] })
    const bad = loadConfig({ ACX_ALPACA_SECRET_ARN: 'acx-dev/alpaca' })
    expect(bad).toMatchObject({ ok: false, problems: [{ variable: 'ACX_ALPACA_SECRET_ARN' }] })
  })
})
