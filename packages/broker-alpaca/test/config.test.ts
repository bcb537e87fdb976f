import { describe, expect, it } from 'vitest'
import { alpacaOptionsFromEnv, createAlpacaBroker, isAlpacaError, type AlpacaBrokerOptions } from '../src/index.js'
import {
  ALPACA_DATA_URL,
  ALPACA_LIVE_STREAM_URL,
  ALPACA_LIVE_TRADING_URL,
  ALPACA_PAPER_STREAM_URL,
  ALPACA_PAPER_TRADING_URL,
  resolveAlpacaConfig,
} from '../src/config.js'

const KEYS = { keyId: 'PKTESTKEY123', secretKey: 'sEcReT/ValueThatMustNotLeak' }

const issuesOf = (opts: Partial<AlpacaBrokerOptions>): { path: string; message: string }[] => {
  try {
    resolveAlpacaConfig({ ...KEYS, ...opts } as AlpacaBrokerOptions)
  } catch (e) {
    if (isAlpacaError(e)) {
      expect(e.code).toBe('ALPACA_INVALID_CONFIG')
      expect(e.message).not.toContain(KEYS.secretKey)
      return [...e.issues]
    }
    throw e
  }
  return []
}
const paths = (opts: Partial<AlpacaBrokerOptions>): string[] => issuesOf(opts).map((i) => i.path)

describe('resolveAlpacaConfig', () => {
  it('defaults to paper trading, the iex feed and Alpaca limits', () => {
    const c = resolveAlpacaConfig(KEYS)
    expect(c).toMatchObject({
      paper: true,
      tradingBaseUrl: ALPACA_PAPER_TRADING_URL,
      dataBaseUrl: ALPACA_DATA_URL,
      streamUrl: ALPACA_PAPER_STREAM_URL,
      feed: 'iex',
      maxRequestsPerMinute: 200,
      timeoutMs: 10_000,
      preflight: true,
      tradeUpdates: true,
    })
  })

  it('uses the live hosts only when paper is false', () => {
    const c = resolveAlpacaConfig({ ...KEYS, paper: false })
    expect(c.tradingBaseUrl).toBe(ALPACA_LIVE_TRADING_URL)
    expect(c.streamUrl).toBe(ALPACA_LIVE_STREAM_URL)
  })

  it('refuses a live URL with paper on, and a paper URL with paper off', () => {
    expect(paths({ tradingBaseUrl: 'https://api.alpaca.markets' })).toEqual(['tradingBaseUrl', 'streamUrl'])
    expect(paths({ paper: false, tradingBaseUrl: 'https://paper-api.alpaca.markets' })).toContain('tradingBaseUrl')
    expect(paths({ paper: false, streamUrl: 'wss://paper-api.alpaca.markets/stream' })).toEqual(['streamUrl'])
  })

  it('accepts APCA_API_BASE_URL with a trailing /v2 and derives the stream URL from it', () => {
    const c = resolveAlpacaConfig({ ...KEYS, tradingBaseUrl: 'https://paper-api.alpaca.markets/v2/' })
    expect(c.tradingBaseUrl).toBe('https://paper-api.alpaca.markets')
    expect(c.streamUrl).toBe('wss://paper-api.alpaca.markets/stream')
    const local = resolveAlpacaConfig({ ...KEYS, tradingBaseUrl: 'http://127.0.0.1:4010' })
    expect(local.streamUrl).toBe('ws://127.0.0.1:4010/stream')
  })

  it('requires both keys, without echoing them', () => {
    expect(paths({ keyId: '' })).toEqual(['keyId'])
    expect(paths({ secretKey: undefined as unknown as string })).toEqual(['secretKey'])
    expect(paths({ secretKey: ' padded ' })).toEqual(['secretKey'])
    const msgs = issuesOf({ keyId: 'has space' })
      .map((i) => i.message)
      .join(' ')
    expect(msgs).not.toContain('has space')
  })

  it('rejects bad URLs: unparseable, wrong scheme, plain http off loopback, credentials or query', () => {
    expect(paths({ tradingBaseUrl: 'not a url' })).toContain('tradingBaseUrl')
    expect(paths({ dataBaseUrl: 'ftp://data.alpaca.markets' })).toEqual(['dataBaseUrl'])
    expect(paths({ dataBaseUrl: 'http://data.alpaca.markets' })).toEqual(['dataBaseUrl'])
    expect(paths({ streamUrl: 'https://paper-api.alpaca.markets/stream' })).toEqual(['streamUrl'])
    expect(paths({ tradingBaseUrl: 'https://u:p@paper-api.alpaca.markets' })).toContain('tradingBaseUrl')
    expect(paths({ dataBaseUrl: 'https://data.alpaca.markets?x=1' })).toEqual(['dataBaseUrl'])
    expect(paths({ dataBaseUrl: 'http://localhost:9999' })).toEqual([])
  })

  it.each([
    ['timeoutMs', 0],
    ['timeoutMs', -5],
    ['timeoutMs', Number.NaN],
    ['timeoutMs', Number.POSITIVE_INFINITY],
    ['maxRequestsPerMinute', 0],
    ['maxRequestsPerMinute', Number.NaN],
    ['maxRequestsPerMinute', Number.POSITIVE_INFINITY],
    ['pollIntervalMs', -1],
    ['pollIntervalMs', Number.NaN],
    ['burst', 2.5],
    ['assetCacheTtlMs', -1],
    ['marketClockMaxAgeMs', -1],
    ['marketClockMaxAgeMs', Number.NaN],
    ['marketClockMaxAgeMs', Number.POSITIVE_INFINITY],
    ['streamReconnectInitialMs', 0],
    ['streamReconnectMaxMs', Number.POSITIVE_INFINITY],
  ] as const)('rejects %s = %s', (path, value) => {
    expect(paths({ [path]: value })).toContain(path)
  })

  it('rejects inconsistent limits and unknown feeds', () => {
    expect(paths({ maxRequestsPerMinute: 10, burst: 10 })).toEqual(['burst'])
    expect(paths({ streamReconnectInitialMs: 100, streamReconnectMaxMs: 50 })).toEqual(['streamReconnectMaxMs'])
    expect(paths({ feed: 'nasdaq' as never })).toEqual(['feed'])
    expect(paths({ assetCacheTtlMs: 0 })).toEqual([])
    expect(paths({ marketClockMaxAgeMs: 0 })).toEqual([])
  })

  it.each(['maxRetries', 'retryBaseMs', 'retryMaxMs', 'submitMaxAttempts', 'outcomeLookups'])(
    'refuses the removed retry option %s (the engine retries), rather than ignoring it',
    (name) => {
      const issues = issuesOf({ [name]: 3 } as Partial<AlpacaBrokerOptions>)
      expect(issues.map((i) => i.path)).toEqual([name])
      expect(issues[0]?.message).toContain('one attempt per call')
    },
  )

  it('reports every problem at once', () => {
    expect(paths({ keyId: '', timeoutMs: 0, feed: 'x' as never, tradingBaseUrl: 'nope' })).toEqual([
      'keyId',
      'tradingBaseUrl',
      'feed',
      'timeoutMs',
    ])
  })

  it('never reads the environment', () => {
    process.env['APCA_API_KEY_ID'] = 'FROM_ENV'
    process.env['APCA_API_SECRET_KEY'] = 'FROM_ENV_SECRET'
    try {
      expect(paths({ keyId: '', secretKey: '' })).toEqual(['keyId', 'secretKey'])
    } finally {
      delete process.env['APCA_API_KEY_ID']
      delete process.env['APCA_API_SECRET_KEY']
    }
  })

  it('createAlpacaBroker validates before connecting, and its config omits the keys', async () => {
    expect(() => createAlpacaBroker({ ...KEYS, timeoutMs: -1 })).toThrow(/timeoutMs/)
    const broker = createAlpacaBroker({ ...KEYS, tradeUpdates: false })
    expect(JSON.stringify(broker.config)).not.toContain(KEYS.secretKey)
    expect(JSON.stringify(broker.config)).not.toContain(KEYS.keyId)
    await broker.close()
  })
})

