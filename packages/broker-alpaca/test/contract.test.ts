import { createSimulatedMarket, createVirtualClock, type ScriptedFault } from '@acx/engine'
import { brokerPortContract, type ContractFault, type ContractOperation, type FakeFault } from '@acx/test-utils'
import { eventually, startHarness } from './support/harness.js'

/** Where each port method lands at Alpaca. */
const ROUTES: Readonly<Record<ContractOperation, { readonly method: string; readonly path: RegExp }>> = {
  submitOrder: { method: 'POST', path: /^\/v2\/orders$/ },
  getOrder: { method: 'GET', path: /^\/v2\/orders\/[^/]+$/ },
  getOrderByClientId: { method: 'GET', path: /^\/v2\/orders:by_client_order_id$/ },
  cancelOrder: { method: 'DELETE', path: /^\/v2\/orders\/[^/]+$/ },
  getQuote: { method: 'GET', path: /^\/v2\/stocks\/[^/]+\/quotes\/latest$/ },
  getPosition: { method: 'GET', path: /^\/v2\/positions\/[^/]+$/ },
  getAsset: { method: 'GET', path: /^\/v2\/assets\/[^/]+$/ },
  getMarketClock: { method: 'GET', path: /^\/v2\/clock$/ },
  getDailyStats: { method: 'GET', path: /^\/v2\/stocks\/[^/]+\/bars$/ },
}

/** Each contract fault as Alpaca answers it, nothing processed. */
const ALPACA_FAULTS: Readonly<Record<ContractFault, FakeFault>> = {
  unavailable: { kind: 'status', status: 503, body: { code: 50310000, message: 'service unavailable' } },
  // Never answered: the adapter's timeoutMs (1 s below) runs out, whatever the machine's load.
  timeout: { kind: 'delay', ms: 600_000, process: 'never' },
  // Alpaca's 429 with a short Retry-After, so the bucket's pause after it stays short.
  rate_limited: {
    kind: 'status',
    status: 429,
    body: { code: 42910000, message: 'rate limit exceeded' },
    headers: { 'retry-after': '0.05' },
  },
  rejected: { kind: 'status', status: 422, body: { code: 42210000, message: 'request refused (injected)' } },
}

/** AAPL's daily bars on the fake: 25 weekdays, closes around $190, volumes around 1 M. */
const AAPL_BARS = Array.from({ length: 25 }, (_, i) => ({
  close: Math.round(19_000 * Math.exp(0.012 * Math.sin(1.7 * i) + 0.004 * i)) / 100,
  volume: 1_000_000 + 137_000 * ((i * 7) % 5),
}))
/** What the adapter must make of them (lookback 20): mean volume and the sample σ of daily log returns. */
const AAPL_STATS = (() => {
  const last = AAPL_BARS.slice(-20)
  const r = last.slice(1).map((b, i) => Math.log(b.close / (last[i] as { close: number }).close))
  const m = r.reduce((a, x) => a + x, 0) / r.length
  return {
    adv: last.reduce((a, b) => a + b.volume, 0) / last.length,
    dailyVolatility: Math.sqrt(r.reduce((a, x) => a + (x - m) ** 2, 0) / (r.length - 1)),
  }
})()

