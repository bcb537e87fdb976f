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
import { Dec } from '../domain/dec.js'
import type { OrderIntent } from '../domain/orderIntent.js'
import type { UsableQuote } from '../domain/quote.js'
import type { StrategyName } from '../domain/strategyName.js'
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
}

export interface PlanContext {
  /** The quote the estimate includes the spread of (the arrival quote); none: ε = 0. */
  readonly quote: UsableQuote | null
  /** The lot slices are rounded to; default 1 share. */
  readonly lot?: Decimal
  /** Seconds until the session closes (less the close margin); null or undefined: no close to respect. */
  readonly secondsToClose?: number | null
}

/** A plan with what the Almgren–Chriss strategy runs from. */
export interface PlannedSchedule {
  readonly plan: ExecutionPlan
  /** AC/TWAP only: the kernel's schedule and the parameters it was planned with (horizon possibly cut). */
  readonly kernel?: { readonly schedule: KernelSchedule; readonly params: AcStrategyParams }
}

const kernelField = (e: unknown): string => {
  const { code, field } = (e ?? {}) as { code?: unknown; field?: unknown }
  if (code === 'AC_ETA_TILDE_NONPOSITIVE') return 'permanentImpact'
  return typeof field === 'string' ? field : 'parameters'
}

/**
 * The plan of an intent for a strategy. Almgren–Chriss and TWAP: the kernel's trajectory with ε = the
 * quote's half spread; when the session closes before T, the horizon is cut to the time left and the
 * schedule re-optimised for it (N slices over the shorter T, each slice's wait at most T/N).
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
  const whole = (horizonSeconds: number): PlannedSchedule => ({
    plan: {
      strategy,
      horizonSeconds,
      shortenedFromSeconds: null,
      kappa: null,
      expectedCostBps: null,
      expectedStdBps: null,
      slices: [{ index: 0, startSeconds: 0, fraction: 1, qty: intent.quantity }],
      halfSpreadBps: halfSpread * 1e4,
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
  const params: AcStrategyParams = cut
    ? {
        ...configured,
        totalTimeSeconds: left,
        sliceWaitSeconds: Math.min(configured.sliceWaitSeconds, left / configured.numSlices),
      }
    : configured
  let schedule: KernelSchedule
  try {
    const kernelParams = toKernelParams(params, {
      tradingDaySeconds: config.tradingDaySeconds,
      twap: strategy === 'twap',
      fixedCost: halfSpread,
    })
    schedule = fromKernelSchedule(core.trajectory(kernelParams), params)
  } catch (cause) {
    throw new EngineError(
      'ENGINE_KERNEL_FAILED',
      `Almgren–Chriss core failed (${kernelField(cause)}): ${(cause as Error).message}`,
      { cause },
    )
  }
  let rest = intent.quantity
  const slices = schedule.fractionOfRemaining.map((f, k): PlannedSlice => {
    const qty = k === schedule.fractionOfRemaining.length - 1 ? rest : planSliceQty(rest, f, lot)
    rest = rest.sub(qty)
    return {
      index: k,
      startSeconds: schedule.startSeconds[k] as number,
      fraction: schedule.sliceFractions[k] as number,
      qty,
    }
  })
  return {
    plan: {
      strategy,
      horizonSeconds: params.totalTimeSeconds,
      shortenedFromSeconds: cut ? configured.totalTimeSeconds : null,
      slices,
      kappa: schedule.kappa,
      expectedCostBps: schedule.expectedCostBps,
      expectedStdBps: schedule.expectedStdBps,
      halfSpreadBps: halfSpread * 1e4,
    },
    kernel: { schedule, params },
  }
}
