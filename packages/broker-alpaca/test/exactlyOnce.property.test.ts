import { Dec, type ClientOrderId } from '@acx/engine'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FakeFault } from '@acx/test-utils'
import { submitAsTheEngine } from './support/engineProtocol.js'
import { startHarness, type Harness } from './support/harness.js'

// Every outcome class of a failed POST, none of them timed: no answer (processed or not), a 5xx before or
// after processing, an unreadable answer (processed or not). A timeout is "no answer" to the adapter too;
// exactlyOnce.test.ts covers it with a request that is never answered.
const postFault: fc.Arbitrary<FakeFault> = fc.oneof(
  fc.constantFrom(500, 502, 503, 504).map((status): FakeFault => ({ kind: 'status', status })),
  fc.constantFrom(500, 503).map((status): FakeFault => ({ kind: 'status_after_process', status })),
  fc.boolean().map((process): FakeFault => ({ kind: 'drop', process })),
  fc.boolean().map((process): FakeFault => ({ kind: 'garbage', process })),
)
const lookupFault: fc.Arbitrary<FakeFault> = fc.oneof(
  fc.constantFrom(500, 503).map((status): FakeFault => ({ kind: 'status', status })),
  fc.constant<FakeFault>({ kind: 'drop', process: false }),
)

describe('exactly once under random faults, with the engine retrying', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ broker: { tradeUpdates: false } })
  })
  afterAll(async () => {
    await h.close()
  })

  it('never creates a second order; the order the engine ends with is the one at Alpaca; each submit call sends one POST', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(postFault, { maxLength: 3 }),
        fc.array(lookupFault, { maxLength: 2 }),
        fc.integer({ min: 0, max: 2 }),
        async (posts, lookups, unseenReads) => {
          const clientOrderId = `prop-${n++}` as ClientOrderId
          h.server.clearFaults()
          h.server.knobs.unseenReads = unseenReads // Alpaca's asynchronous processing window
          for (const f of posts) h.server.inject({ method: 'POST', path: '/v2/orders' }, f)
          for (const f of lookups) h.server.inject({ method: 'GET', path: '/v2/orders:by_client_order_id' }, f)
          const postsBefore = h.server.count('POST', '/v2/orders')
          const r = await submitAsTheEngine(
            h.broker,
            {
              clientOrderId,
              symbol: 'AAPL',
              side: 'BUY',
              qty: new Dec(1),
              type: 'limit',
              limitPrice: new Dec('189.00'),
              timeInForce: 'day',
            },
            { retries: 3, lookups: 8 },
          )
          expect(h.server.count('POST', '/v2/orders') - postsBefore).toBe(r.submits)
          expect(r.refused, 'a failure that may have created the order must never read as a refusal').toBeUndefined()
          const atAlpaca = h.server.orders().filter((o) => o['client_order_id'] === clientOrderId)
          expect(atAlpaca.length).toBeLessThanOrEqual(1)
          if (r.order) {
            expect(atAlpaca).toHaveLength(1)
            expect(r.order.id).toBe(atAlpaca[0]!['id'])
          } else {
            // Only an unknown outcome may end without an order, and only when there really is none.
            expect(r.unknown).toBeDefined()
            expect(atAlpaca).toHaveLength(0)
          }
        },
      ),
      { numRuns: 40 },
    )
  }, 30_000)
})
