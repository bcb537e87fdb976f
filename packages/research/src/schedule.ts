import { loadAcCoreSync, type AcCoreApi } from '@acx/ac-core-wasm'
import {
  acParamsFor,
  createAcConfig,
  aggressionAt,
  createEngine,
  Dec,
  impactKernelParams,
  resolveMarketStats,
  createSimulatedMarket,
  createVirtualClock,
  fromKernelSchedule,
  toKernelParams,
  type AcConfigInput,
  type AcStrategyParams,
  type ImpactModelName,
  type ProfileName,
} from '@acx/engine'

export interface ScheduleOptions {
  /** The engine's configuration input (environment and flags already merged). */
  readonly config: AcConfigInput
  /** Picks a symbol profile; default `SIM`. */
  readonly symbol?: string
  /** Shares; default 1000. */
  readonly quantity: number
  /** Arrival mid, dollars; default 100. */
  readonly price: number
  /** Quoted spread, dollars; ε = spread/(2·price) enters E (default 0, as `engine.preview`). */
  readonly spread: number
  readonly strategy: 'almgren_chriss' | 'twap'
  readonly core?: AcCoreApi
}

interface ScheduleSlice {
  readonly index: number
  readonly startSeconds: number
  /** Shares still to trade when the slice starts (planned, every slice filling). */
  readonly holdingsBefore: number
  /** Fraction of the order still held at t_k (the model's x_k / X). */
  readonly holdingsFraction: number
  /** Shares the slice trades (whole shares, as the engine sizes it). */
  readonly tradeQty: number
  /** The model's n_{k+1} / X. */
  readonly tradeFraction: number
  /** Limit price as a fraction of the spread from the near side. */
  readonly aggression: number
}

export interface ScheduleReport {
  readonly strategy: 'almgren_chriss' | 'twap'
  readonly profile: ProfileName
  /** The kernel's parameters for this order (with the participation model, η and γ for its size). */
  readonly params: AcStrategyParams
  readonly impactModel: ImpactModelName
  /** The order as % of the ADV (AC_SYMBOL_ADV, else AC_DEFAULT_ADV). */
  readonly orderPctAdv: number
  readonly quantity: number
  readonly price: number
  readonly spread: number
  /** κ, per second. */
  readonly kappa: number
  readonly kappaT: number
  /** 1/κ in seconds: the time in which the optimal holdings fall by a factor e; null when κ = 0. */
  readonly decayTimeSeconds: number | null
  /** ln 2/κ in seconds: the time in which the optimal holdings halve; null when κ = 0. */
  readonly halfLifeSeconds: number | null
  readonly slices: readonly ScheduleSlice[]
  readonly expectedCostBps: number
  readonly expectedStdBps: number
  readonly expectedCostDollars: number
  readonly expectedStdDollars: number
}

/**
 * The schedule an order gets under an AC configuration: the kernel's trajectory through the engine's
 * own seams (`toKernelParams`, `fromKernelSchedule`) and the engine's `preview` for whole-share slice
 * quantities; E and √V for `quantity` shares at `price` (fractions of arrival notional × 10⁴ = bps,
 * × quantity × price = dollars).
 */
