import { createSimulatedMarket, createVirtualClock } from '@acx/engine'
import { brokerPortContract } from '@acx/test-utils'
import { startHarness } from './support/harness.js'

brokerPortContract('Alpaca adapter on the fake Alpaca server', async () => {
  const h = await startHarness({
    market: {
      assets: { AAPL: { fractionable: true }, LOWP: { fractionable: false } },
      quotes: { AAPL: { bid: '190.00', ask: '190.04' }, LOWP: { bid: '5.00', ask: '5.01' } },
      positions: { AAPL: '100' },
      buyingPower: '100000',
    },
  })
  return {
    broker: h.broker,
    symbol: 'AAPL',
    wholeShareSymbol: 'LOWP',
    unknownSymbol: 'NOPE',
    loseNextSubmitResponse: () => h.server.inject({ method: 'POST', path: '/v2/orders' }, { kind: 'drop', process: true }),
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
    },
    close: () => h.close(),
  }
}, { venueControls: true })

brokerPortContract("the engine's simulated market", async () => {
  const clock = createVirtualClock()
  let loseNext = false
  const broker = createSimulatedMarket({
    clock,
    seed: 7,
    faults: {
      script: (call) => {
        if (call.method !== 'submitOrder' || !loseNext) return undefined
        loseNext = false
        return 'lost_response'
      },
    },
    symbols: {
      AAPL: { price: '190.02', spread: '0.04', position: '100', fractionable: true },
      LOWP: { price: '5.005', spread: '0.01', fractionable: false },
    },
  })
  return {
    broker,
    symbol: 'AAPL',
    wholeShareSymbol: 'LOWP',
    unknownSymbol: 'NOPE',
    loseNextSubmitResponse: () => {
      loseNext = true
    },
    ordersWithClientId: (id) => broker.orders().filter((o) => o.clientOrderId === id).length,
    sleep: (ms) => clock.sleep(ms),
    close: async () => {},
  }
})
