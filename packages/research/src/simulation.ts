import { loadAcCoreSync, type AcCoreApi } from '@acx/ac-core-wasm'
import {
  UNLIMITED_RISK,
  createAcConfig,
  acParamsFor,
  createEngine,
  Dec,
  impactKernelParams,
  createSimulatedMarket,
  createVirtualClock,
  seedFor,
  type AcConfig,
  type BrokerPort,
  type AcConfigInput,
  type Side,
  type StrategyName,
} from '@acx/engine'
import { createModelMarket } from './modelMarket.js'
import type { WorkerPool } from './workerPool.js'

/** Which market the executions run against. */
export type MarketKind = 'engine' | 'model'
export const MARKET_KINDS: readonly MarketKind[] = ['engine', 'model']

/** The symbol simulations trade. */
export const SIM_SYMBOL = 'SIM'

/**
 * One strategy's Monte Carlo set-up. The model parameters come from `config` (the engine's typed
 * configuration input, profile included), and the market is built from the same numbers, so the
 * model's prediction and the market describe one world. With the participation impact model (the
 * default) the market has an ADV (`adv`, else the configured default ADV) and the model's η and γ:
 *
 * - `engine` market (`createSimulatedMarket`): daily volatility σ, the given spread, trade flow of ADV
 *   shares a day, permanent impact γ·σ/ADV per share; an order the touch can absorb pays the touch,
 *   liquidity taken beyond it pays η·σ·r/V̄ (our rate against the market's); resting limit orders fill
 *   as the flow reaches them. It answers `getDailyStats`, so the engine plans with this ADV.
 * - `model` market (`createModelMarket`): the model itself (see there), with η and γ mapped for this
 *   order by the engine's `impactKernelParams`.
 *
 * With `order_fraction` the markets keep the rollout guide's semantics: the engine market charges a
 * market order η/(Q·τ) per share and moves γ/Q per share; the model market takes η and γ as given.
 */
export interface SimulationSpec {
  readonly strategy: StrategyName
  /** Plain data, so a spec travels to worker threads. */
  readonly config: AcConfigInput
  readonly market: MarketKind
  readonly side: Side
  /** Parent quantity Q, shares. */
  readonly quantity: number
  /** Arrival mid, dollars. */
  readonly price: number
  /** Quoted spread, dollars (a multiple of the tick for the engine market). */
  readonly spread: number
  /** Base seed; run i uses the market seed `seedFor(seed, 'run-i')`, the same for every strategy. */
  readonly seed: number
  /** The market's average daily volume, shares (participation model); default the configured default ADV. */
  readonly adv?: number
}

export interface SimulationBlock {
  readonly spec: SimulationSpec
  /** Runs [from, to). */
  readonly from: number
  readonly to: number
}

/** Per run; NaN shortfall when nothing filled (or no arrival mid). */
export interface SimulationBlockResult {
  readonly shortfallBps: Float64Array
  readonly fillPercentage: Float64Array
  readonly fallback: Uint8Array
  readonly executionSeconds: Float64Array
  readonly expectedCostBps: Float64Array
  readonly expectedStdBps: Float64Array
}

