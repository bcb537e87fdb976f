import type { AcCoreApi } from '@acx/ac-core-wasm'
import type { Decimal } from 'decimal.js'
import { acParamsFor, type AcConfig, type AcStrategyParams } from '../config/acConfig.js'
import {
  fromKernelSchedule,
  halfSpreadFraction,
  planSliceQty,
  toKernelParams,
  type KernelSchedule,
} from '../config/kernelParams.js'
import { Dec, floorToLot } from '../domain/dec.js'
import {
  impactKernelParams,
  marketRate,
  participationOf,
  resolveMarketStats,
  type MarketStats,
} from '../config/impactModel.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import type { UsableQuote } from '../domain/quote.js'
import type { StrategyName } from '../domain/strategyName.js'
import type { ImpactModelName } from '../config/acConfig.js'
import { EngineError } from '../errors.js'

/** One slice of a plan. */
export interface PlannedSlice {
  readonly index: number
  /** Seconds from the start. */
  readonly startSeconds: number
  /** Fraction of the parent order. */
  readonly fraction: number
  /** Planned quantity if every slice fills (rounded down to the lot; the remainder in the last slice). */
  readonly qty: Decimal
}

/**
 * What an execution will do and what it is expected to cost: the same object for a preview and for the
 * execution itself, so for the same quote the two agree exactly.
 */
export interface ExecutionPlan {
  readonly strategy: StrategyName
  /**
   * How long the strategy takes, seconds: T for Almgren–Chriss and TWAP (cut short to end before the
   * close when the session ends sooner), the steps' waits for walk-the-book, 0 for a market order.
   */
  readonly horizonSeconds: number
  /** When the horizon was cut for the close: the configured T; null otherwise. */
  readonly shortenedFromSeconds: number | null
  readonly slices: readonly PlannedSlice[]
  /** κ per second (Almgren–Chriss and TWAP); null otherwise. */
  readonly kappa: number | null
  /** E in bps of arrival notional, the half spread ε of the quote included (AC and TWAP); null otherwise. */
  readonly expectedCostBps: number | null
  /** √V in bps of arrival notional (AC and TWAP); null otherwise. */
  readonly expectedStdBps: number | null
  /** ε of the estimate: half the quoted spread over the mid, bps; 0 without a quote. */
  readonly halfSpreadBps: number
  /** The σ and ADV the plan used and where they came from. */
  readonly marketStats: MarketStats
  /** The impact model the estimate follows (`AC_IMPACT_MODEL`). */
  readonly impactModel: ImpactModelName
  /** The order's size as a percentage of the ADV. */
  readonly orderPctAdv: number
  /**
   * Average participation over the horizon, (Q/T)/V̄ with V̄ = ADV/trading-day seconds; null for a market
   * order (an instant).
   */
  readonly participationRate: number | null
  /** Largest planned slice's participation, slice/(τ·V̄) (AC and TWAP); null otherwise. */
  readonly maxSliceParticipation: number | null
  /**
   * Which part of E is larger for this order (AC and TWAP): `spread` (the half spread ε paid on every
   * share) or `impact` (E − ε: temporary plus permanent). For tiny, fast orders the linear model's impact
   * is a sliver of the spread — on a real book the touch absorbs them — and `spread` says so; null
   * otherwise.
   */
  readonly dominantCost: 'spread' | 'impact' | null
  /** The participation cap's effect (AC and TWAP with `impact.maxParticipation` and a measured ADV); null when none applied. */
  readonly participationCap: ParticipationCapEffect | null
}

/** What the participation cap did to a plan. */
export interface ParticipationCapEffect {
  /** The cap, participation v/V̄ per slice. */
  readonly maxParticipation: number
  /** The most one slice may trade: cap·V̄·τ, rounded down to the lot. */
  readonly sliceCapQty: Decimal
  /** When the horizon was extended (τ kept, more slices): the horizon before, seconds; null otherwise. */
  readonly extendedFromSeconds: number | null
  /** Slices planned above the cap after the horizon reached its limit (the last takes what is left). */
  readonly slicesOverCap: number
}

