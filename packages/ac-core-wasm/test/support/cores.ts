import { webAssembly } from '../../src/webAssembly.js'
import { wasmBase64 as debugBase64 } from '../../src/generated/acCoreDebug.wasm.js'
import { decodeBase64 } from '../../src/loadAcCore.js'
import { WasmAcCore } from '../../src/wasmAcCore.js'
import { loadAcCoreSync, reference, type AcCoreApi } from '../../src/index.js'

/** The release build (what users load), the debug build, and the pure-TS reference. */
export const cores: ReadonlyArray<readonly [name: string, core: AcCoreApi]> = [
  ['wasm release', loadAcCoreSync()],
  ['wasm debug', new WasmAcCore(new webAssembly.Module(decodeBase64(debugBase64)))],
  ['reference', reference],
]

export const wasmBuilds = cores.filter(([name]) => name.startsWith('wasm'))
