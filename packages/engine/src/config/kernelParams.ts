import type { AcParams, Trajectory } from '@acx/ac-core-wasm'
import type { Decimal } from 'decimal.js'
import { floorToLot } from '../domain/dec.js'
import type { AcStrategyParams } from './acConfig.js'

/**
 * The one seam from configuration units to the kernel's. The kernel works in any consistent units; the
 * engine uses:
 *
 * - quantity as a fraction of the parent order, so X = `shares` = 1;
 * - price as a fraction of the arrival price, so costs come out as fractions of arrival notional
 *   (× 10⁴ = bps);
 * - time in seconds: T = AC_TOTAL_TIME_SECONDS, τ = T/N.
 *
 * Hence σ per √second = AC_VOLATILITY / √AC_TRADING_DAY_SECONDS (daily σ, Brownian scaling), η as given
 * (fraction of price per fraction-of-order-per-second), γ as given, λ as given (per unit of variance of
 * the fractional cost). With the defaults this gives κT ≈ 0.88 and a first slice of ≈ 23.5%.
 *
 * `twap` uses λ = 0 (the straight line). `fixedCost` is ε, e.g. the arrival half spread as a fraction
 * of the arrival mid; it changes E, not the trajectory.
 */
export function toKernelParams(
  params: AcStrategyParams,
  opts: { readonly tradingDaySeconds: number; readonly twap?: boolean; readonly fixedCost?: number },
): AcParams {
  return {
    shares: 1,
    horizon: params.totalTimeSeconds,
    slices: params.numSlices,
    volatility: params.volatility / Math.sqrt(opts.tradingDaySeconds),
    temporaryImpact: params.temporaryImpact,
    permanentImpact: params.permanentImpact,
    fixedCost: opts.fixedCost ?? 0,
    riskAversion: opts.twap ? 0 : params.riskAversion,
  }
}

/** A kernel schedule in the engine's terms: per slice, the fraction of what is then left to trade. */
export interface KernelSchedule {
  /** Fraction of the parent order to trade in slice k (sums to 1). */
  readonly sliceFractions: readonly number[]
  /**
   * Fraction of the quantity still held at t_k to trade in slice k: n_{k+1}/x_k. Because the AC
   * trajectory is time-consistent, re-planning a remainder R over the slices left gives exactly
   * R × this, so it is how the executor re-plans after a partial fill. The last is 1.
   */
  readonly fractionOfRemaining: readonly number[]
  /** Slice start times, seconds from the start: t_k = kτ. */
  readonly startSeconds: readonly number[]
  readonly kappa: number
  /** E in bps of arrival notional. */
  readonly expectedCostBps: number
  /** √V in bps of arrival notional. */
  readonly expectedStdBps: number
}

/** The other seam: kernel numbers back to the engine's schedule. */
export function fromKernelSchedule(t: Trajectory, params: AcStrategyParams): KernelSchedule {
  const n = t.trades.length
  const tau = params.totalTimeSeconds / n
  const sliceFractions: number[] = []
  const fractionOfRemaining: number[] = []
  const startSeconds: number[] = []
  for (let k = 0; k < n; k++) {
    const trade = t.trades[k] as number
    const held = t.holdings[k] as number
    sliceFractions.push(trade)
    fractionOfRemaining.push(k === n - 1 ? 1 : held > 0 ? Math.min(1, Math.max(0, trade / held)) : 1)
    startSeconds.push(k * tau)
  }
  return {
    sliceFractions,
    fractionOfRemaining,
    startSeconds,
    kappa: t.kappa,
    expectedCostBps: t.expectedCost * 1e4,
    expectedStdBps: Math.sqrt(t.variance) * 1e4,
  }
}

/** Half the spread as a fraction of the mid: ε for `toKernelParams`. */
export const halfSpreadFraction = (spread: Decimal, mid: Decimal): number =>
  mid.gt(0) ? spread.div(mid).div(2).toNumber() : 0

/**
 * A slice's quantity: `remaining × fraction`, rounded down to the lot. The product is first rounded to
 * 9 decimal places so that floating-point noise from the kernel (0.19999999999999998 of 1000) does not
 * cost a whole share.
 */
export const planSliceQty = (remaining: Decimal, fraction: number, lot: Decimal): Decimal =>
  floorToLot(remaining.mul(fraction).toDecimalPlaces(9, 4 /* ROUND_HALF_UP */), lot)
