import type { Decimal } from 'decimal.js'
import type { AcConfig } from '../config/acConfig.js'
import { tradesAroundTheClock } from '../domain/tradingSession.js'
import { Dec, floorToLot } from '../domain/dec.js'
import type { VenueRefusalCode } from '../domain/executionResult.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import { isBrokerError, type BrokerPort } from '../ports/broker.js'

/** Why the venue cannot take an intent, with the code an execution would stop with. */
export interface VenueRefusal {
  readonly code: VenueRefusalCode
  readonly message: string
  readonly brokerCode?: string
}

export type VenueCheck =
  | {
      readonly ok: true
      readonly lot: Decimal
      /** The asset's own price step when the venue gives one (a crypto pair's); absent: the equity tick. */
      readonly priceIncrement?: Decimal
      /** A crypto asset (by the venue's class, else by the symbol): gtc/ioc orders, never day. */
      readonly aroundTheClock: boolean
      /** The smallest order the venue takes, when it says (a crypto pair's `min_order_size`). */
      readonly minOrderSize?: Decimal
    }
  | { readonly ok: false; readonly refusal: VenueRefusal }

/** How a check reaches the venue: directly (intake), or through an execution's retry policy. */
export type VenueCall = <T>(op: string, fn: () => Promise<T>) => Promise<T>

/**
 * What the venue must confirm before anything is sent: the asset exists and trades, the quantity is in
 * whole lots (the asset's own quantity step when the venue gives one, as for a crypto pair; else whole
 * shares unless the asset is fractionable and fractional trading is on) and at least the venue's minimum
 * order size when it has one, and a close is
 * covered by the position (`toClose`: on a resume, what earlier runs sold is already out of it). The same
 * checks at intake and at the start of an execution, with the same codes.
 */
export async function checkAtVenue(
  call: VenueCall,
  broker: BrokerPort,
  config: AcConfig,
  intent: OrderIntent,
  toClose: Decimal,
): Promise<VenueCheck> {
  const refuse = (code: VenueRefusal['code'], message: string, e?: unknown): VenueCheck => ({
    ok: false,
    refusal: isBrokerError(e) ? { code, message, brokerCode: e.code } : { code, message },
  })
  let asset
  try {
    asset = await call('getAsset', () => broker.getAsset(intent.symbol))
  } catch (e) {
    if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND')
      return refuse('asset_not_found', `unknown asset ${intent.symbol}`, e)
    return refuse('broker_error', `asset lookup failed: ${(e as Error).message}`, e)
  }
  if (!asset.tradable) return refuse('asset_not_tradable', `${intent.symbol} is not tradable`)
  const lot = asset.qtyIncrement ?? (asset.fractionable && config.fractionalTrading ? new Dec('1e-9') : new Dec(1))
  if (!floorToLot(intent.quantity, lot).eq(intent.quantity)) {
    const why = asset.qtyIncrement === undefined ? 'whole shares only' : `not a multiple of its step ${lot.toFixed()}`
    return refuse('fractional_not_allowed', `${intent.quantity.toFixed()} ${intent.symbol}: ${why}`)
  }
  const min = asset.minOrderSize
  if (min !== undefined && intent.quantity.lt(min))
    return refuse(
      'below_min_order_size',
      `${intent.quantity.toFixed()} ${intent.symbol}: below its minimum order size ${min.toFixed()}`,
    )
  const aroundTheClock =
    asset.assetClass === undefined ? tradesAroundTheClock(intent.symbol) : asset.assetClass === 'crypto'
  const ok = {
    ok: true as const,
    lot,
    aroundTheClock,
    ...(asset.priceIncrement === undefined ? {} : { priceIncrement: asset.priceIncrement }),
    ...(min === undefined ? {} : { minOrderSize: min }),
  }
  if (intent.closeType === 'NONE') return ok
  let held: Decimal
  try {
    held = (await call('getPosition', () => broker.getPosition(intent.symbol)))?.qty ?? new Dec(0)
  } catch (e) {
    return refuse('broker_error', `position lookup failed: ${(e as Error).message}`, e)
  }
  if (held.lt(toClose))
    return refuse(
      'insufficient_position',
      `closing ${toClose.toFixed()} ${intent.symbol} but holding ${held.toFixed()}`,
    )
  return ok
}
