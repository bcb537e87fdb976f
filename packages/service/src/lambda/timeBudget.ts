import { STRATEGY_NAMES, acParamsFor, type AcConfig, type StrategyName } from '@acx/engine'

/**
 * The longest an execution of `strategy` for `symbol` can take on the execution clock, seconds:
 * its horizon — for AC and TWAP with a participation cap (`AC_MAX_PARTICIPATION`), as far as the cap may
 * extend it (`AC_MAX_HORIZON_SECONDS`) — plus the market fallback and the cancel confirmations around it.
 */
export function plannedSeconds(config: AcConfig, strategy: StrategyName, symbol: string): number {
  const { marketOrderTimeoutSeconds: market, cancelConfirmTimeoutSeconds: cancel } = config.execution
  switch (strategy) {
    case 'market':
      return market
    case 'walk_the_book': {
      const { priceSteps, stepWaitSeconds } = config.walkTheBook
      return priceSteps.length * (stepWaitSeconds + cancel) + market
    }
    case 'almgren_chriss':
    case 'twap': {
      const ac = acParamsFor(config, symbol)
      // the participation cap may extend the horizon (slices of the same length) up to its limit
      const { maxParticipation, maxHorizonSeconds } = config.impact
      const horizon = maxParticipation === null ? ac.totalTimeSeconds : Math.max(ac.totalTimeSeconds, maxHorizonSeconds)
      return horizon + cancel + (ac.marketFallback ? market : 0)
    }
  }
}

/** What the handler keeps back from an invocation's remaining time for storing the result and answering, ms. */
export const HANDLER_MARGIN_MS = 10_000

/**
 * The longest an execution can take under `config` on a real clock, seconds: the worst strategy (an
 * intent may name any) for the default parameters and for every symbol with a profile of its own. A
 * Lambda function's timeout must exceed this plus `HANDLER_MARGIN_MS`.
 */
export function longestPlannedSeconds(config: AcConfig): {
  readonly seconds: number
  readonly strategy: StrategyName
  readonly symbol: string | null
} {
  let worst = { seconds: 0, strategy: STRATEGY_NAMES[0] as StrategyName, symbol: null as string | null }
  for (const symbol of [null, ...Object.keys(config.acBySymbol)])
    for (const strategy of STRATEGY_NAMES) {
      // an unknown symbol gets the default parameters
      const seconds = plannedSeconds(config, strategy, symbol ?? '')
      if (seconds > worst.seconds) worst = { seconds, strategy, symbol }
    }
  return worst
}

export interface TimeCheck {
  readonly fits: boolean
  readonly neededMs: number
  readonly remainingMs: number
}

/**
 * Whether an execution fits in what is left of a Lambda invocation. `timeScale` is how much faster
 * than wall time the execution clock runs (the simulated market's ACX_SIM_TIME_SCALE; 1 for a real
 * broker); `marginMs` is kept back for storing the result and answering.
 */
export function checkTimeBudget(
  config: AcConfig,
  strategy: StrategyName,
  symbol: string,
  remainingMs: number,
  timeScale = 1,
  marginMs = HANDLER_MARGIN_MS,
): TimeCheck {
  const neededMs = Math.ceil((plannedSeconds(config, strategy, symbol) * 1000) / timeScale) + marginMs
  return { fits: neededMs <= remainingMs, neededMs, remainingMs }
}
