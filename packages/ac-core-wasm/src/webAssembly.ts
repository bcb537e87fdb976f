/**
 * The few WebAssembly globals the host uses, typed here rather than through the DOM lib, so that
 * packages compiling this source (or our .d.ts files) need neither `lib: ["DOM"]` nor full Node types.
 */
export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module'
}

interface WebAssemblyGlobal {
  Module: new (bytes: Uint8Array) => WasmModule
  compile(bytes: Uint8Array): Promise<WasmModule>
  RuntimeError: new (message?: string) => Error
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyGlobal }).WebAssembly
