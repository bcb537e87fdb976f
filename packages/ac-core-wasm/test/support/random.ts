import type { AcParams } from '../../src/index.js'

/** mulberry32: a small seeded PRNG so random tests are reproducible. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A valid parameter set spread over many orders of magnitude, with zeros for volatility, permanent
 * impact and risk aversion mixed in, and κT from 0 to far beyond where sinh(κT) overflows.
 */
export function randomParams(random: () => number, maxSlices = 200): AcParams {
  const logUniform = (lo: number, hi: number) => 10 ** (lo + (hi - lo) * random())
  const horizon = logUniform(-2, 2)
  const slices = Math.max(1, Math.round(logUniform(0, Math.log10(maxSlices))))
  const temporaryImpact = logUniform(-9, -1)
  const tau = horizon / slices
  return {
    shares: logUniform(0, 8),
    horizon,
    slices,
    volatility: random() < 0.05 ? 0 : logUniform(-3, 1),
    temporaryImpact,
    // keep η̃ = η − γτ/2 > 0
    permanentImpact: random() < 0.2 ? 0 : random() * 0.95 * ((2 * temporaryImpact) / tau),
    fixedCost: random(),
    riskAversion: random() < 0.05 ? 0 : logUniform(-12, 2),
  }
}

/**
 * A valid parameter set with κT log-uniform in [1e−8, maxKappaT] (5% straight lines: λ or σ = 0) and
 * N log-uniform in [1, maxSlices]: the whole documented range, regime boundaries included.
 */
export function randomParamsByKappaT(
  random: () => number,
  { maxSlices = 1_000_000, maxKappaT = 1e5 }: { maxSlices?: number; maxKappaT?: number } = {},
): AcParams {
  const logUniform = (lo: number, hi: number) => 10 ** (lo + (hi - lo) * random())
  const slices = Math.max(1, Math.round(logUniform(0, Math.log10(maxSlices))))
  const horizon = logUniform(-2, 2)
  const tau = horizon / slices
  const temporaryImpact = logUniform(-9, -1)
  const permanentImpact = random() < 0.2 ? 0 : random() * 0.95 * ((2 * temporaryImpact) / tau)
  const etaTilde = temporaryImpact - (permanentImpact * tau) / 2
  const volatility = logUniform(-3, 1)
  const kappaT = logUniform(-8, Math.log10(maxKappaT))
  // κτ = κT/N = 2·asinh(κ̃τ/2)  ⇒  λ = (2·sinh(κτ/2)/τ)²·η̃/σ²
  const kappaTilde = (2 * Math.sinh(kappaT / slices / 2)) / tau
  const straight = random() < 0.05
  const riskAversion = straight ? 0 : Math.min(1e300, kappaTilde ** 2 * (etaTilde / volatility ** 2))
  return {
    shares: logUniform(0, 8),
    horizon,
    slices,
    volatility,
    temporaryImpact,
    permanentImpact,
    fixedCost: random(),
    riskAversion,
  }
}

/** A valid-looking parameter set with every field log-uniform over most of the float64 range. */
export function extremeParams(random: () => number, maxSlices = 1_000_000): AcParams {
  const anyMagnitude = () => 10 ** (-300 + 600 * random())
  const maybeZero = (v: number) => (random() < 0.1 ? 0 : v)
  return {
    shares: anyMagnitude(),
    horizon: anyMagnitude(),
    slices: Math.max(1, Math.round(10 ** (random() * Math.log10(maxSlices)))),
    volatility: maybeZero(anyMagnitude()),
    temporaryImpact: anyMagnitude(),
    permanentImpact: maybeZero(anyMagnitude()),
    fixedCost: maybeZero(anyMagnitude()),
    riskAversion: maybeZero(anyMagnitude()),
  }
}
