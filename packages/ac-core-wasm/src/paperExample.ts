import type { AcBaseParams } from './types.js'

/**
 * The worked example of Almgren & Chriss (2000) §3.4, in dollars and days: sell 1,000,000 shares of a
 * $50 stock over 5 days in 5 slices.
 */
export const PAPER_EXAMPLE: AcBaseParams = {
  shares: 1_000_000,
  horizon: 5,
  slices: 5,
  volatility: 0.95,
  temporaryImpact: 2.5e-6,
  permanentImpact: 2.5e-7,
  fixedCost: 0.0625,
}
