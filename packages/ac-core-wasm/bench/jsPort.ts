/**
 * The kernels' algorithm ported to plain JavaScript, for the benchmark's "what a user would otherwise
 * write" column: the same validation, η̃, y² and closed forms with the same regimes (unitSums.ts), one
 * row at a time with Math.log1p/exp/expm1 instead of the two-lane SIMD code, writing into columns the
 * caller provides (so JavaScript pays for no allocation). Rows outside the kernels' fast range get
 * NaN and status −1 here instead of the careful path: the benchmark's inputs never go there, and
 * test/jsPort.test.ts checks that on such inputs the port agrees with the kernels to 1e−13.
 */
import type { SweepInput } from '../src/index.js'
import { etaTildeCore } from '../src/etaTilde.js'

const LO = 2 ** -120
const HI = 2 ** 120
const MAX_SLICES = 1_000_000
const FLOOR = 2 ** -100
const SHS = [
  1 / 6,
  1 / 120,
  1 / 5040,
  1 / 362880,
  2.505210838544172e-8,
  1.6059043836821613e-10,
  7.647163731819816e-13,
  2.8114572543455206e-15,
  8.22063524662433e-18,
  1.9572941063391263e-20,
  3.8681701706306835e-23,
]
const COTH = [
  1 / 3,
  1 / 30,
  1 / 840,
  2.2045855379188714e-5,
  2.505210838544172e-7,
  1.9270852604185937e-9,
  1.0706029224547743e-11,
  4.498331606952833e-14,
]

const inRange = (v: number) => v >= LO && v <= HI

/** Rows 0 … count − 1 of `input` into the output columns; returns the number of rows not computed. */
export function jsSweep(
  input: Required<SweepInput>,
  count: number,
  kappaOut: Float64Array,
  expectedCostOut: Float64Array,
  varianceOut: Float64Array,
  statusOut: Int32Array,
): number {
  const { shares, horizon, slices, volatility, temporaryImpact, permanentImpact, fixedCost, riskAversion } = input
  let skipped = 0
  for (let i = 0; i < count; i++) {
    const X = shares[i]!
    const T = horizon[i]!
    const N = slices[i]!
    const sigma = volatility[i]!
    const eta = temporaryImpact[i]!
    const gamma = permanentImpact[i]!
    const eps = fixedCost[i]!
    const lambda = riskAversion[i]!
    const tau = T / N
    const eT =
      inRange(X) &&
      inRange(T) &&
      inRange(eta) &&
      N >= 1 &&
      N <= MAX_SLICES &&
      N === Math.round(N) &&
      (sigma === 0 || inRange(sigma)) &&
      (lambda === 0 || inRange(lambda)) &&
      gamma >= 0 &&
      gamma <= HI &&
      eps >= 0 &&
      eps <= HI
        ? etaTildeCore(eta, gamma, T, N, tau)
        : NaN
    const halfTau = 0.5 * tau
    const y2 = ((sigma * sigma * (halfTau * halfTau)) / eT) * lambda
    const y = Math.sqrt(y2)
    if (!(eT > FLOOR * eta) || !(y <= 2 ** 64)) {
      kappaOut[i] = expectedCostOut[i] = varianceOut[i] = NaN
      statusOut[i] = -1
      skipped++
      continue
    }
    let a = 0
    let sumN2: number
    let sumX2: number
    if (y === 0) {
      sumN2 = 1 / N
      sumX2 = ((N - 1) * (2 * N - 1)) / (6 * N)
    } else {
      const s = Math.sqrt(1 + y2)
      const t = y / s
      const z = y + y2 / (1 + s)
      a = 2 * Math.log1p(z)
      const A = N * a
      const em = Math.exp(-Math.min(A, 300))
      const inv = 1 / (-Math.expm1(-Math.min(A, 300)) * (1 + em))
      const P = em * em
      const v = 2 * y * em * inv
      sumN2 = N === 1 ? 1 : t * (1 + P) * inv + 2 * N * v * v
      if (N === 1) sumX2 = 0
      else if (A >= 1) {
        const w2 = (1 + z) * (1 + z)
        const emw2 = em * w2
        sumX2 = ((1 + emw2 * emw2) * inv) / (4 * y * s * w2) - 2 * N * P * inv * inv
      } else {
        const v4 = 4 * A * A
        let shs = SHS[10]!
        for (let j = 9; j >= 0; j--) shs = shs * v4 + SHS[j]!
        let coth = COTH[7]!
        for (let j = 6; j >= 0; j--) coth = coth * a * a + COTH[j]!
        const d = 1 / (2 * y * s * N)
        const h = em * A * inv
        const dOverA2 = 0.5 * 8 * A * shs * (1 + 2 * y2) * N * d + coth * a * d - 1 / (4 * h * h)
        sumX2 = dOverA2 * 2 * h * h
      }
    }
    kappaOut[i] = a / tau
    expectedCostOut[i] = 0.5 * gamma * X * X + eps * X + (eT / tau) * X * X * sumN2
    varianceOut[i] = sigma * sigma * tau * X * X * sumX2
    statusOut[i] = 0
  }
  return skipped
}
