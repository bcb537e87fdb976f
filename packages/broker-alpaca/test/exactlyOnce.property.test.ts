import { Dec, isBrokerError, type BrokerOrder, type ClientOrderId } from '@acx/engine'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FakeFault } from '@acx/test-utils'
import { startHarness, type Harness } from './support/harness.js'

const postFault: fc.Arbitrary<FakeFault> = fc.oneof(
  fc.constantFrom(500, 502, 503, 504).map((status): FakeFault => ({ kind: 'status', status })),
  fc.constantFrom(500, 503).map((status): FakeFault => ({ kind: 'status_after_process', status })),
  fc.boolean().map((process): FakeFault => ({ kind: 'drop', process })),
  fc.constantFrom('before' as const, 'never' as const).map((process): FakeFault => ({ kind: 'delay', ms: 150, process })),
  fc.boolean().map((process): FakeFault => ({ kind: 'garbage', process })),
)
const lookupFault: fc.Arbitrary<FakeFault> = fc.oneof(
  fc.constantFrom(500, 503).map((status): FakeFault => ({ kind: 'status', status })),
  fc.constant<FakeFault>({ kind: 'drop', process: false }),
)

describe('exactly once under random faults', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ broker: { timeoutMs: 100, maxRetries: 1, submitMaxAttempts: 2, outcomeLookups: 2, tradeUpdates: false } })
  })
  afterAll(async () => {
    await h.close()
  })

  it('never creates a second order; what submit (or the look-up after an unknown outcome) returns is the order at Alpaca', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.array(postFault, { maxLength: 3 }), fc.array(lookupFault, { maxLength: 2 }), async (posts, lookups) => {
        const clientOrderId = `prop-${n++}` as ClientOrderId
        h.server.clearFaults()
        for (const f of posts) h.server.inject({ method: 'POST', path: '/v2/orders' }, f)
        for (const f of lookups) h.server.inject({ method: 'GET', path: '/v2/orders:by_client_order_id' }, f)
        // The engine's behaviour: retry the same request while the error is retryable; after
        // BROKER_UNKNOWN_OUTCOME never send again, only look the order up by client order id.
        let result: BrokerOrder | undefined
        let unknown = false
        for (let attempt = 0; attempt < 6 && !result && !unknown; attempt++) {
          try {
            result = await h.broker.submitOrder({
              clientOrderId,
              symbol: 'AAPL',
              side: 'BUY',
              qty: new Dec(1),
              type: 'limit',
              limitPrice: new Dec('189.00'),
              timeInForce: 'day',
            })
          } catch (e) {
            if (isBrokerError(e) && e.code === 'BROKER_UNKNOWN_OUTCOME') unknown = true
            else if (!isBrokerError(e) || !e.retryable) throw e
          }
        }
        for (let i = 0; i < 5 && unknown && !result; i++) {
          result = (await h.broker.getOrderByClientId(clientOrderId).catch(() => null)) ?? undefined
        }
        const atAlpaca = h.server.orders().filter((o) => o['client_order_id'] === clientOrderId)
        expect(atAlpaca.length).toBeLessThanOrEqual(1)
        if (result) {
          expect(atAlpaca).toHaveLength(1)
          expect(result.id).toBe(atAlpaca[0]!['id'])
        } else {
          // Only an unknown outcome may end without an order, and only when there really is none.
          expect(unknown).toBe(true)
          expect(atAlpaca).toHaveLength(0)
        }
      }),
      { numRuns: 30 },
    )
  }, 30_000)
})
