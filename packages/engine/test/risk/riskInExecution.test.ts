import { describe, expect, it } from 'vitest'
import { BrokerError, type BrokerPort } from '../../src/ports/broker.js'
import { childOrdersFromJournal } from '../../src/ports/executionJournal.js'
import { aHarness, anIntent } from '../support/builders.js'

const riskEntries = (h: ReturnType<typeof aHarness>) => h.journal.entries.filter((e) => e.type === 'risk_check_failed')

describe('the risk gate in an execution', () => {
  it('refuses a parent over RISK_MAX_ORDER_QUANTITY before sending anything, and journals why', async () => {
    const h = aHarness({ config: { risk: { maxOrderQuantity: '999' } } })
    const r = await h.engine.execute(anIntent({ quantity: '1000' }))
    expect(r.error).toMatchObject({ code: 'risk_limit', riskCode: 'RISK_MAX_ORDER_QUANTITY' })
    expect(h.market.orders()).toHaveLength(0)
    expect(riskEntries(h)).toMatchObject([{ code: 'RISK_MAX_ORDER_QUANTITY' }])
    expect(
      h.logger.records.some((l) => l.msg === 'Risk check failed' && l.obj.risk_check === 'RISK_MAX_ORDER_QUANTITY'),
    ).toBe(true)
  })

  it('refuses a parent whose notional at the arrival mid is over RISK_MAX_ORDER_NOTIONAL', async () => {
    const h = aHarness({ config: { risk: { maxOrderNotional: '189999' } } }) // 1000 AAPL at 190
    const r = await h.engine.execute(anIntent({ quantity: '1000' }))
    expect(r.error?.riskCode).toBe('RISK_MAX_ORDER_NOTIONAL')
    expect(h.market.orders()).toHaveLength(0)
    const ok = aHarness({ config: { risk: { maxOrderNotional: '190100' } } })
    expect((await ok.engine.execute(anIntent({ quantity: '1000', urgency: 'HIGH' }))).success).toBe(true)
  })

  it('refuses blocked symbols, matched after upper-casing', async () => {
    const h = aHarness({ config: { risk: { blockedSymbols: ['msft', ' aapl'] } } })
    const r = await h.engine.execute(anIntent({ symbol: 'aapl', urgency: 'HIGH' }))
    expect(r.error).toMatchObject({ code: 'risk_limit', riskCode: 'RISK_BLOCKED_SYMBOLS' })
    expect(h.market.orders()).toHaveLength(0)
  })

  it('stops at the first child outside the price collar, after the earlier child is cancelled and confirmed', async () => {
    // bid 189.95, ask 190.05: walk-the-book step 0.5 is the mid, step 0.75 is 190.02 (≈ 1.05 bps away)
    const h = aHarness({
      config: { risk: { priceCollarBps: 1 } },
      market: { tradeProbability: 0, dailyVolatility: 0, symbols: { AAPL: { price: '190', spread: '0.10' } } },
    })
    const r = await h.engine.execute(anIntent({ urgency: 'LOW' }))
    expect(r.error).toMatchObject({ code: 'risk_limit', riskCode: 'RISK_PRICE_COLLAR_BPS' })
    expect(h.market.orders().map((o) => [o.limitPrice?.toFixed(), o.status])).toEqual([['190', 'canceled']])
    expect(riskEntries(h)).toMatchObject([{ code: 'RISK_PRICE_COLLAR_BPS', sliceIndex: 0 }])
  })

  it('stops a runaway once RISK_MAX_CHILD_ORDERS_PER_MINUTE child orders went out in a minute, across executions', async () => {
    const h = aHarness({
      config: { risk: { maxChildOrdersPerMinute: 3 } },
      market: { tradeProbability: 0, dailyVolatility: 0 },
    })
    // walk-the-book sends 3 limits and a market order within 30 s: the 4th is refused
    const r = await h.engine.execute(anIntent({ urgency: 'LOW' }))
    expect(r.error?.riskCode).toBe('RISK_MAX_CHILD_ORDERS_PER_MINUTE')
    expect(h.market.orders()).toHaveLength(3)
    // the window is the engine's, not the execution's: another execution at once is refused too
    const again = await h.engine.execute(anIntent({ urgency: 'HIGH' }))
    expect(again.error?.riskCode).toBe('RISK_MAX_CHILD_ORDERS_PER_MINUTE')
    await h.clock.advance(60_000)
    expect((await h.engine.execute(anIntent({ urgency: 'HIGH' }))).success).toBe(true)
  })

  it('sends nothing while halted (halted, status cancelled) and trades again after resume', async () => {
    const h = aHarness()
    h.engine.risk.halt('operator')
    const r = await h.engine.execute(anIntent({ urgency: 'HIGH' }))
    expect(r.error).toMatchObject({ code: 'halted', riskCode: 'RISK_HALTED' })
    const finished = h.journal.entries.find((e) => e.type === 'execution_finished')
    expect(finished?.type === 'execution_finished' && finished.status).toBe('cancelled')
    expect(h.market.orders()).toHaveLength(0)
    h.engine.risk.resume()
    expect((await h.engine.execute(anIntent({ urgency: 'HIGH' }))).success).toBe(true)
  })

  it('reports a halt signalled mid-execution as halted, with the open child cancelled and confirmed', async () => {
    const h = aHarness({ market: { tradeProbability: 0, dailyVolatility: 0 } })
    const controller = new AbortController()
    const run = h.engine.execute(anIntent(), { signal: controller.signal })
    await h.clock.advance(5_000) // the first AC slice is resting
    controller.abort('halt')
    const r = await run
    expect(r.error?.code).toBe('halted')
    expect(h.market.orders().every((o) => o.status === 'canceled' || o.status === 'filled')).toBe(true)
  })

  it('checks the intent at admission: quantity and notional at the current mid, sending nothing', async () => {
    const h = aHarness({ config: { risk: { maxOrderNotional: '100000' } } })
    const { parseOrderIntent } = await import('../../src/domain/orderIntent.js')
    const intent = (q: string) => {
      const p = parseOrderIntent(anIntent({ quantity: q }))
      if (!p.ok) throw new Error('bad intent')
      return p.value
    }
    const ok = await h.engine.assess(intent('100'))
    expect(ok.ok && ok.referencePrice?.toFixed()).toBe('190')
    const big = await h.engine.assess(intent('1000'))
    expect(!big.ok && big.refusal.code).toBe('RISK_MAX_ORDER_NOTIONAL')
    expect(h.market.orders()).toHaveLength(0)
  })
})

