import { Dec } from './dec.js'
import type { DailyStats } from '../ports/broker.js'

/** One daily bar, as far as the statistics need it. */
export interface DailyBar {
  /** Closing price, > 0. */
  readonly close: number
  /** Shares traded that day, ≥ 0. */
  readonly volume: number
}

/** The fewest bars `dailyStatsFromBars` computes from (two returns for a sample standard deviation). */
export const MIN_DAILY_BARS = 3

/**
 * A symbol's ADV and daily volatility from its daily bars in time order:
 *
 * - ADV = the mean of the bars' volumes (shares per day);
 * - σ = the sample standard deviation (n − 1) of the daily log returns ln(cₖ/cₖ₋₁) — the daily volatility
 *   of returns the Almgren–Chriss model takes (log and simple returns agree to O(σ²) at daily scale).
 *
 * Null when there are fewer than `MIN_DAILY_BARS` bars or a figure is not finite and positive (a flat
 * price, no volume, a bad bar): the caller then falls back to its configured defaults.
 */
export function dailyStatsFromBars(symbol: string, bars: readonly DailyBar[]): DailyStats | null {
  if (bars.length < MIN_DAILY_BARS) return null
  let volume = 0
  for (const b of bars) {
    if (!(Number.isFinite(b.close) && b.close > 0 && Number.isFinite(b.volume) && b.volume >= 0)) return null
    volume += b.volume
  }
  const returns: number[] = []
  for (let k = 1; k < bars.length; k++)
    returns.push(Math.log((bars[k] as DailyBar).close / (bars[k - 1] as DailyBar).close))
  const mean = returns.reduce((a, r) => a + r, 0) / returns.length
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1)
  const dailyVolatility = Math.sqrt(variance)
  const adv = volume / bars.length
  if (!(dailyVolatility > 0 && Number.isFinite(dailyVolatility) && adv > 0 && Number.isFinite(adv))) return null
  return { symbol, adv: new Dec(adv.toPrecision(15)), dailyVolatility, days: bars.length }
}
