import type { Decimal } from 'decimal.js'
import type { BrokerOrderId, ClientOrderId, FillId } from './ids.js'

/** One execution against a child order (fields after nautilus `OrderFilled`). */
export interface Fill {
  readonly fillId: FillId
  readonly clientOrderId: ClientOrderId
  readonly brokerOrderId: BrokerOrderId
  /** > 0. */
  readonly qty: Decimal
  readonly price: Decimal
  readonly fee?: Decimal
  /** When the broker reports it happened (epoch ms); the engine's observation time if unknown. */
  readonly tsEvent: number
  /** When the engine learned of it (epoch ms, on the engine's clock). */
  readonly tsInit: number
}