/** A venue that creates the order and then answers "unknown outcome"; look-ups miss `misses` times (asynchronous processing). */
function unknownOutcomeVenue(market: BrokerPort, misses: number): BrokerPort & { lookups: () => number } {
  let lookups = 0
  let first = true
  return {
    ...market,
    async submitOrder(req) {
      await market.submitOrder(req)
      if (first) {
        first = false
        throw new BrokerError(
          'BROKER_UNKNOWN_OUTCOME',
          'client_order_id must be unique, and the order is not visible yet',
        )
      }
      return market.submitOrder(req)
    },
    async getOrderByClientId(id) {
      lookups++
      return lookups <= misses ? null : market.getOrderByClientId(id)
    },
    lookups: () => lookups,
  }
}

describe('an unknown submit outcome', () => {
  it('is never taken as a rejection: the order is looked up until it shows, then worked as any other', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 } })
    const venue = unknownOutcomeVenue(h.market, 5)
    const { createEngine } = await import('../../src/engine.js')
    const { reference } = await import('@acx/ac-core-wasm')
    const engine = createEngine({
      broker: venue,
      clock: h.clock,
      config: h.config,
      journal: h.journal,
      core: reference,
    })
    const r = await engine.execute(anIntent({ urgency: 'HIGH' }))
    expect(r.success).toBe(true)
    expect(venue.lookups()).toBe(6)
    // one order at the venue for the one client order id, and exactly the parent's quantity filled
    expect(h.market.orders().map((o) => [o.clientOrderId, o.qty.toFixed(), o.status])).toEqual([
      [`${r.correlationId}-s0-a0`, '1000', 'filled'],
    ])
    expect(r.totalFilled.toFixed()).toBe('1000')
  })

  it('stays unknown when an attempt timed out and the resends were refused with 429s: never taken as a rejection', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 } })
    let submits = 0
    let lookups = 0
    const venue: BrokerPort = {
      ...h.market,
      async submitOrder(req) {
        submits++
        if (submits === 1) {
          await h.market.submitOrder(req) // created; the answer is lost
          throw new BrokerError('BROKER_TIMEOUT', 'no answer')
        }
        throw new BrokerError('BROKER_RATE_LIMITED', 'slow down', { retryAfterMs: 100 })
      },
      async getOrderByClientId(id) {
        lookups++
        return lookups <= 4 ? null : h.market.getOrderByClientId(id) // the venue shows it late
      },
    }
    const { createEngine } = await import('../../src/engine.js')
    const { reference } = await import('@acx/ac-core-wasm')
    const engine = createEngine({
      broker: venue,
      clock: h.clock,
      config: h.config,
      journal: h.journal,
      core: reference,
    })
    const r = await engine.execute(anIntent({ urgency: 'HIGH' }))
    expect(submits).toBe(4) // 1 + BROKER_MAX_RETRIES, every one with the same client order id
    expect(r.success).toBe(true)
    expect(h.market.orders()).toHaveLength(1)
    expect(r.totalFilled.toFixed()).toBe('1000')
  })

  it('stops the execution after UNKNOWN_OUTCOME_TIMEOUT_SECONDS, leaving the child submitted and re-planning nothing', async () => {
    const h = aHarness({
      config: { execution: { unknownOutcomeTimeoutSeconds: 5 } },
      market: { dailyVolatility: 0, tradeProbability: 0 },
    })
    const venue = unknownOutcomeVenue(h.market, Number.POSITIVE_INFINITY)
    const { createEngine } = await import('../../src/engine.js')
    const { reference } = await import('@acx/ac-core-wasm')
    const engine = createEngine({
      broker: venue,
      clock: h.clock,
      config: h.config,
      journal: h.journal,
      core: reference,
    })
    const r = await engine.execute(anIntent())
    expect(r.error).toMatchObject({ code: 'outcome_unknown', brokerCode: 'BROKER_UNKNOWN_OUTCOME' })
    const children = childOrdersFromJournal(h.journal.entries, r.executionId)
    expect(children.map((c) => c.status)).toEqual(['submitted'])
    expect(h.market.orders()).toHaveLength(1) // the first slice only: its quantity was never sent again
  })
})
