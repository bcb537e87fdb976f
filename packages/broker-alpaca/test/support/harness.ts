import { Dec, createMemoryLogger, type BrokerOrder, type ClientOrderId, type MemoryLogger } from '@acx/engine'
import { createAlpacaBroker } from '../../src/alpacaBroker.js'
import type { AlpacaBroker, AlpacaBrokerOptions } from '../../src/index.js'
import { startFakeAlpaca, type FakeAlpacaOptions, type FakeAlpacaServer } from '@acx/test-utils'

export interface Harness {
  readonly server: FakeAlpacaServer
  readonly broker: AlpacaBroker
  readonly logger: MemoryLogger
  close(): Promise<void>
}

/** What the fake holds unless a test says otherwise; its market hours: open whenever asked. */
export const DEFAULT_MARKET: FakeAlpacaOptions = {
  assets: {
    AAPL: { tradable: true, fractionable: true },
    LOWP: { tradable: true, fractionable: false },
    HALT: { tradable: false, fractionable: false },
    'BTC/USD': {}, // a crypto pair: class crypto, fractionable
  },
  quotes: {
    AAPL: { bid: '190.00', ask: '190.04', bidSize: '3', askSize: '5' },
    LOWP: { bid: '0.5012', ask: '0.5020' },
    'BTC/USD': { bid: '60000.00', ask: '60010.00' },
  },
  positions: { AAPL: '100' },
  buyingPower: '100000',
}

/**
 * Small waits where they only pace the test (polls, stream reconnects, the token bucket), so the fault
 * paths run in milliseconds. The request timeout stays long: a local request never takes seconds, so no
 * test fails because the machine is busy; a test that needs a timeout makes the fake never answer and
 * sets its own `timeoutMs`.
 */
export const FAST: Partial<AlpacaBrokerOptions> = {
  timeoutMs: 5_000,
  pollIntervalMs: 20,
  streamReconnectInitialMs: 20,
  streamReconnectMaxMs: 200,
  maxRequestsPerMinute: 100_000,
  burst: 1_000,
}

/** The fake server plus the adapter pointed at it (real SDK, real HTTP and WebSocket). */
export async function startHarness(
  opts: { market?: FakeAlpacaOptions; broker?: Partial<AlpacaBrokerOptions> } = {},
): Promise<Harness> {
  const server = await startFakeAlpaca(opts.market ?? DEFAULT_MARKET)
  const logger = createMemoryLogger()
  const broker = createAlpacaBroker({
    keyId: server.keyId,
    secretKey: server.secretKey,
    paper: true,
    tradingBaseUrl: server.tradingBaseUrl,
    dataBaseUrl: server.dataBaseUrl,
    streamUrl: server.streamUrl,
    logger,
    ...FAST,
    ...opts.broker,
  })
  return {
    server,
    broker,
    logger,
    async close() {
      await broker.close()
      await server.close()
    },
  }
}

/** Resolves once `cond` holds (checked every 5 ms), or throws after `timeoutMs`. */
export async function eventually(cond: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A limit buy of AAPL below the fake's bid (189.90 by default): it rests until filled or cancelled. */
export const restingBuy = (
  x: Harness,
  clientOrderId: string,
  qty = '10',
  limitPrice = '189.90',
): Promise<BrokerOrder> =>
  x.broker.submitOrder({
    clientOrderId: clientOrderId as ClientOrderId,
    symbol: 'AAPL',
    side: 'BUY',
    qty: new Dec(qty),
    type: 'limit',
    limitPrice: new Dec(limitPrice),
    timeInForce: 'day',
  })
