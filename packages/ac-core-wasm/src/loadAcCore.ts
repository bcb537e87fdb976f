import { wasmBase64 } from './generated/acCore.wasm.js'
import { WasmAcCore } from './wasmAcCore.js'
import { webAssembly, type WasmModule } from './webAssembly.js'

let compiled: WasmModule | undefined
let compiling: Promise<WasmModule> | undefined

/** Decodes base64 with `atob`, present in browsers, workers and Node ≥ 16, so no `Buffer` is needed. */
export function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * A new core on its own WebAssembly instance. The module is compiled once per process (or worker)
 * and cached; every call returns a fresh instance, so a worker pool costs one instantiation each.
 */
export async function loadAcCore(): Promise<WasmAcCore> {
  const module = compiled ?? (await (compiling ??= webAssembly.compile(decodeBase64(wasmBase64))))
  compiled = module
  return new WasmAcCore(module)
}

/**
 * Synchronous `loadAcCore`. Browsers may refuse to compile synchronously on the main thread; use
 * `loadAcCore()` there.
 */
export function loadAcCoreSync(): WasmAcCore {
  const module = (compiled ??= new webAssembly.Module(decodeBase64(wasmBase64)))
  return new WasmAcCore(module)
}
