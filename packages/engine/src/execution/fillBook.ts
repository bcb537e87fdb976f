import type { Decimal } from 'decimal.js'
import { ZERO } from '../domain/dec.js'
import type { ChildOrder } from '../domain/childOrder.js'
import type { Fill } from '../domain/fill.js'
import type { FillId } from '../domain/ids.js'
import { EngineError } from '../errors.js'

/**
 * Every fill of one execution, by id, against the parent quantity: the totals the result reports and
 * the remainder strategies size child orders from. A fill id already booked is refused here, before
 * any child order changes state; a fill that would take the total past the parent is refused too.
 */
export class FillBook {
  private readonly booked: Fill[] = []
  private readonly ids = new Set<FillId>()
  private filled: Decimal = ZERO
  private notional: Decimal = ZERO

  constructor(private readonly parentQty: Decimal) {}

  /** The fills of a child order from an earlier run (a resume): counted, their ids remembered. */
  adopt(child: ChildOrder): void {
    this.filled = this.filled.add(child.filledQty)
    this.notional = this.notional.add(child.filledQty.mul(child.avgPx))
    for (const id of child.fillIds) this.ids.add(id)
  }

  has(id: FillId): boolean {
    return this.ids.has(id)
  }

  /** Throws `ENGINE_DUPLICATE_FILL` for a known id and `ENGINE_OVERFILL` past the parent quantity. */
  book(fill: Fill): void {
    if (this.ids.has(fill.fillId)) throw new EngineError('ENGINE_DUPLICATE_FILL', `fill ${fill.fillId} already booked`)
    const total = this.filled.add(fill.qty)
    if (total.gt(this.parentQty)) {
      throw new EngineError(
        'ENGINE_OVERFILL',
        `fill ${fill.fillId} takes the execution to ${total.toFixed()} of ${this.parentQty.toFixed()}`,
      )
    }
    this.ids.add(fill.fillId)
    this.booked.push(fill)
    this.filled = total
    this.notional = this.notional.add(fill.qty.mul(fill.price))
  }

  get totalFilled(): Decimal {
    return this.filled
  }

  /** Parent quantity not yet filled. */
  remaining(): Decimal {
    return this.parentQty.sub(this.filled)
  }

  /** Volume-weighted average price; zero while nothing is filled. */
  avgPrice(): Decimal {
    return this.filled.gt(0) ? this.notional.div(this.filled) : ZERO
  }

  /** This run's fills, in the order they were booked. */
  fills(): readonly Fill[] {
    return this.booked
  }
}