/** The market for run `run` of a spec, on `clock`. */
export function marketFor(
  spec: SimulationSpec,
  run: number,
  clock: ReturnType<typeof createVirtualClock>,
  config: AcConfig = createAcConfig(spec.config),
): BrokerPort {
  const p = acParamsFor(config, SIM_SYMBOL)
  const tau = p.totalTimeSeconds / p.numSlices
  const seed = seedFor(spec.seed, `run-${run}`)
  const participation = config.impact.model === 'participation'
  const adv = spec.adv ?? config.marketStats.defaultAdv.toNumber()
  if (spec.market === 'model') {
    // the model's own η and γ for this order: exactly what the engine plans with (same σ, same ADV)
    const k = impactKernelParams(
      p,
      config.impact,
      { adv: new Dec(adv), dailyVolatility: p.volatility, advSource: 'venue', volatilitySource: 'venue' },
      new Dec(spec.quantity),
      config.tradingDaySeconds,
    )
    return createModelMarket({
      clock,
      seed,
      symbol: SIM_SYMBOL,
      price: spec.price,
      spread: spec.spread,
      dailyVolatility: p.volatility,
      tradingDaySeconds: config.tradingDaySeconds,
      temporaryImpact: k.temporaryImpact,
      permanentImpact: k.permanentImpact,
      orderQuantity: spec.quantity,
      intervalSeconds: tau,
      ...(participation ? { adv } : {}),
    })
  }
  const symbol = { price: String(spec.price), spread: String(spec.spread), dailyVolatility: p.volatility }
  return createSimulatedMarket({
    clock,
    seed,
    symbols: { [SIM_SYMBOL]: participation ? { ...symbol, adv } : symbol },
    tradingDaySeconds: config.tradingDaySeconds,
    ...(participation
      ? { participationImpact: { eta: config.impact.eta, gamma: config.impact.gamma } }
      : {
          temporaryImpactPerShare: p.temporaryImpact / (spec.quantity * tau),
          permanentImpactPerShare: p.permanentImpact / spec.quantity,
        }),
  })
}

/** Runs [from, to) of a spec, each on its own virtual clock and market: the work of a simulate worker. */
export async function simulateBlock(block: SimulationBlock, core: AcCoreApi): Promise<SimulationBlockResult> {
  const { spec } = block
  const n = block.to - block.from
  const out: SimulationBlockResult = {
    shortfallBps: new Float64Array(n),
    fillPercentage: new Float64Array(n),
    fallback: new Uint8Array(n),
    executionSeconds: new Float64Array(n),
    expectedCostBps: new Float64Array(n),
    expectedStdBps: new Float64Array(n),
  }
  // a simulated market: the live-trading risk limits do not apply to a Monte Carlo of any size
  const config = { ...createAcConfig(spec.config), risk: UNLIMITED_RISK }
  for (let i = 0; i < n; i++) {
    const run = block.from + i
    const clock = createVirtualClock()
    const broker = marketFor(spec, run, clock, config)
    const engine = createEngine({ broker, clock, config, core })
    const r = await engine.execute({
      side: spec.side,
      symbol: SIM_SYMBOL,
      quantity: String(spec.quantity),
      urgency: 'MEDIUM',
      correlationId: `sim-${run}`,
      strategy: spec.strategy,
    })
    out.shortfallBps[i] = r.implementationShortfallBps ?? Number.NaN
    out.fillPercentage[i] = r.fillPercentage
    out.fallback[i] = r.marketFallbackUsed ? 1 : 0
    out.executionSeconds[i] = r.executionTimeSeconds
    out.expectedCostBps[i] = r.expectedCostBps ?? Number.NaN
    out.expectedStdBps[i] = r.expectedStdBps ?? Number.NaN
  }
  return out
}

/** Every run of one strategy, in run order. */
export interface StrategyRuns extends SimulationBlockResult {
  readonly strategy: StrategyName
}

/**
 * Runs `runs` executions of each spec, split into blocks over the pool's workers (or in this thread
 * without a pool). Results are in run order whatever the number of workers, and identical.
 */
