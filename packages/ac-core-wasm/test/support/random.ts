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
