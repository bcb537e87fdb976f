import { Dec } from '@acx/engine'
import type { Decimal } from 'decimal.js'

/**
 * Alpaca's buying-power rule, as its docs state it (https://docs.alpaca.markets/docs/orders-at-alpaca,
 * "Buying Power"): only orders "that open new positions or add to existing ones" need buying power — a
 * buy that covers a short and a sell that reduces a long need none; a short sale does. The order is
 * valued at:
 * - a buy: its limit price; a market buy: the far side of the quote (the ask, "Far side of the NBBO" while
 *   the core session is open) plus the market-order buffer below;
 * - a short sale: "MAX(order's limit price, 3% above the current ask price) * order quantity"; a market
 *   short: "3% above the current ask price * order quantity".
 *
 * The market-order buffer: "In the case of market buy orders, the limit price is 2.5% to 4% above the
 * current market price" (https://alpaca.markets/deprecated/docs/trading-on-alpaca/orders/, Buying Power),
 * in the bands Alpaca uses when it turns a buy stop into a stop limit: "4% higher than a stop price < $50
 * (or 2.5% higher than a stop price >= $50)" (https://docs.alpaca.markets/docs/orders-at-alpaca, Stop
 * Orders). Alpaca's support pages describe its market-order price collar with other figures over time, so
 * this is a preflight estimate: Alpaca's own answer (403 insufficient buying power) still decides.
 */
function marketBuyBuffer(ask: Decimal): Decimal {
  return ask.lt(50) ? MARKET_BUY_BUFFER_UNDER_50 : MARKET_BUY_BUFFER_FROM_50
}
const MARKET_BUY_BUFFER_UNDER_50 = new Dec('0.04')
const MARKET_BUY_BUFFER_FROM_50 = new Dec('0.025')
/** An opening short is valued at no less than 3% above the ask. */
const SHORT_SALE_ASK_MARKUP = new Dec('0.03')

export interface BuyingPowerRequest {
  readonly side: 'BUY' | 'SELL'
  readonly type: 'market' | 'limit'
  readonly qty: Decimal
  readonly limitPrice?: Decimal
  /** Signed position before the order (negative for a short; 0 when flat). */
  readonly positionQty: Decimal
  /** For a long: what is free to sell (not held for open sell orders). */
  readonly qtyAvailable: Decimal
}

/** How much of an order opens or adds to a position (and so needs buying power). */
export function openingQty(req: BuyingPowerRequest): Decimal {
  if (req.side === 'BUY') {
    const covering = Dec.max(0, req.positionQty.neg())
    return Dec.max(0, req.qty.sub(covering))
  }
  const sellable = req.positionQty.gt(0) ? Dec.max(0, req.qtyAvailable) : new Dec(0)
  return Dec.max(0, req.qty.sub(sellable))
}

export interface OpeningValuation {
  /** Price per share the opening part is valued at. */
  readonly price: Decimal
  /** How the price was found, for messages. */
  readonly basis: string
}

/**
 * The price Alpaca values the opening part at; undefined when it needs a quote and there is none (Alpaca
 * then checks alone). `ask`/`bid` are the latest quote's sides (0 when missing).
 */
export function openingPrice(
  req: BuyingPowerRequest,
  quote: { readonly ask: Decimal; readonly bid: Decimal } | null,
): OpeningValuation | undefined {
  if (req.side === 'BUY') {
    if (req.type === 'limit' && req.limitPrice !== undefined) return { price: req.limitPrice, basis: 'the limit price' }
    // The far side; the near side only as a lower bound when the quote has no ask.
    const far = quote?.ask.gt(0) ? quote.ask : quote?.bid.gt(0) ? quote.bid : undefined
    if (far === undefined) return undefined
    const buffer = marketBuyBuffer(far)
    return {
      price: far.mul(buffer.add(1)),
      basis: `the ${quote?.ask.gt(0) ? 'ask' : 'bid'} ${far.toFixed()} + Alpaca's ${buffer.mul(100).toFixed()}% market-order buffer`,
    }
  }
  const markedUp = quote?.ask.gt(0) ? quote.ask.mul(SHORT_SALE_ASK_MARKUP.add(1)) : undefined
  if (req.type === 'limit' && req.limitPrice !== undefined) {
    if (markedUp === undefined) return { price: req.limitPrice, basis: 'the limit price (no quote for the ask + 3%)' }
    return markedUp.gt(req.limitPrice)
      ? { price: markedUp, basis: `the ask ${quote?.ask.toFixed()} + 3% (above the limit price)` }
      : { price: req.limitPrice, basis: 'the limit price (at or above the ask + 3%)' }
  }
  return markedUp === undefined ? undefined : { price: markedUp, basis: `the ask ${quote?.ask.toFixed()} + 3%` }
}
