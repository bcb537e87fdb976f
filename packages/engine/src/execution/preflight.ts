import { Dec, floorToLot } from '../domain/dec.js'
import { isBrokerError } from '../ports/broker.js'
import type { Execution } from './execution.js'

/**
 * What the venue must confirm before anything is sent: the asset exists and trades, the quantity is in
 * whole lots (whole shares unless the asset is fractionable and FRACTIONAL_TRADING is on), and a close is
 * covered by the position. Each failure stops the execution with its own code; nothing is sent.
 */
export async function preflight(ex: Execution): Promise<void> {
  const { intent, deps } = ex
  const brokerCode = (e: unknown) => (isBrokerError(e) ? e.code : undefined)
  const asset = await ex.venue
    .call('getAsset', () => deps.broker.getAsset(intent.symbol))
    .catch((e: unknown) => {
      if (isBrokerError(e) && e.code === 'BROKER_NOT_FOUND')
        ex.stop('asset_not_found', `unknown asset ${intent.symbol}`, e.code)
      return ex.stop('broker_error', `asset lookup failed: ${(e as Error).message}`, brokerCode(e))
    })
  if (!asset.tradable) ex.stop('asset_not_tradable', `${intent.symbol} is not tradable`)
  ex.setLot(asset.fractionable && deps.config.fractionalTrading ? new Dec('1e-9') : new Dec(1))
  if (!floorToLot(intent.quantity, ex.lot).eq(intent.quantity))
    ex.stop('fractional_not_allowed', `${intent.quantity} ${intent.symbol}: whole shares only`)
  if (intent.closeType === 'NONE') return
  const position = await ex.venue
    .call('getPosition', () => deps.broker.getPosition(intent.symbol))
    .catch((e: unknown) => ex.stop('broker_error', `position lookup failed: ${(e as Error).message}`, brokerCode(e)))
  const held = position?.qty ?? new Dec(0)
  const toClose = ex.remaining() // on a resume, what earlier runs sold is already out of the position
  if (held.lt(toClose)) ex.stop('insufficient_position', `closing ${toClose} ${intent.symbol} but holding ${held}`)
}