brokerPortContract(
  'Alpaca adapter on the fake Alpaca server',
  async () => {
    const h = await startHarness({
      market: {
        assets: { AAPL: { fractionable: true }, LOWP: { fractionable: false }, 'BTC/USD': {} },
        quotes: {
          AAPL: { bid: '190.00', ask: '190.04' },
          LOWP: { bid: '5.00', ask: '5.01' },
          'BTC/USD': { bid: '60000.00', ask: '60010.00' },
        },
        positions: { AAPL: '100' },
        buyingPower: '100000',
        dailyBars: { AAPL: AAPL_BARS },
      },
      broker: { timeoutMs: 1_000 },
    })
    return {
      broker: h.broker,
      symbol: 'AAPL',
      wholeShareSymbol: 'LOWP',
      dailyStats: AAPL_STATS,
      unknownSymbol: 'NOPE',
      aroundTheClockSymbol: 'BTC/USD',
      now: () => Date.now(), // the fake's clock
      loseNextSubmitResponse: (how = 'no_answer') =>
        h.server.inject(
          { method: 'POST', path: '/v2/orders' },
          how === 'no_answer' ? { kind: 'drop', process: true } : { kind: 'garbage', process: true },
        ),
      failNext: (op, fault) => h.server.inject(ROUTES[op], ALPACA_FAULTS[fault]),
      callsReceived: (op) =>
        h.server.requests.filter((r) => r.method === ROUTES[op].method && ROUTES[op].path.test(r.path)).length,
      ordersWithClientId: (id) => h.server.orders().filter((o) => o['client_order_id'] === id).length,
      sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
      venue: {
        hideNewOrders: (reads) => void (h.server.knobs.unseenReads = reads),
        endOfDay: (status) => h.server.endOfDay(status),
        replace: (orderId, change) => h.server.replace(orderId, change),
        fill: (orderId, qty) => h.server.fill(orderId, qty),
        setStatus: (orderId, status) => h.server.setStatus(orderId, status),
        routeNextAs: (outcome) => h.server.routeNextAs(outcome),
        holdCancels: () => void (h.server.knobs.pendingCancelPolls = Number.POSITIVE_INFINITY),
        confirmCancel: (orderId) => h.server.confirmCancel(orderId),
        updatesFlowing: () =>
          eventually(() => h.broker.tradeUpdatesStatus() === 'live' && h.server.streamListeners() === 1),
        setBuyingPower: (value) => h.server.setBuyingPower(value),
        setMarketClock: (c) => h.server.setMarketHours({ kind: 'fixed', ...c }),
      },
      close: () => h.close(),
    }
  },
  { venueControls: true },
)

/** Each contract fault as the simulated market's scripted fault. */
const SIM_FAULTS: Readonly<Record<ContractFault, ScriptedFault>> = {
  unavailable: 'unavailable',
  timeout: 'timeout',
  rate_limited: 'rate_limited',
  rejected: 'reject',
}

brokerPortContract("the engine's simulated market", async () => {
  const clock = createVirtualClock()
  const next = new Map<ContractOperation, ScriptedFault>()
  const calls = new Map<ContractOperation, number>()
  let loseNext: ScriptedFault
  const broker = createSimulatedMarket({
    clock,
    seed: 7,
    faults: {
      script: (call) => {
        calls.set(call.method, (calls.get(call.method) ?? 0) + 1)
        const fault = next.get(call.method)
        if (fault !== undefined) {
          next.delete(call.method)
          return fault
        }
        if (call.method !== 'submitOrder' || loseNext === undefined) return undefined
        const lost = loseNext
        loseNext = undefined
        return lost
      },
    },
    symbols: {
      AAPL: {
        price: '190.02',
        spread: '0.04',
        position: '100',
        fractionable: true,
        adv: 2_000_000,
        dailyVolatility: 0.02,
      },
      LOWP: { price: '5.005', spread: '0.01', fractionable: false },
      'BTC/USD': { price: '60005', spread: '10', fractionable: true },
    },
    // No session: every symbol trades around the clock (the simulated market's default).
  })
  return {
    broker,
    symbol: 'AAPL',
    wholeShareSymbol: 'LOWP',
    dailyStats: { adv: 2_000_000, dailyVolatility: 0.02 },
    unknownSymbol: 'NOPE',
    aroundTheClockSymbol: 'BTC/USD',
    now: () => clock.now(),
    loseNextSubmitResponse: (how = 'no_answer') => {
      loseNext = how === 'no_answer' ? 'lost_response' : 'garbled_response'
    },
    failNext: (op, fault) => void next.set(op, SIM_FAULTS[fault]),
    callsReceived: (op) => calls.get(op) ?? 0,
    ordersWithClientId: (id) => broker.orders().filter((o) => o.clientOrderId === id).length,
    sleep: (ms) => clock.sleep(ms),
    close: async () => {},
  }
})