export function computeSchedule(o: ScheduleOptions): ScheduleReport {
  const config = createAcConfig(o.config)
  const symbol = o.symbol ?? 'SIM'
  // the impact model's kernel parameters for this order (participation: η and γ scale with Q/ADV)
  const stats = resolveMarketStats(config, symbol, null)
  const params = impactKernelParams(
    acParamsFor(config, symbol),
    config.impact,
    stats,
    new Dec(o.quantity),
    config.tradingDaySeconds,
  )
  const core = o.core ?? loadAcCoreSync()
  const fixedCost = o.price > 0 ? o.spread / (2 * o.price) : 0
  const twap = o.strategy === 'twap'
  const t = core.trajectory(toKernelParams(params, { tradingDaySeconds: config.tradingDaySeconds, twap, fixedCost }))
  const plan = fromKernelSchedule(t, params)
  const clock = createVirtualClock({ autoAdvance: false })
  const broker = createSimulatedMarket({ clock, seed: 0, symbols: {} })
  const preview = createEngine({ broker, clock, config, core }).plan({
    side: 'BUY',
    symbol,
    quantity: String(o.quantity),
    urgency: 'MEDIUM',
    correlationId: 'acx-schedule',
    strategy: o.strategy,
  })
  let held = o.quantity
  const slices = preview.slices.map((s, k): ScheduleSlice => {
    const qty = s.qty.toNumber()
    const slice = {
      index: k,
      startSeconds: plan.startSeconds[k] as number,
      holdingsBefore: held,
      holdingsFraction: t.holdings[k] as number,
      tradeQty: qty,
      tradeFraction: t.trades[k] as number,
      aggression: aggressionAt(k, preview.slices.length, params.startAggression, params.endAggression),
    }
    held -= qty
    return slice
  })
  const notional = o.quantity * o.price
  return {
    strategy: o.strategy,
    profile: params.profile,
    params,
    impactModel: config.impact.model,
    orderPctAdv: (o.quantity / stats.adv.toNumber()) * 100,
    quantity: o.quantity,
    price: o.price,
    spread: o.spread,
    kappa: t.kappa,
    kappaT: t.kappa * params.totalTimeSeconds,
    decayTimeSeconds: t.kappa > 0 ? 1 / t.kappa : null,
    halfLifeSeconds: t.kappa > 0 ? Math.LN2 / t.kappa : null,
    slices,
    expectedCostBps: plan.expectedCostBps,
    expectedStdBps: plan.expectedStdBps,
    expectedCostDollars: t.expectedCost * notional,
    expectedStdDollars: Math.sqrt(t.variance) * notional,
  }
}

const fmt = (x: number, digits = 6): string =>
  x === 0
    ? '0'
    : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e9
      ? String(Number(x.toPrecision(digits)))
      : x.toExponential(digits - 1)

/** Aligned columns, right-justified. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)))
  return [header, ...rows].map((r) => r.map((cell, c) => cell.padStart(widths[c] as number)).join('  ')).join('\n')
}

export function formatScheduleTable(r: ScheduleReport): string {
  const p = r.params
  const head = [
    `strategy ${r.strategy}, profile ${r.profile}: λ ${p.riskAversion}, σ ${p.volatility}/day, η ${fmt(p.temporaryImpact)}, γ ${fmt(p.permanentImpact)}, N ${p.numSlices}, T ${p.totalTimeSeconds} s, rest ${p.sliceWaitSeconds} s`,
    `order ${r.quantity} shares at $${r.price} (spread $${r.spread}), ${fmt(r.orderPctAdv, 4)}% of ADV; impact model ${r.impactModel}`,
    `κ ${fmt(r.kappa)} /s   κT ${fmt(r.kappaT)}   holdings halve every ln 2/κ = ${r.halfLifeSeconds === null ? '∞' : `${fmt(r.halfLifeSeconds)} s`} (1/κ = ${r.decayTimeSeconds === null ? '∞' : `${fmt(r.decayTimeSeconds)} s`})`,
    `expected cost ${fmt(r.expectedCostBps, 4)} bps ($${fmt(r.expectedCostDollars, 6)})   std dev ${fmt(r.expectedStdBps, 4)} bps ($${fmt(r.expectedStdDollars, 6)})`,
    '',
  ]
  const rows = r.slices.map((s) => [
    String(s.index),
    fmt(s.startSeconds),
    fmt(s.holdingsBefore),
    `${(s.holdingsFraction * 100).toFixed(2)}%`,
    fmt(s.tradeQty),
    `${(s.tradeFraction * 100).toFixed(2)}%`,
    s.aggression.toFixed(3),
  ])
  return `${head.join('\n')}${table(['slice', 'start_s', 'holdings', 'held_%', 'trade_qty', 'trade_%', 'aggression'], rows)}\n`
}