export interface PlanContext {
  /** The quote the estimate includes the spread of (the arrival quote); none: ε = 0. */
  readonly quote: UsableQuote | null
  /** The lot slices are rounded to; default 1 share. */
  readonly lot?: Decimal
  /** Seconds until the session closes (less the close margin); null or undefined: no close to respect. */
  readonly secondsToClose?: number | null
  /** The symbol's σ and ADV; default: the configured overrides and defaults (`resolveMarketStats` without the venue). */
  readonly stats?: MarketStats
}

/** A plan with what the Almgren–Chriss strategy runs from. */
export interface PlannedSchedule {
  readonly plan: ExecutionPlan
  /**
   * AC/TWAP only: the kernel's schedule, the parameters it was planned with (horizon possibly cut or
   * extended, impact in kernel units) and the most one slice may trade (the participation cap), if any.
   */
  readonly kernel?: {
    readonly schedule: KernelSchedule
    readonly params: AcStrategyParams
    readonly sliceCapQty: Decimal | null
  }
}

const kernelField = (e: unknown): string => {
  const { code, field } = (e ?? {}) as { code?: unknown; field?: unknown }
  if (code === 'AC_ETA_TILDE_NONPOSITIVE') return 'permanentImpact'
  return typeof field === 'string' ? field : 'parameters'
}

/**
 * The plan of an intent for a strategy. Almgren–Chriss and TWAP: the kernel's trajectory with ε = the
 * quote's half spread and the impact model's parameters for this order (`impactKernelParams`); when the
 * session closes before T, the horizon is cut to the time left and the schedule re-optimised for it (N
 * slices over the shorter T, each slice's wait at most T/N).
 *
 * Participation cap (`impact.maxParticipation`, applied when the ADV was measured — venue or override —
 * never on the configured default): one slice may trade at most cap·V̄·τ shares. When the trajectory's
 * largest slice is above that, the horizon is extended by adding slices of the same τ (so κ, which
 * depends on τ, is unchanged and the first slice only shrinks as slices are added) up to the smallest
 * count that fits, within `impact.maxHorizonSeconds`, the close and 1,000 slices. What still does not
 * fit is spread over later slices (each slice clipped to the cap; the last takes what is left).
 */
