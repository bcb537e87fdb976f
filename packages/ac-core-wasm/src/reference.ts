import { AcCoreError } from './errors.js'
import { paramsStatus, resolveParams, type ResolvedParams } from './validate.js'
import { SweepStatus } from './status.js'
import type { AcBaseParams, AcCoreApi, AcParams, Frontier, SweepInput, SweepResult, Trajectory } from './types.js'
import { checkFrontierInput, checkSweepInput } from './checkInput.js'

/**
 * The plain-TypeScript implementation of the same API as the WebAssembly core, written straight from
 * the paper's formulas (a sinh per point) rather than the kernel's recurrence, so that it serves as an
 * independent oracle in tests and as the baseline in benchmarks.
 */

interface Plan {
  readonly tau: number
  readonly etaTilde: number
  readonly kappaTilde: number
  readonly kappa: number
}

function plan(p: ResolvedParams): Plan {
  const tau = p.horizon / p.slices
  const etaTilde = p.temporaryImpact - 0.5 * p.permanentImpact * tau // eq. 15
  const kappaTilde = Math.sqrt((p.riskAversion * p.volatility * p.volatility) / etaTilde) // eq. 19
  const kappa = (2 / tau) * Math.asinh((kappaTilde * tau) / 2) // eq. 19
  return { tau, etaTilde, kappaTilde, kappa }
}

/** sinh(κ(T − t_k))/sinh(κT) with t_k = kτ, T = Nτ (eq. 18), in a form that cannot overflow. */
function holdingFraction(kappaTau: number, n: number, k: number): number {
  const kT = kappaTau * n
  if (!(kT > 1e-150)) return (n - k) / n // κ = 0: the straight line (eq. 9); error O((κT)²) below this
  if (kT < 700) return Math.sinh(kappaTau * (n - k)) / Math.sinh(kT)
  // e^{−κt}·(1 − e^{−2κ(T−t)})/(1 − e^{−2κT}): same value, every exponential ≤ 1
  return (Math.exp(-kappaTau * k) * -Math.expm1(-2 * kappaTau * (n - k))) / -Math.expm1(-2 * kT)
}

function trajectory(params: AcParams): Trajectory {
  const p = resolveParams(params)
  const { tau, etaTilde, kappaTilde, kappa } = plan(p)
  const n = p.slices
  const holdings = new Float64Array(n + 1)
  const trades = new Float64Array(n)
  for (let k = 0; k <= n; k++) holdings[k] = p.shares * holdingFraction(kappa * tau, n, k)
  let sumAbsN = 0
  let sumN2 = 0
  let sumX2 = 0
  for (let k = 1; k <= n; k++) {
    const x = holdings[k]!
    const trade = holdings[k - 1]! - x
    trades[k - 1] = trade
    sumAbsN += Math.abs(trade)
    sumN2 += trade * trade
    sumX2 += x * x
  }
  const expectedCost = 0.5 * p.permanentImpact * p.shares * p.shares + p.fixedCost * sumAbsN + (etaTilde / tau) * sumN2
  const variance = p.volatility * p.volatility * tau * sumX2
  if (![kappa, expectedCost, variance].every(Number.isFinite)) throw new AcCoreError('AC_NON_FINITE_RESULT')
  return { kappa, kappaTilde, halfLife: 1 / kappa, holdings, trades, expectedCost, variance }
}

/** κ, E, V of one row, or NaNs with a status. Allocates nothing. */
function row(p: ResolvedParams, out: { kappa: number; expectedCost: number; variance: number }): number {
  const status = paramsStatus(
    p.shares, p.horizon, p.slices, p.volatility, p.temporaryImpact, p.permanentImpact, p.fixedCost, p.riskAversion,
  )
  if (status === SweepStatus.OK) {
    const { tau, etaTilde, kappa } = plan(p)
    const n = p.slices
    let prev = p.shares
    let sumAbsN = 0
    let sumN2 = 0
    let sumX2 = 0
    for (let k = 1; k <= n; k++) {
      const x = p.shares * holdingFraction(kappa * tau, n, k)
      const trade = prev - x
      sumAbsN += Math.abs(trade)
      sumN2 += trade * trade
      sumX2 += x * x
      prev = x
    }
    out.kappa = kappa
    out.expectedCost = 0.5 * p.permanentImpact * p.shares * p.shares + p.fixedCost * sumAbsN + (etaTilde / tau) * sumN2
    out.variance = p.volatility * p.volatility * tau * sumX2
    if ([out.kappa, out.expectedCost, out.variance].every(Number.isFinite)) return SweepStatus.OK
  }
  out.kappa = NaN
  out.expectedCost = NaN
  out.variance = NaN
  return status === SweepStatus.OK ? SweepStatus.NON_FINITE_RESULT : status
}

function sweep(input: SweepInput): SweepResult {
  const m = checkSweepInput(input)
  const zeros = new Float64Array(m)
  const permanentImpact = input.permanentImpact ?? zeros
  const fixedCost = input.fixedCost ?? zeros
  const kappa = new Float64Array(m)
  const expectedCost = new Float64Array(m)
  const variance = new Float64Array(m)
  const status = new Int32Array(m)
  const out = { kappa: 0, expectedCost: 0, variance: 0 }
  for (let i = 0; i < m; i++) {
    status[i] = row(
      {
        shares: input.shares[i]!, horizon: input.horizon[i]!, slices: input.slices[i]!,
        volatility: input.volatility[i]!, temporaryImpact: input.temporaryImpact[i]!,
        permanentImpact: permanentImpact[i]!, fixedCost: fixedCost[i]!, riskAversion: input.riskAversion[i]!,
      },
      out,
    )
    kappa[i] = out.kappa
    expectedCost[i] = out.expectedCost
    variance[i] = out.variance
  }
  return { kappa, expectedCost, variance, status }
}

function frontier(base: AcBaseParams, riskAversions: Float64Array): Frontier {
  const p = checkFrontierInput(base, riskAversions)
  const m = riskAversions.length
  const result = {
    riskAversion: riskAversions.slice(),
    kappa: new Float64Array(m),
    expectedCost: new Float64Array(m),
    variance: new Float64Array(m),
  }
  const out = { kappa: 0, expectedCost: 0, variance: 0 }
  for (let i = 0; i < m; i++) {
    if (row({ ...p, riskAversion: riskAversions[i]! }, out) !== SweepStatus.OK) {
      throw new AcCoreError('AC_NON_FINITE_RESULT', `riskAversions[${i}] leads to a non-finite result`, {
        field: `riskAversions[${i}]`,
      })
    }
    result.kappa[i] = out.kappa
    result.expectedCost[i] = out.expectedCost
    result.variance[i] = out.variance
  }
  return result
}

export const reference: AcCoreApi = { trajectory, frontier, sweep }
