// The benchmark compares the kernels with a plain-JavaScript port of the same algorithm
// (bench/jsPort.ts); this checks that it really computes the same thing.
import { describe, expect, it } from 'vitest'
import { loadAcCoreSync } from '../src/index.js'
import { jsSweep } from '../bench/jsPort.js'
import { toColumns } from './support/cores.js'
import { expectClose } from './support/close.js'
import { createRandom, randomParamsByKappaT } from './support/random.js'

describe('the plain-JS port used by the benchmark', () => {
  it('agrees with the kernels within 1e−13 wherever it computes (all but the rows the kernels take the careful path for)', () => {
    const random = createRandom(8)
    const input = toColumns(Array.from({ length: 5000 }, () => randomParamsByKappaT(random)))
    const m = input.shares.length
    const [kappa, expectedCost, variance] = [new Float64Array(m), new Float64Array(m), new Float64Array(m)]
    const status = new Int32Array(m)
    expect(jsSweep(input, m, kappa, expectedCost, variance, status)).toBeLessThan(m / 10)
    const want = loadAcCoreSync().sweep(input)
    for (let i = 0; i < m; i++) {
      if (status[i] !== 0) {
        expect(want.status[i]).toBe(0) // the kernels computed it on their careful path
        continue
      }
      expectClose(kappa[i]!, want.kappa[i]!, 1e-13, 0, `κ[${i}]`)
      expectClose(expectedCost[i]!, want.expectedCost[i]!, 1e-13, 0, `E[${i}]`)
      expectClose(variance[i]!, want.variance[i]!, 1e-13, 0, `V[${i}]`)
    }
  })
})
