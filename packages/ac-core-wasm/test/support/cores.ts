import { webAssembly } from '../../src/webAssembly.js'
import { wasmBase64 as debugBase64 } from '../../src/generated/acCoreDebug.wasm.js'
import { decodeBase64 } from '../../src/loadAcCore.js'
import { WasmAcCore } from '../../src/wasmAcCore.js'
import { loadAcCoreSync, reference, type AcCoreApi, type AcParams, type SweepInput } from '../../src/index.js'

/** The release build (what users load) and the debug build. */
export const wasmBuilds: ReadonlyArray<readonly [name: string, core: WasmAcCore]> = [
  ['wasm release', loadAcCoreSync()],
  ['wasm debug', new WasmAcCore(new webAssembly.Module(decodeBase64(debugBase64)))],
]

/** Both builds and the pure-TS reference. */
export const cores: ReadonlyArray<readonly [name: string, core: AcCoreApi]> = [...wasmBuilds, ['reference', reference]]

/** Parameter sets as sweep columns. */
export function toColumns(sets: readonly AcParams[]): Required<SweepInput> {
  const column = (f: (p: AcParams) => number) => Float64Array.from(sets, f)
  return {
    shares: column((p) => p.shares),
    horizon: column((p) => p.horizon),
    slices: column((p) => p.slices),
    volatility: column((p) => p.volatility),
    temporaryImpact: column((p) => p.temporaryImpact),
    permanentImpact: column((p) => p.permanentImpact ?? 0),
    fixedCost: column((p) => p.fixedCost ?? 0),
    riskAversion: column((p) => p.riskAversion),
  }
}
