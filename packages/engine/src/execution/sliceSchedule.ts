import type { Decimal } from 'decimal.js'
import { planSliceQty, type KernelSchedule } from '../config/kernelParams.js'

/**
 * An Almgren–Chriss (or TWAP) schedule on an execution's clock: slice k starts at `startedAt + t_k`
 * and takes the schedule's fraction of what is left then — which is exactly re-planning the remainder
 * over the remaining slices, the trajectory being time-consistent. The last slice takes everything left.
 */
export class SliceSchedule {
  constructor(
    private readonly plan: KernelSchedule,
    private readonly startedAt: number,
    /** The participation cap: no slice but the last trades more (what it leaves is re-planned into later slices). */
    private readonly sliceCapQty: Decimal | null = null,
  ) {}

  get count(): number {
    return this.plan.fractionOfRemaining.length
  }

  /** When slice k starts, epoch ms on the execution clock. */
  startsAt(k: number): number {
    return this.startedAt + (this.plan.startSeconds[k] as number) * 1000
  }

  /** Slice k's quantity out of `left` (already whole lots), rounded down to the lot, at most the cap but for the last. */
  quantity(k: number, left: Decimal, lot: Decimal): Decimal {
    if (k === this.count - 1) return left
    const qty = planSliceQty(left, this.plan.fractionOfRemaining[k] as number, lot)
    return this.sliceCapQty !== null && qty.gt(this.sliceCapQty) ? this.sliceCapQty : qty
  }
}
