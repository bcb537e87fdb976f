import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  assertPlotFile,
  createWorkerPool,
  formatSimulationTable,
  formatSizeSweepTable,
  parseSizes,
  runSizeSweep,
  sizeSweepChartOption,
  isResearchError,
  runSimulations,
  summarize,
  tcaChartOption,
  writeChart,
  type SimulationSpec,
} from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'acx-research-sim-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const spec: SimulationSpec = {
  strategy: 'almgren_chriss',
  config: {},
  market: 'engine',
  side: 'SELL',
  quantity: 2000,
  price: 50,
  spread: 0.02,
  seed: 11,
}

describe('runSimulations', () => {
  it('gives identical runs on one worker, several workers and in this thread', async () => {
    const twap = { ...spec, strategy: 'twap' as const }
    const inThread = await runSimulations([spec, twap], 40)
    const one = await createWorkerPool(1)
    const three = await createWorkerPool(3)
    try {
      expect(await runSimulations([spec, twap], 40, { pool: one })).toEqual(inThread)
      expect(await runSimulations([spec, twap], 40, { pool: three })).toEqual(inThread)
    } finally {
      await Promise.all([one.close(), three.close()])
    }
    expect(new Set(inThread[0]!.shortfallBps).size).toBeGreaterThan(30) // the runs differ from each other
  })

  it('summarises into the table and the TCA plot', async () => {
    const runs = await runSimulations([{ ...spec, market: 'model' }], 20)
    const summaries = runs.map((r) => summarize(r, 0.5))
    const text = formatSimulationTable(summaries, {
      market: 'model',
      side: 'SELL',
      quantity: 2000,
      price: 50,
      spread: 0.02,
      runs: 20,
      seed: 11,
      riskAversion: 0.5,
    })
    expect(text).toMatch(/^\s*strategy\s+mean_is_bps/m)
    expect(text).toMatch(/^almgren_chriss\s/m)
    const svg = join(dir, 'tca.svg')
    await writeChart(
      tcaChartOption(
        runs.map((r, i) => ({ ...r, predictedMeanBps: summaries[i]!.predictedMeanBps })),
        'TCA',
      ),
      svg,
    )
    const drawn = readFileSync(svg, 'utf8')
    expect(drawn.startsWith('<svg')).toBe(true)
    expect(drawn).toContain('model mean')
  })

  it('refuses a plot file that is neither .svg nor .png', () => {
    expect(() => assertPlotFile('x.pdf')).toThrow()
    try {
      assertPlotFile('x.jpg')
    } catch (e) {
      expect(isResearchError(e)).toBe(true)
    }
    expect(() => assertPlotFile(undefined)).not.toThrow()
  })
})

describe('runSizeSweep', () => {
  it('runs every strategy at every size on the same paths, with AC − WTB per size, as a table and a chart', async () => {
    expect(parseSizes('1%, 0.1,1')).toEqual({ ok: true, value: [0.1, 1] })
    expect(parseSizes('0%').ok).toBe(false)
    expect(parseSizes('').ok).toBe(false)
    const { strategy: _s, quantity: _q, ...base } = spec
    const points = await runSizeSweep(
      { ...base, market: 'model', adv: 100_000 },
      ['almgren_chriss', 'walk_the_book'],
      [0.1, 1],
      6,
      {
        riskAversion: 0.5,
      },
    )
    expect(points.map((p) => p.quantity)).toEqual([100, 1000])
    expect(points.every((p) => p.strategies.length === 2 && p.acMinusWtbBps !== null)).toBe(true)
    const settings = { market: 'model', adv: 100_000, price: 50, spread: 0.02, runs: 6, seed: 11 }
    expect(formatSizeSweepTable(points, settings)).toMatch(/^\s*0\.1%\s+100\s+almgren_chriss/m)
    const svg = join(dir, 'sizes.svg')
    await writeChart(
      sizeSweepChartOption(
        ['almgren_chriss', 'walk_the_book'].map((strategy) => ({
          strategy,
          points: points.map((p) => {
            const x = p.strategies.find((r) => r.strategy === strategy)!
            return { sizePct: p.sizePct, meanBps: x.meanShortfallBps, stderrBps: x.stderrBps }
          }),
        })),
        'sizes',
      ),
      svg,
    )
    expect(readFileSync(svg, 'utf8')).toMatch(/order size \(% of ADV\)/)
  })
})
