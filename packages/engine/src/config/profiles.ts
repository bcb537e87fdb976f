import type { AcStrategyParams, ProfileName } from './acConfig.js'

/** The defaults of every AC_* variable (the mid_cap profile). */
export const AC_DEFAULTS: Omit<AcStrategyParams, 'profile'> = {
  riskAversion: 0.5,
  volatility: 0.02,
  temporaryImpact: 0.001,
  permanentImpact: 0,
  numSlices: 5,
  totalTimeSeconds: 300,
  sliceWaitSeconds: 30,
  marketFallback: true,
  startAggression: 0.6,
  endAggression: 0.9,
}

/** What each profile changes from the defaults. Explicit AC_* variables win over these. */
export const PROFILES: Readonly<Record<ProfileName, Partial<Omit<AcStrategyParams, 'profile'>>>> = {
  large_cap: { temporaryImpact: 0.0001 },
  mid_cap: { temporaryImpact: 0.001 },
  small_cap: { riskAversion: 0.3, temporaryImpact: 0.01, numSlices: 7, totalTimeSeconds: 450 },
}
