import { webAssembly } from '../src/webAssembly.js'
import { afterEach, describe, expect, it } from 'vitest'
import { wasmBase64 } from '../src/generated/acCore.wasm.js'
import { decodeBase64 } from '../src/loadAcCore.js'
import { WasmAcCore } from '../src/wasmAcCore.js'
import { loadAcCore, loadAcCoreSync } from '../src/index.js'

const params = {
  shares: 1e6,
  horizon: 5,
  slices: 5,
  volatility: 0.95,
  temporaryImpact: 2.5e-6,
  riskAversion: 1e-6,
}

describe('loading the core', () => {
  const savedBuffer = globalThis.Buffer
  afterEach(() => {
    globalThis.Buffer = savedBuffer
  })

  it('gives each caller its own instance, async and sync alike', async () => {
    const [a, b] = await Promise.all([loadAcCore(), loadAcCore()])
    const c = loadAcCoreSync()
    expect(a).not.toBe(b)
    expect(b).not.toBe(c)
    const results = [a, b, c].map((core) => core.trajectory(params).expectedCost)
    expect(new Set(results).size).toBe(1)
  })

  it('keeps returned arrays valid after later calls reuse and grow the same memory', () => {
    const core = loadAcCoreSync()
    const first = core.trajectory(params)
    const copy = Array.from(first.holdings)
    core.trajectory({ ...params, slices: 200_000 }) // grows memory, detaching old views
    expect(Array.from(first.holdings)).toEqual(copy)
  })

  it('decodes and instantiates the embedded module without Node’s Buffer', () => {
    // as in a browser: only atob and WebAssembly
    ;(globalThis as { Buffer?: unknown }).Buffer = undefined
    const core = new WasmAcCore(new webAssembly.Module(decodeBase64(wasmBase64)))
    expect(core.trajectory(params).holdings[0]).toBe(1e6)
  })
})