export function planExecution(
  config: AcConfig,
  core: AcCoreApi,
  intent: OrderIntent,
  strategy: StrategyName,
  context: PlanContext,
): PlannedSchedule {
  const lot = context.lot ?? new Dec(1)
  const halfSpread = context.quote ? halfSpreadFraction(context.quote.spread, context.quote.mid) : 0
  const stats = context.stats ?? resolveMarketStats(config, intent.symbol, null)
  const tds = config.tradingDaySeconds
  const qty = intent.quantity
  const qtyN = qty.toNumber()
  const sizing = (horizonSeconds: number) => ({
    marketStats: stats,
    impactModel: config.impact.model,
    orderPctAdv: qty.div(stats.adv).mul(100).toNumber(),
    participationRate: participationOf(qtyN, horizonSeconds, stats.adv, tds),
  })
  const whole = (horizonSeconds: number): PlannedSchedule => ({
    plan: {
      strategy,
      horizonSeconds,
      shortenedFromSeconds: null,
      kappa: null,
      expectedCostBps: null,
      expectedStdBps: null,
      slices: [{ index: 0, startSeconds: 0, fraction: 1, qty }],
      halfSpreadBps: halfSpread * 1e4,
      ...sizing(horizonSeconds),
      maxSliceParticipation: null,
      dominantCost: null,
      participationCap: null,
    },
  })
  if (strategy === 'market') return whole(0)
  if (strategy === 'walk_the_book') {
    const { priceSteps, stepWaitSeconds } = config.walkTheBook
    return whole(priceSteps.length * stepWaitSeconds)
  }
  const configured = acParamsFor(config, intent.symbol)
  const left = context.secondsToClose
  const cut = left !== undefined && left !== null && left < configured.totalTimeSeconds
  const timed: AcStrategyParams = cut
    ? {
        ...configured,
        totalTimeSeconds: left,
        sliceWaitSeconds: Math.min(configured.sliceWaitSeconds, left / configured.numSlices),
      }
    : configured
  const kernelSchedule = (p: AcStrategyParams): KernelSchedule => {
    try {
      const kernelParams = toKernelParams(p, {
        tradingDaySeconds: tds,
        twap: strategy === 'twap',
        fixedCost: halfSpread,
      })
      return fromKernelSchedule(core.trajectory(kernelParams), p)
    } catch (cause) {
      throw new EngineError(
        'ENGINE_KERNEL_FAILED',
        `Almgren–Chriss core failed (${kernelField(cause)}): ${(cause as Error).message}`,
        { cause },
      )
    }
  }
  let params = impactKernelParams(timed, config.impact, stats, qty, tds)
  let schedule = kernelSchedule(params)

  const tau = params.totalTimeSeconds / params.numSlices
  const capP = config.impact.maxParticipation
  let sliceCapQty: Decimal | null = null
  let extendedFromSeconds: number | null = null
  if (capP !== null && stats.advSource !== 'default') {
    // cap·V̄·τ shares, at least one lot (a cap below a lot could never be met by any slice)
    const raw = new Dec(capP * marketRate(stats.adv, tds) * tau)
    sliceCapQty = Dec.max(floorToLot(raw.toDecimalPlaces(9, 4 /* ROUND_HALF_UP */), lot), lot)
    const capN = sliceCapQty.toNumber()
    const fits = (sc: KernelSchedule): boolean => Math.max(...sc.sliceFractions) * qtyN <= capN * (1 + 1e-12)
    if (!fits(schedule)) {
      const limitSeconds = Math.min(config.impact.maxHorizonSeconds, cut || left == null ? Infinity : left)
      const maxN = Math.min(1000, Math.floor(limitSeconds / tau + 1e-9))
      if (maxN > params.numSlices) {
        const withSlices = (n: number): AcStrategyParams => ({ ...params, numSlices: n, totalTimeSeconds: n * tau })
        // the largest slice shrinks as slices of the same τ are added: bisect for the fewest that fit
        let lo = params.numSlices + 1
        let hi = maxN
        while (lo < hi) {
          const mid = Math.floor((lo + hi) / 2)
          if (fits(kernelSchedule(withSlices(mid)))) hi = mid
          else lo = mid + 1
        }
        extendedFromSeconds = params.totalTimeSeconds
        params = withSlices(lo)
        schedule = kernelSchedule(params)
      }
    }
  }

  let rest = qty
  let slicesOverCap = 0
  let largest = new Dec(0)
  const last = schedule.fractionOfRemaining.length - 1
  const slices = schedule.fractionOfRemaining.map((f, k): PlannedSlice => {
    let sliceQty = k === last ? rest : planSliceQty(rest, f, lot)
    const clipped = sliceCapQty !== null && k !== last && sliceQty.gt(sliceCapQty)
    if (clipped) sliceQty = sliceCapQty as Decimal
    if (sliceCapQty !== null && sliceQty.gt(sliceCapQty)) slicesOverCap++
    if (sliceQty.gt(largest)) largest = sliceQty
    rest = rest.sub(sliceQty)
    return {
      index: k,
      startSeconds: schedule.startSeconds[k] as number,
      fraction: clipped ? sliceQty.div(qty).toNumber() : (schedule.sliceFractions[k] as number),
      qty: sliceQty,
    }
  })
  const halfSpreadBps = halfSpread * 1e4
  return {
    plan: {
      strategy,
      horizonSeconds: params.totalTimeSeconds,
      shortenedFromSeconds: cut ? configured.totalTimeSeconds : null,
      slices,
      kappa: schedule.kappa,
      expectedCostBps: schedule.expectedCostBps,
      expectedStdBps: schedule.expectedStdBps,
      halfSpreadBps,
      ...sizing(params.totalTimeSeconds),
      maxSliceParticipation: largest.toNumber() / (tau * marketRate(stats.adv, tds)),
      dominantCost: halfSpreadBps >= schedule.expectedCostBps - halfSpreadBps ? 'spread' : 'impact',
      participationCap:
        sliceCapQty === null || capP === null
          ? null
          : { maxParticipation: capP, sliceCapQty, extendedFromSeconds, slicesOverCap },
    },
    kernel: { schedule, params, sliceCapQty },
  }
}
