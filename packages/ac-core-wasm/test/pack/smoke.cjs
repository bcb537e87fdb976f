// Runs inside an empty project with the packed tarball installed (scripts/checkPackage.mjs).
const { loadAcCoreSync, SweepStatus } = require('@acx/ac-core-wasm')

const core = loadAcCoreSync()
const one = (v) => Float64Array.of(v)
const s = core.sweep({
  shares: one(1e6),
  horizon: one(5),
  slices: one(5),
  volatility: one(0.95),
  temporaryImpact: one(2.5e-6),
  permanentImpact: one(2.5e-7),
  fixedCost: one(0.0625),
  riskAversion: one(1e-6),
})
if (s.status[0] !== SweepStatus.OK) throw new Error(`status ${s.status[0]}`)
if (Math.abs(s.variance[0] / 364128572058.14105 - 1) > 1e-12) throw new Error(`V = ${s.variance[0]}`)