describe('alpacaOptionsFromEnv', () => {
  it('maps the APCA_* variables of a record, paper by default', () => {
    const o = alpacaOptionsFromEnv({ APCA_API_KEY_ID: 'k', APCA_API_SECRET_KEY: 's', APCA_DATA_BASE_URL: '' })
    expect(o).toEqual({ keyId: 'k', secretKey: 's', paper: true })
    expect(resolveAlpacaConfig(o).tradingBaseUrl).toBe(ALPACA_PAPER_TRADING_URL)
  })

  it('goes live only when APCA_API_BASE_URL names the live host', () => {
    const live = alpacaOptionsFromEnv({
      APCA_API_KEY_ID: 'k',
      APCA_API_SECRET_KEY: 's',
      APCA_API_BASE_URL: 'https://api.alpaca.markets',
    })
    expect(live.paper).toBe(false)
    expect(resolveAlpacaConfig(live).streamUrl).toBe(ALPACA_LIVE_STREAM_URL)
    const paper = alpacaOptionsFromEnv({
      APCA_API_BASE_URL: 'https://paper-api.alpaca.markets/v2',
      APCA_DATA_BASE_URL: 'https://data.sandbox.alpaca.markets',
    })
    expect(paper).toMatchObject({ paper: true, dataBaseUrl: 'https://data.sandbox.alpaca.markets' })
  })

  it('leaves missing keys for resolveAlpacaConfig to report', () => {
    expect(paths(alpacaOptionsFromEnv({}))).toEqual(['keyId', 'secretKey'])
  })
})
