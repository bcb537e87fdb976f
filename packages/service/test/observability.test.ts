import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { BrokerError, createRealClock, createSimulatedMarket } from '@acx/engine'
import { createLogger, createMetrics, instrumentBroker } from '../src/index.js'

describe('instrumentBroker', () => {
  it('counts failed broker calls by broker error code and passes results and errors through', async () => {
    const metrics = createMetrics()
    const sim = createSimulatedMarket({
      clock: createRealClock(),
      seed: 1,
      symbols: { AAPL: { price: '190', spread: '0.02' } },
    })
    let calls = 0
    const broker = instrumentBroker(
      {
        ...sim,
        getQuote: async (symbol: string) => {
          calls++
          if (calls <= 2) throw new BrokerError('BROKER_RATE_LIMITED')
          if (calls === 3) throw new Error('socket hang up')
          return sim.getQuote(symbol)
        },
      },
      metrics,
    )
    await expect(broker.getQuote('AAPL')).rejects.toMatchObject({ code: 'BROKER_RATE_LIMITED' })
    await expect(broker.getQuote('AAPL')).rejects.toMatchObject({ code: 'BROKER_RATE_LIMITED' })
    await expect(broker.getQuote('AAPL')).rejects.toThrow('socket hang up')
    expect((await broker.getQuote('AAPL'))?.symbol).toBe('AAPL')
    expect((await broker.getAsset('AAPL')).tradable).toBe(true)
    const text = await metrics.registry.metrics()
    expect(text).toContain('acx_broker_errors_total{code="BROKER_RATE_LIMITED"} 2')
    expect(text).toContain('acx_broker_errors_total{code="UNKNOWN"} 1')
  })
})

describe('the service logger', () => {
  it('redacts keys, secrets, the API token and the Authorization header', () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const logger = createLogger('info', sink)
    logger.info(
      {
        req: { headers: { authorization: 'Bearer hunter2-token-0000', 'apca-api-secret-key': 'SECRETKEY1' } },
        config: {
          APCA_API_SECRET_KEY: 'SECRETKEY2',
          APCA_API_KEY_ID: 'PKKEYID3',
          ACX_API_TOKEN: 'tok-4444444444444444',
        },
        alpaca: { keyId: 'PKKEYID5', secretKey: 'SECRETKEY6' },
      },
      'configured',
    )
    const out = lines.join('')
    for (const secret of ['hunter2', 'SECRETKEY1', 'SECRETKEY2', 'PKKEYID3', 'tok-4444', 'PKKEYID5', 'SECRETKEY6']) {
      expect(out).not.toContain(secret)
    }
    expect(out).toContain('[redacted]')
    // times as everywhere else: ISO-8601 UTC with milliseconds
    expect(JSON.parse(out.split('\n')[0]!).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })
})
