/** The execution strategies the engine can route to. `twap` is Almgren–Chriss with λ = 0. */
export const STRATEGY_NAMES = ['market', 'walk_the_book', 'almgren_chriss', 'twap'] as const
export type StrategyName = (typeof STRATEGY_NAMES)[number]

export const isStrategyName = (v: unknown): v is StrategyName =>
  typeof v === 'string' && (STRATEGY_NAMES as readonly string[]).includes(v)
