import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadAcCore, reference } from '@acx/ac-core-wasm'
import { AC_DEFAULTS, PROFILES, toKernelParams } from '@acx/engine'
import { computeFrontier, riskAversionGrid } from '../src/web/frontier/compute.js'
import {
  PRESETS,
  PROFILE_OVERRIDES,
  acLines,
  defaultState,
  parseState,
  stateFromQuery,
  stateToQuery,
  toKernel,
  type ExplorerInputs,
  type ExplorerState,
} from '../src/web/frontier/model.js'

interface PaperCase {
  readonly id: string
  readonly params: Record<string, number>
  readonly E: number
  readonly V: number
  readonly x: number[]
}
const paper = JSON.parse(
  // the kernel package's copy of ../shared/reference/almgren-chriss-paper-example.json (a clone has no ../shared)
  readFileSync(new URL('../../ac-core-wasm/test/fixtures/almgren-chriss-paper-example.json', import.meta.url), 'utf8'),
) as { cases: PaperCase[] }
const lambda1e6 = paper.cases.find((c) => c.id === 'paper_lambda_1e-6')!

const inputsOf = (state: ExplorerState): ExplorerInputs => {
  const parsed = parseState(state)
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
  return parsed.inputs
}

const paperState: ExplorerState = {
  units: 'model',
  values: {
    X: '1e6',
    T: '5',
    N: '5',
    sigma: '0.95',
    eta: '2.5e-6',
    gamma: '2.5e-7',
    eps: '0.0625',
    lambda: '1e-6',
    S0: '50',
    unit: '23400',
  },
}

