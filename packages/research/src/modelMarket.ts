import {
  ALWAYS_OPEN,
  BrokerError,
  Dec,
  brokerOrderId,
  createPrng,
  seedFor,
  type BrokerOrder,
  type BrokerPort,
  type Clock,
  type Quote,
} from '@acx/engine'
import type { Decimal } from 'decimal.js'

/**
 * The Almgren–Chriss model as a market, in the engine's kernel units (quantities as fractions of the
 * parent order Q, prices as fractions of the arrival price S₀, time in seconds):
 *
 * - the mid follows arithmetic Brownian motion: S(t) = S₀·(1 + σ·W(t)) + S₀·γ·(signed fraction of Q
 *   traded so far), σ per √second = `dailyVolatility / √tradingDaySeconds`;
 * - the quote is S(t) ± S₀·ε, ε = `spread / (2·S₀)` (so the engine's ε, the arrival half spread over the
 *   mid, is the model's);
 * - every order is executed **in full, on arrival**, at S(t) ± S₀·(ε + η·(q/Q)/τ) (+ for a buy): the
 *   model's temporary impact of trading q in one interval τ. Limit prices are not enforced — the
 *   model has no order book; the point is to execute whatever the engine sends exactly as the model
 *   prices it.
 *
 * So with this broker the engine's `almgren_chriss` / `twap` execution (slice times t_k = kτ, slice
 * sizes from the kernel's schedule, whole shares) is the model's strategy, and the realised shortfall
 * has the model's mean E and variance V (up to the rounding of slices to whole shares).
 */
export interface ModelMarketOptions {
  readonly clock: Clock
  readonly seed: number
  readonly symbol: string
  /** Arrival mid S₀, dollars. */
  readonly price: number
  /** Quoted spread, dollars; ε = spread / (2·price). */
  readonly spread: number
  /** Daily volatility of returns (fraction). */
  readonly dailyVolatility: number
  /** Default 23,400. */
  readonly tradingDaySeconds?: number
  /** η: fraction of S₀ per (fraction of the order per second), as AC_TEMP_IMPACT. */
  readonly temporaryImpact: number
  /** γ: fraction of S₀ per fraction of the order, as AC_PERM_IMPACT. */
  readonly permanentImpact: number
  /** The parent order's quantity Q, shares (impact is per fraction of it). */
  readonly orderQuantity: number
  /** τ = T/N, seconds: the interval over which the model spreads each order. */
  readonly intervalSeconds: number
  /**
   * The symbol's average daily volume, shares: when given, `getDailyStats` answers it with the daily
   * volatility, so the engine plans with the market's own statistics (participation model).
   */
  readonly adv?: number
}

interface ModelOrder {
  order: BrokerOrder
}

export function createModelMarket(o: ModelMarketOptions): BrokerPort {
  const rng = createPrng(seedFor(o.seed, o.symbol))
  const sigma = o.dailyVolatility / Math.sqrt(o.tradingDaySeconds ?? 23_400)
  const eps = o.spread / (2 * o.price)
  let w = 0
  let wAt = o.clock.now()
  let traded = 0 // signed fraction of Q
  let position = 0
  const orders = new Map<string, ModelOrder>()
  const byClient = new Map<string, ModelOrder>()

  /** S(now)/S₀, advancing the Brownian path to now. */
  const mid = (): number => {
    const now = o.clock.now()
    if (now > wAt) {
      w += Math.sqrt((now - wAt) / 1000) * rng.normal()
      wAt = now
    }
    return 1 + sigma * w + o.permanentImpact * traded
  }
  const dollars = (fraction: number): Decimal => new Dec(o.price).mul(fraction)
  const known = (symbol: string): void => {
    if (symbol !== o.symbol) throw new BrokerError('BROKER_NOT_FOUND', `unknown symbol ${symbol}`)
  }

  return {
    async getQuote(symbol) {
      known(symbol)
      const m = mid()
      const quote: Quote = {
        symbol,
        bid: dollars(m - eps),
        ask: dollars(m + eps),
        bidSize: new Dec(1e9),
        askSize: new Dec(1e9),
        timestampMs: o.clock.now(),
      }
      return quote
    },
    async submitOrder(req) {
      known(req.symbol)
      const existing = byClient.get(req.clientOrderId)
      if (existing) return existing.order
      const q = req.qty.toNumber() / o.orderQuantity
      const sign = req.side === 'BUY' ? 1 : -1
      const px = mid() + sign * (eps + (o.temporaryImpact * q) / o.intervalSeconds)
      if (!(px > 0)) throw new BrokerError('BROKER_REJECTED', 'the model price is not positive')
      traded += sign * q
      position += sign * req.qty.toNumber()
      const now = o.clock.now()
      const order: BrokerOrder = {
        id: brokerOrderId(`model-${orders.size + 1}`),
        clientOrderId: req.clientOrderId,
        symbol: req.symbol,
        side: req.side,
        type: req.type,
        qty: req.qty,
        ...(req.limitPrice === undefined ? {} : { limitPrice: req.limitPrice }),
        status: 'filled',
        filledQty: req.qty,
        filledAvgPrice: dollars(px),
        submittedAtMs: now,
        updatedAtMs: now,
      }
      const entry = { order }
      orders.set(order.id, entry)
      byClient.set(order.clientOrderId, entry)
      return order
    },
    async getOrder(id) {
      const e = orders.get(id)
      if (!e) throw new BrokerError('BROKER_NOT_FOUND', `order ${id} not found`)
      return e.order
    },
    async getOrderByClientId(id) {
      return byClient.get(id)?.order ?? null
    },
    async cancelOrder(id) {
      if (!orders.has(id)) throw new BrokerError('BROKER_NOT_FOUND', `order ${id} not found`)
      throw new BrokerError('BROKER_REJECTED', `order ${id} is already filled`)
    },
    async getPosition(symbol) {
      known(symbol)
      return position === 0 ? null : { symbol, qty: new Dec(position), avgEntryPrice: new Dec(o.price) }
    },
    async getAsset(symbol) {
      known(symbol)
      return { symbol, tradable: true, fractionable: true }
    },

    async getMarketClock(symbol) {
      known(symbol)
      return ALWAYS_OPEN // the model market trades whenever asked
    },

    async getDailyStats(symbol) {
      known(symbol)
      return o.adv === undefined
        ? null
        : { symbol, adv: new Dec(o.adv), dailyVolatility: o.dailyVolatility, days: null }
    },
  }
}
