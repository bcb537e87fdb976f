import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { acx, scratchDir } from './cliHarness.js'

const tmp = scratchDir()
afterAll(() => tmp.cleanup())

describe('acx simulate', () => {
  it('reports per strategy shortfall, fill and fallback rates and time, with the model beside AC', async () => {
    process.env.AC_IMPACT_MODEL = 'order_fraction' // the guide's semantics, whose numbers are checked here
    onTestFinished(() => {
      delete process.env.AC_IMPACT_MODEL
    })
    const r = await acx('simulate', '--runs', '60', '--seed', '3', '--workers', '2', '--format', 'json')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.settings).toMatchObject({ market: 'engine', runs: 60, seed: 3, riskAversion: 0.5 })
    const by = Object.fromEntries(out.strategies.map((s: { strategy: string }) => [s.strategy, s]))
    expect(Object.keys(by)).toEqual(['almgren_chriss', 'walk_the_book', 'twap', 'market'])
    const ac = by.almgren_chriss
    expect(ac.runs).toBe(60)
    expect(ac.fillRate).toBe(1) // the market fallback completes every order
    expect(ac.fallbackRate).toBeGreaterThanOrEqual(0)
    expect(ac.avgExecutionSeconds).toBeGreaterThanOrEqual(240)
    expect(ac.predictedMeanBps).toBeCloseTo(1.034, 3) // half spread 1 bp + impact (defaults)
    expect(ac.predictedStdBps).toBeCloseTo(10.4, 1)
    expect(Number.isFinite(ac.meanShortfallBps) && Number.isFinite(ac.stdShortfallBps)).toBe(true)
    expect(by.market.predictedMeanBps).toBeNull()
    expect(by.market.stdShortfallBps).toBe(0) // one market order at the far touch, the same every run
    expect(by.market.avgExecutionSeconds).toBe(0)
    expect(r.stderr).toMatch(/acx simulate: 240 executions in/)
  })

  it('prints a table and draws the TCA plot', async () => {
    const svg = tmp.file('tca.svg')
    const png = tmp.file('tca.png')
    const r = await acx(
      'simulate',
      '--strategy',
      'almgren_chriss,market',
      '--runs',
      '30',
      '--workers',
      '1',
      '--market',
      'model',
      '--plot',
      svg,
    )
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^\s*strategy\s+mean_is_bps/m)
    expect(r.stdout).toMatch(/^almgren_chriss\s/m)
    const text = readFileSync(svg, 'utf8')
    expect(text.startsWith('<svg')).toBe(true)
    expect(text).toContain('almgren_chriss')
    expect(text).toContain('model mean')
    const r2 = await acx('simulate', '--strategy', 'twap', '--runs', '10', '--workers', '1', '--plot', png)
    expect(r2.code).toBe(0)
    expect([...readFileSync(png).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
  })

  it('rejects an unknown strategy', async () => {
    const r = await acx('simulate', '--strategy', 'vwap')
    expect(r.code).toBe(1) // commander's code for an invalid option argument
    expect(r.stderr).toMatch(/comma-separated list/)
  })

  it('sweeps order sizes: Almgren–Chriss beats walk-the-book on a large order, walk-the-book is as good and far faster on a tiny one', async () => {
    const svg = tmp.file('sizes.svg')
    const r = await acx(
      'simulate',
      '--sizes',
      '0.01%,5%',
      '--strategy',
      'almgren_chriss,walk_the_book',
      '--runs',
      '24',
      '--workers',
      '2',
      '--format',
      'json',
      '--plot',
      svg,
    )
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.settings).toMatchObject({ adv: 1_000_000, market: 'engine', runs: 24 })
    const [tiny, large] = out.sizes
    expect(tiny.quantity).toBe(100)
    expect(large.quantity).toBe(50_000)
    const by = (p: { strategies: { strategy: string }[] }, s: string): Record<string, number> =>
      p.strategies.find((x) => x.strategy === s) as unknown as Record<string, number>
    // 5 % of ADV: the walk's market order for what it could not fill pays η·σ·r/V̄ on most of the order
    expect(large.acMinusWtbZ).toBeLessThan(-3)
    expect(by(large, 'walk_the_book').meanShortfallBps!).toBeGreaterThan(500)
    expect(by(large, 'almgren_chriss').avgExecutionSeconds!).toBeGreaterThan(300) // the participation cap extended it
    // 0.01 %: no significant difference, and the walk finishes in under a tenth of the time
    expect(Math.abs(tiny.acMinusWtbZ)).toBeLessThan(3)
    expect(by(tiny, 'walk_the_book').avgExecutionSeconds! * 10).toBeLessThan(
      by(tiny, 'almgren_chriss').avgExecutionSeconds!,
    )
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*order size \(% of ADV\)[\s\S]*<\/svg>$/)
    const bad = await acx('simulate', '--sizes', '0%,1%')
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/a size must be a % of ADV in \(0, 100\]/)
  })
})