describe('the frontier explorer', () => {
  it("gives the paper's §3.4 example: E = $911,226.99 and √V = $603,430.67 at λ = 1e-6, on the WebAssembly core", async () => {
    const core = await loadAcCore()
    const { chosen } = computeFrontier(core, inputsOf(paperState))
    expect(chosen.expectedCostDollars).toBeCloseTo(lambda1e6.E, 4)
    expect(chosen.stdDevDollars).toBeCloseTo(Math.sqrt(lambda1e6.V), 4)
    expect(Math.round(chosen.expectedCostDollars)).toBe(911_227)
    expect(Math.floor(chosen.stdDevDollars)).toBe(603_430)
    // bps of the arrival notional X·S₀ = $50M
    expect(chosen.expectedCostBps).toBeCloseTo((lambda1e6.E / 5e7) * 1e4, 9)
    // the schedule: holdings x_k / X and trades n_k / X
    chosen.slices.forEach((s, k) => {
      expect(s.heldBefore).toBeCloseTo(lambda1e6.x[k]! / 1e6, 12)
      expect(s.fraction).toBeCloseTo((lambda1e6.x[k]! - lambda1e6.x[k + 1]!) / 1e6, 12)
      expect(s.start).toBe(k)
    })
    expect(chosen.kappaT).toBeCloseTo(0.6070761632470627 * 5, 12)
  })

  it('draws a frontier whose cost rises and risk falls with λ, through the chosen point, the same on the reference', async () => {
    const core = await loadAcCore()
    const inputs = inputsOf(paperState)
    const f = computeFrontier(core, inputs)
    const r = computeFrontier(reference, inputs)
    expect(f.riskAversion.length).toBeGreaterThan(90)
    expect(f.riskAversion[0]).toBe(0)
    for (let i = 1; i < f.riskAversion.length; i++) {
      expect(f.riskAversion[i]!).toBeGreaterThan(f.riskAversion[i - 1]!)
      expect(f.expectedCostDollars[i]!).toBeGreaterThanOrEqual(f.expectedCostDollars[i - 1]! * (1 - 1e-12))
      expect(f.stdDevDollars[i]!).toBeLessThanOrEqual(f.stdDevDollars[i - 1]! * (1 + 1e-12))
      expect(f.expectedCostDollars[i]!).toBeCloseTo(r.expectedCostDollars[i]!, 3)
    }
    const at = [...f.riskAversion].indexOf(1e-6)
    expect(f.expectedCostDollars[at]).toBe(f.chosen.expectedCostDollars)
    // λ = 0 is the straight line: E = ½γX² + εX + η̃X²/T (the paper's $662,500 at these numbers)
    expect(f.expectedCostDollars[0]).toBeCloseTo(paper.cases.find((c) => c.id === 'paper_lambda_0_B')!.E, 4)
  })

  it("maps the AC_* settings to the kernel exactly as the engine's toKernelParams does", () => {
    const state = stateFromQuery(
      new URLSearchParams(
        'units=ac&lambda=0.8&sigma=0.03&eta=0.002&gamma=0.0001&N=7&T=450&day=23400&qty=500&price=50&spread=0.04',
      ),
    )
    const mapping = toKernel(inputsOf(state))
    const engine = toKernelParams(
      {
        ...AC_DEFAULTS,
        profile: 'mid_cap',
        riskAversion: 0.8,
        volatility: 0.03,
        temporaryImpact: 0.002,
        permanentImpact: 0.0001,
        numSlices: 7,
        totalTimeSeconds: 450,
      },
      { tradingDaySeconds: 23400, fixedCost: 0.04 / 2 / 50 },
    )
    expect(mapping.params).toEqual(engine)
    expect(mapping.bpsPerCost).toBe(1e4)
    expect(mapping.dollarsPerCost).toBe(500 * 50)
  })

  it("offers the service's asset-class profiles as presets, the same as the engine's", () => {
    const engineKeys = {
      riskAversion: 'lambda',
      volatility: 'sigma',
      temporaryImpact: 'eta',
      permanentImpact: 'gamma',
      numSlices: 'N',
      totalTimeSeconds: 'T',
    } as const
    expect(Object.keys(PROFILE_OVERRIDES).sort()).toEqual(Object.keys(PROFILES).sort())
    for (const [name, over] of Object.entries(PROFILES)) {
      const preset = PRESETS.find((p) => p.id === name)!
      const values = inputsOf(preset.state).values
      for (const [field, key] of Object.entries(engineKeys)) {
        const want =
          (over as Record<string, number>)[field] ?? (AC_DEFAULTS as unknown as Record<string, number>)[field]
        expect(values[key], `${name}.${field}`).toBe(want)
      }
    }
  })

  it('turns the model units into AC_* lines that give the same costs in bps', async () => {
    const core = await loadAcCore()
    const model = inputsOf({ ...paperState, values: { ...paperState.values, unit: '17280' } })
    const lines = acLines(model)
    expect(lines).toContain('AC_RISK_AVERSION=50\n')
    expect(lines).toContain('AC_TOTAL_TIME_SECONDS=86400\n')
    expect(lines).not.toContain('refuses')
    const env = Object.fromEntries(
      lines
        .split('\n')
        .filter((l) => /^AC_/.test(l))
        .map((l) => l.split('=') as [string, string]),
    )
    const ac = inputsOf(
      stateFromQuery(
        new URLSearchParams({
          units: 'ac',
          lambda: env.AC_RISK_AVERSION!,
          sigma: env.AC_VOLATILITY!,
          eta: env.AC_TEMP_IMPACT!,
          gamma: env.AC_PERM_IMPACT!,
          N: env.AC_NUM_SLICES!,
          T: env.AC_TOTAL_TIME_SECONDS!,
          day: env.AC_TRADING_DAY_SECONDS!,
          qty: '1000000',
          price: '50',
          spread: '0.125',
        }),
      ),
    )
    const a = computeFrontier(core, ac).chosen
    const m = computeFrontier(core, model).chosen
    expect(a.expectedCostBps).toBeCloseTo(m.expectedCostBps, 8)
    expect(a.stdDevBps).toBeCloseTo(m.stdDevBps, 8)
    expect(a.expectedCostDollars).toBeCloseTo(lambda1e6.E, 3)
    // and the 5-day horizon at a 6.5-hour day is over the service's limit: said so
    expect(acLines(inputsOf(paperState))).toContain('# AC_TOTAL_TIME_SECONDS above 86400: the service refuses it')
  })

  it('keeps the inputs in the URL: a state survives the round trip, unknown keys are ignored, missing ones default', () => {
    const state: ExplorerState = { units: 'ac', values: { ...defaultState('ac').values, lambda: '1.5', N: '3' } }
    expect(stateFromQuery(new URLSearchParams(stateToQuery(state)))).toEqual(state)
    const partial = stateFromQuery(new URLSearchParams('units=model&lambda=2e-6&junk=1'))
    expect(partial).toEqual({ units: 'model', values: { ...defaultState('model').values, lambda: '2e-6' } })
  })

  it('names each bad field with what is wrong, and the kernel refuses what depends on several (η̃ ≤ 0)', async () => {
    const bad = parseState({
      units: 'ac',
      values: { ...defaultState('ac').values, lambda: '-1', N: '2.5', eta: 'abc', T: '90000', qty: '' },
    })
    expect(bad.ok).toBe(false)
    const messages = bad.ok ? [] : bad.problems.map((p) => `${p.key}: ${p.message}`)
    expect(messages).toEqual([
      'lambda: Risk aversion λ: must be ≥ 0',
      'eta: Temporary impact η: "abc" is not a number (e.g. 0.5 or 2.5e-6)',
      'N: Slices N: must be a whole number',
      'T: Horizon T: must be ≤ 86400',
      'qty: Order quantity X: required',
    ])
    const core = await loadAcCore()
    const tooMuchGamma = inputsOf({ units: 'ac', values: { ...defaultState('ac').values, eta: '0.001', gamma: '1' } })
    expect(() => computeFrontier(core, tooMuchGamma)).toThrow(/temporaryImpact|η̃|eta/i)
  })

  it('spans patient to urgent whatever the units, and has one point when there is no volatility', () => {
    const ac = inputsOf(defaultState('ac'))
    const grid = riskAversionGrid(ac, 0.5)
    expect(grid[0]).toBe(0)
    expect([...grid]).toContain(0.5)
    const flat = inputsOf({ units: 'ac', values: { ...defaultState('ac').values, sigma: '0' } })
    expect([...riskAversionGrid(flat, 0.5)]).toEqual([0, 0.5])
  })
})