export async function runSimulations(
  specs: readonly SimulationSpec[],
  runs: number,
  opts: { readonly pool?: WorkerPool; readonly onProgress?: (done: number) => void } = {},
): Promise<StrategyRuns[]> {
  const workers = opts.pool?.size ?? 1
  const blockSize = Math.max(1, Math.min(250, Math.ceil(runs / (workers * 4))))
  const core = opts.pool ? undefined : loadAcCoreSync()
  let done = 0
  return Promise.all(
    specs.map(async (spec) => {
      const blocks: Promise<SimulationBlockResult>[] = []
      for (let from = 0; from < runs; from += blockSize) {
        const block: SimulationBlock = { spec, from, to: Math.min(runs, from + blockSize) }
        const p = opts.pool
          ? opts.pool.run<SimulationBlockResult>({ kind: 'simulate', block })
          : simulateBlock(block, core as AcCoreApi)
        blocks.push(
          p.then((r) => {
            done += block.to - block.from
            opts.onProgress?.(done)
            return r
          }),
        )
        if (!opts.pool) await p // one at a time in this thread
      }
      const parts = await Promise.all(blocks)
      const cat = <T extends Float64Array | Uint8Array>(
        pick: (r: SimulationBlockResult) => T,
        make: (n: number) => T,
      ): T => {
        const all = make(runs)
        let at = 0
        for (const r of parts) {
          all.set(pick(r), at)
          at += pick(r).length
        }
        return all
      }
      return {
        strategy: spec.strategy,
        shortfallBps: cat(
          (r) => r.shortfallBps,
          (n) => new Float64Array(n),
        ),
        fillPercentage: cat(
          (r) => r.fillPercentage,
          (n) => new Float64Array(n),
        ),
        fallback: cat(
          (r) => r.fallback,
          (n) => new Uint8Array(n),
        ),
        executionSeconds: cat(
          (r) => r.executionSeconds,
          (n) => new Float64Array(n),
        ),
        expectedCostBps: cat(
          (r) => r.expectedCostBps,
          (n) => new Float64Array(n),
        ),
        expectedStdBps: cat(
          (r) => r.expectedStdBps,
          (n) => new Float64Array(n),
        ),
      }
    }),
  )
}

/** Per strategy: what a quant compares. Shortfall statistics are over runs that filled something. */
export interface StrategySummary {
  readonly strategy: StrategyName
  readonly runs: number
  /** Runs with a shortfall (something filled). */
  readonly measuredRuns: number
  readonly meanShortfallBps: number
  readonly stdShortfallBps: number
  /** Standard error of the mean, bps. */
  readonly stderrBps: number
  /** The model's E and √V (AC and TWAP only), bps; includes the half spread ε. */
  readonly predictedMeanBps: number | null
  readonly predictedStdBps: number | null
  /** Realised E + λV (λ = the configured AC_RISK_AVERSION, costs as fractions), in bps. */
  readonly objectiveBps: number
  /** The model's E + λV in bps (AC and TWAP only). */
  readonly predictedObjectiveBps: number | null
  /** Mean fill percentage / 100. */
  readonly fillRate: number
  /** Fraction of runs that sent a market order for a remainder. */
  readonly fallbackRate: number
  readonly avgExecutionSeconds: number
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < xs.length; i++) s += xs[i] as number
  return xs.length > 0 ? s / xs.length : Number.NaN
}

/** Sample mean and standard deviation (n − 1). */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number; n: number } {
  const vals: number[] = []
  for (let i = 0; i < xs.length; i++) if (!Number.isNaN(xs[i] as number)) vals.push(xs[i] as number)
  const m = mean(vals)
  let ss = 0
  for (const x of vals) ss += (x - m) ** 2
  return { mean: m, std: vals.length > 1 ? Math.sqrt(ss / (vals.length - 1)) : Number.NaN, n: vals.length }
}

export function summarize(r: StrategyRuns, riskAversion: number): StrategySummary {
  const s = meanStd(r.shortfallBps)
  const pm = meanStd(r.expectedCostBps)
  const ps = meanStd(r.expectedStdBps)
  const hasModel = pm.n > 0
  return {
    strategy: r.strategy,
    runs: r.shortfallBps.length,
    measuredRuns: s.n,
    meanShortfallBps: s.mean,
    stdShortfallBps: s.std,
    stderrBps: s.std / Math.sqrt(s.n),
    predictedMeanBps: hasModel ? pm.mean : null,
    predictedStdBps: hasModel ? ps.mean : null,
    objectiveBps: s.mean + riskAversion * (s.std * s.std) * 1e-4,
    predictedObjectiveBps: hasModel ? pm.mean + riskAversion * ps.mean * ps.mean * 1e-4 : null,
    fillRate: mean(r.fillPercentage) / 100,
    fallbackRate: mean(r.fallback),
    avgExecutionSeconds: mean(r.executionSeconds),
  }
}
