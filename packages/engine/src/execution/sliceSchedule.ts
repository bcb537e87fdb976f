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
  ) {}

  get count(): number {
    return this.plan.fractionOfRemaining.length
  }

  /** When slice k starts, epoch ms on the execution clock. */
  startsAt(k: number): number {
    return this.startedAt + (this.plan.startSeconds[k] as number) * 1000
  }

  /** Slice k's quantity out of `left` (already whole lots), rounded down to the lot. */
  quantity(k: number, left: Decimal, lot: Decimal): Decimal {
    return k === this.count - 1 ? left : planSliceQty(left, this.plan.fractionOfRemaining[k] as number, lot)
  }
}
