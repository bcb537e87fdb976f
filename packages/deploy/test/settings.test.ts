import { App } from 'aws-cdk-lib'
import { describe, expect, it } from 'vitest'
import { addEnvironmentStack } from '../src/app.js'
import { ENVIRONMENTS, type EnvironmentConfig } from '../src/environments.js'
import { checkSettings, type FunctionSettings } from '../src/settings.js'

/** Synthesizes `dev` with other settings (or stack knobs); resolves to the error it stops with. */
function synthWith(settings: FunctionSettings, knobs: Partial<EnvironmentConfig> = {}): unknown {
  const app = new App({ context: { env: 'dev' } })
  try {
    addEnvironmentStack(app, {
      dev: { ...ENVIRONMENTS.dev, ...knobs, settings: { ...ENVIRONMENTS.dev.settings, ...settings } },
    })
  } catch (err) {
    return err
  }
  return undefined
}

describe('synth-time checks of an environment', { timeout: 60_000 }, () => {
  it('refuses a run that cannot fit in Lambda’s 15 minutes, naming AC_TOTAL_TIME_SECONDS', () => {
    const err = synthWith({ AC_TOTAL_TIME_SECONDS: '850' })
    expect(err).toMatchObject({ name: 'DeployError', code: 'DEPLOY_EXECUTION_TOO_LONG' })
    expect((err as Error).message).toMatch(
      /almgren_chriss can take 910 s .*needs 950 s, more than Lambda's 900 s: shorten AC_TOTAL_TIME_SECONDS/,
    )
    // a per-symbol profile counts too: small_cap is 450 s where AC_TOTAL_TIME_SECONDS is not set
    const knobs = { batchSize: 1, timeoutMarginSeconds: 30, reservedConcurrency: 2 }
    const capped = { AC_MAX_HORIZON_SECONDS: '300', MARKET_ORDER_TIMEOUT_SECONDS: '400' }
    expect(checkSettings('t', capped, knobs).timeoutSeconds).toBe(300 + 30 + 400 + 40)
    expect(() => checkSettings('t', { ...capped, AC_SYMBOL_PROFILES: 'XYZ:small_cap' }, knobs)).toThrow(
      /almgren_chriss for XYZ can take 880 s/,
    )
    // the participation cap may stretch a horizon to AC_MAX_HORIZON_SECONDS (default 23,400 s): it counts
    expect(() => checkSettings('t', {}, knobs)).toThrow(/can take 23460 s .*AC_MAX_HORIZON_SECONDS/)
    expect(checkSettings('t', { AC_MAX_PARTICIPATION: 'off' }, knobs).timeoutSeconds).toBe(300 + 30 + 30 + 40)
  })

  it('refuses the order-fraction η and γ under the participation model, where they would change nothing', () => {
    const err = synthWith({ AC_TEMP_IMPACT: '0.001', AC_PERM_IMPACT: '0' })
    expect(err).toMatchObject({ name: 'DeployError', code: 'DEPLOY_INVALID_SETTINGS' })
    expect((err as Error).message).toContain('AC_TEMP_IMPACT: has no effect with AC_IMPACT_MODEL=participation')
    expect((err as Error).message).toContain('AC_PERM_IMPACT: has no effect')
    expect(synthWith({ AC_TEMP_IMPACT: '0.001', AC_IMPACT_MODEL: 'order_fraction' })).toBeUndefined()
  })

  it('refuses ACX_OUTSIDE_HOURS: on Lambda an intent for a closed market is always refused', () => {
    const err = synthWith({ ACX_OUTSIDE_HOURS: 'queue' } as FunctionSettings)
    expect((err as Error).message).toContain('ACX_OUTSIDE_HOURS: means nothing on Lambda')
  })

  it('refuses what the service would refuse at start, with its messages, every problem at once', () => {
    const err = synthWith({
      AC_RISK_AVERSION: '-1',
      ROUTE_MEDIUM: 'almgren_chriss:20,walk_the_boo:80',
      RISK_PRICE_COLLAR_BPS: 'wide',
    })
    expect(err).toMatchObject({ name: 'DeployError', code: 'DEPLOY_INVALID_SETTINGS' })
    const message = (err as Error).message
    expect(message).toMatch(/^environment dev: invalid settings:/)
    for (const variable of ['AC_RISK_AVERSION', 'ROUTE_MEDIUM', 'RISK_PRICE_COLLAR_BPS'])
      expect(message).toContain(`  ${variable}: `)
    expect(message).toContain('unknown strategy "walk_the_boo"')
  })

  it('refuses settings the stack owns (keys above all), unknown names, and ones meaningless on Lambda', () => {
    const err = synthWith({
      APCA_API_SECRET_KEY: 'a-secret-that-must-not-be-here',
      ACX_STORE: 'sqlite',
      AC_RISK_AVERSON: '0.5',
      ACX_PORT: '8080',
    } as FunctionSettings)
    const message = (err as Error).message
    expect(message).toContain(
      'APCA_API_SECRET_KEY: not settable per environment: keys go in the Secrets Manager secret',
    )
    expect(message).toContain('ACX_STORE: not settable per environment: the stack sets dynamodb')
    expect(message).toContain('AC_RISK_AVERSON: unknown setting')
    expect(message).toContain('ACX_PORT: means nothing on Lambda')
    expect(message).not.toContain('a-secret-that-must-not-be-here')
  })

  it('refuses a batch bigger than the executions one invocation runs at once', () => {
    expect(synthWith({ ACX_MAX_CONCURRENT_EXECUTIONS: '2' }, { batchSize: 4 })).toMatchObject({
      code: 'DEPLOY_INVALID_SETTINGS',
      message: expect.stringContaining('batchSize 4 is more than ACX_MAX_CONCURRENT_EXECUTIONS=2'),
    })
  })

  it('refuses a reserved concurrency below what the SQS event source polls with', () => {
    expect(synthWith({}, { reservedConcurrency: 1 })).toMatchObject({
      code: 'DEPLOY_INVALID_SETTINGS',
      message: expect.stringContaining('reservedConcurrency 1 must be at least 2'),
    })
  })

  it('needs -c env=NAME with a known name, and the bundle', () => {
    for (const env of [undefined, 'staging', '__proto__']) {
      const app = new App({ context: env === undefined ? {} : { env } })
      expect(() => addEnvironmentStack(app)).toThrow(/pass -c env=dev\|prod/)
    }
    const app = new App({ context: { env: 'dev' } })
    expect(() => addEnvironmentStack(app, ENVIRONMENTS, '/nonexistent')).toThrow(/run npm run bundle -w @acx\/service/)
  })
})
