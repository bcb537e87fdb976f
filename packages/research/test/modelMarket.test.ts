import { describe, expect, it } from 'vitest'
import { Dec, clientOrderIdFor, createVirtualClock } from '@acx/engine'
import { createModelMarket } from '../src/modelMarket.js'

const setup = (dailyVolatility = 0) => {
  const clock = createVirtualClock({ autoAdvance: false })
  const market = createModelMarket({
    clock,
    seed: 1,
    symbol: 'SIM',
    price: 50,
    spread: 0.01,
    dailyVolatility,
    temporaryImpact: 0.1,
    permanentImpact: 0.0005,
    orderQuantity: 100_000,
    intervalSeconds: 60,
  })
  return { clock, market }
}
const order = (k: number, qty: number, side: 'BUY' | 'SELL' = 'BUY') => ({
  clientOrderId: clientOrderIdFor('m', k, 0),
  symbol: 'SIM',
  side,
  qty: new Dec(qty),
  type: 'market' as const,
  timeInForce: 'day' as const,
})

describe('createModelMarket', () => {
  it('quotes the mid ± the half spread and fills in full at S(t) ± S₀(ε + η·(q/Q)/τ), moving the mid by γ·q/Q', async () => {
    const { market } = setup()
    const q = await market.getQuote('SIM')
    expect(q!.bid.toNumber()).toBeCloseTo(49.995, 12)
    expect(q!.ask.toNumber()).toBeCloseTo(50.005, 12)
    const o = await market.submitOrder(order(0, 20_000))
    expect(o.status).toBe('filled')
    expect(o.filledQty.toNumber()).toBe(20_000)
    // ε = 1e-4, η·(0.2)/60 = 3.333e-4: 50·(1 + 4.333e-4)
    expect(o.filledAvgPrice!.toNumber()).toBeCloseTo(50 * (1 + 1e-4 + (0.1 * 0.2) / 60), 10)
    const after = await market.getQuote('SIM')
    expect(after!.bid.add(after!.ask).div(2).toNumber()).toBeCloseTo(50 * (1 + 0.0005 * 0.2), 10)
    const sell = await market.submitOrder(order(1, 20_000, 'SELL'))
    expect(sell.filledAvgPrice!.toNumber()).toBeCloseTo(50 * (1 + 0.0005 * 0.2 - 1e-4 - (0.1 * 0.2) / 60), 10)
  })

  it('is idempotent on the client order id and refuses to cancel a filled order', async () => {
    const { market } = setup()
    const a = await market.submitOrder(order(0, 100))
    const b = await market.submitOrder(order(0, 100))
    expect(b).toEqual(a)
    await expect(market.cancelOrder(a.id)).rejects.toMatchObject({ code: 'BROKER_REJECTED' })
    expect(await market.getOrderByClientId(a.clientOrderId)).toEqual(a)
    expect((await market.getPosition('SIM'))!.qty.toNumber()).toBe(100)
  })

  it('moves the mid as arithmetic Brownian motion with the per-second volatility, deterministic by seed', async () => {
    const mids: number[] = []
    for (let run = 0; run < 2; run++) {
      const { clock, market } = setup(0.02)
      await clock.advance(60_000)
      const q = await market.getQuote('SIM')
      mids.push(q!.bid.add(q!.ask).div(2).toNumber())
    }
    expect(mids[0]).toBe(mids[1])
    expect(mids[0]).not.toBe(50)
    expect(Math.abs(mids[0]! / 50 - 1)).toBeLessThan(6 * 0.02 * Math.sqrt(60 / 23_400))
  })
})
