// Runs inside an empty project with the packed tarball installed (scripts/checkPackage.mjs).
import { AcCoreError, loadAcCore, loadAcCoreSync, PAPER_EXAMPLE, reference } from '@acx/ac-core-wasm'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const params = { ...PAPER_EXAMPLE, riskAversion: 1e-6 }
const core = await loadAcCore()
const t = core.trajectory(params)
if (Math.abs(t.expectedCost / 911226.9863037935 - 1) > 1e-12) throw new Error(`E = ${t.expectedCost}`)
if (loadAcCoreSync().trajectory(params).variance !== t.variance) throw new Error('sync and async differ')
if (Math.abs(reference.trajectory(params).variance / t.variance - 1) > 1e-12) throw new Error('reference differs')
try {
  core.trajectory({ ...params, slices: 0 })
  throw new Error('no error for slices = 0')
} catch (err) {
  if (!(err instanceof AcCoreError) || err.field !== 'slices') throw err
}
const wasm = readFileSync(createRequire(import.meta.url).resolve('@acx/ac-core-wasm/wasm'))
if (!WebAssembly.validate(wasm)) throw new Error('@acx/ac-core-wasm/wasm is not a valid module')
// sweeps without copies work from the published package too
const batch = loadAcCoreSync().createSweepBatch(1)
Object.entries(params).forEach(([name, value]) => (batch[name][0] = value))
if (batch.run() !== 0 || Math.abs(batch.expectedCost[0] / 911226.9863037935 - 1) > 1e-12)
  throw new Error('batch sweep differs')
