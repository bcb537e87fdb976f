import { execFileSync } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { loadAcCoreSync, PAPER_EXAMPLE, SweepStatus } from '@acx/ac-core-wasm'
import { OUTPUT_COLUMNS } from '@acx/research'
import { runFrontierBatch } from '@acx/research'
import { acx, parseCsv, scratchDir } from './cliHarness.js'

const core = loadAcCoreSync()
const tmp = scratchDir()
afterAll(() => tmp.cleanup())

const PAPER = PAPER_EXAMPLE

/** A deterministic pseudo-random grid with a bad row every `badEvery` lines. */
function writeGrid(path: string, rows: number, badEvery = 0): void {
  const lines = ['shares,horizon,slices,volatility,temporary_impact,permanent_impact,fixed_cost,risk_aversion']
  let s = 12345
  const u = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
  for (let i = 0; i < rows; i++) {
    if (badEvery > 0 && i % badEvery === badEvery - 1)
      lines.push(i % 2 ? '1e6,5,5,oops,2.5e-6,0,0,1e-6' : '1e6,5,5,-0.5,2.5e-6,0,0,1e-6')
    else
      lines.push(
        [1e5 + Math.floor(u() * 1e6), 1 + u() * 9, 10, 0.1 + u(), 1e-7 + u() * 1e-6, 0, u() * 0.1, u() * 1e-5].join(
          ',',
        ),
      )
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

describe('acx frontier', () => {
  it('writes the exact columns and the core frontier values for flags over a risk-aversion range', async () => {
    const r = await acx('frontier', '--risk-aversion', '1e-8:1e-5:7', '--log', '--workers', '2')
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const { header, rows } = parseCsv(r.stdout)
    expect(header).toEqual([...OUTPUT_COLUMNS])
    expect(header).toEqual([
      'shares',
      'horizon',
      'slices',
      'volatility',
      'temporary_impact',
      'permanent_impact',
      'fixed_cost',
      'risk_aversion',
      'kappa',
      'expected_cost',
      'variance',
      'std_dev',
      'status',
    ])
    expect(rows).toHaveLength(7)
    const lambdas = rows.map((row) => Number(row[7]))
    expect(lambdas[0]).toBe(1e-8)
    expect(lambdas[6]).toBe(1e-5)
    expect(lambdas[3]).toBeCloseTo(10 ** -6.5, 20) // log spacing: the middle of 1e-8…1e-5
    const f = core.frontier(PAPER, Float64Array.from(lambdas))
    rows.forEach((row, i) => {
      expect(row.slice(0, 7).map(Number)).toEqual([1e6, 5, 5, 0.95, 2.5e-6, 2.5e-7, 0.0625])
      expect(Number(row[8])).toBe(f.kappa[i])
      expect(Number(row[9])).toBe(f.expectedCost[i])
      expect(Number(row[10])).toBe(f.variance[i])
      expect(Number(row[11])).toBe(Math.sqrt(f.variance[i]!))
      expect(row[12]).toBe('ok')
    })
    // The paper's λ = 1e-6: κ ≈ 0.6 per day, E ≈ $0.91M, √V ≈ $0.60M.
    const paper = core.trajectory({ ...PAPER, riskAversion: 1e-6 })
    expect(paper.kappa).toBeCloseTo(0.6, 1)
  })

  it('prints JSON objects keyed by the column names, with linear spacing by default', async () => {
    const r = await acx('frontier', '--risk-aversion', '0:1e-6:3', '--format', 'json', '--workers', '1')
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[]
    expect(rows.map((x) => x.risk_aversion)).toEqual([0, 5e-7, 1e-6])
    expect(Object.keys(rows[0]!)).toEqual([...OUTPUT_COLUMNS])
    expect(rows[0]!.kappa).toBe(0) // λ = 0: the straight line
    const e = core.trajectory({ ...PAPER, riskAversion: 1e-6 }).expectedCost
    expect(Math.abs((rows[2]!.expected_cost as number) / e - 1)).toBeLessThan(1e-12) // sweep and trajectory agree to 1e-12
    expect(rows.every((x) => x.status === 'ok')).toBe(true)
  })

  it('reports bad grid rows with their line numbers and a status, without stopping the batch', async () => {
    const grid = tmp.file('bad.csv')
    writeFileSync(
      grid,
      [
        'shares,horizon,slices,volatility,temporary_impact,risk_aversion', // line 1
        '1e6,5,5,0.95,2.5e-6,1e-6', // 2 ok
        '1e6,5,5,abc,2.5e-6,1e-6', // 3 not a number
        '', // 4 blank: skipped
        '1e6,5,5,-1,2.5e-6,1e-6', // 5 kernel: invalid volatility
        '1e6,5,5,0.95', // 6 too few fields
        '1e6,5,2.5,0.95,2.5e-6,1e-6', // 7 kernel: slices not an integer
        '1e6,5,10,0.95,2.5e-6,2e-6', // 8 ok
      ].join('\n'),
    )
    const r = await acx('frontier', '--grid', grid, '--workers', '2')
    expect(r.code).toBe(0)
    const { rows } = parseCsv(r.stdout)
    expect(rows.map((row) => row[12])).toEqual([
      'ok',
      'parse_error',
      'invalid_volatility',
      'parse_error',
      'invalid_slices',
      'ok',
    ])
    expect(rows[1]![3]).toBe('') // the field that did not parse is empty
    expect(rows[3]!.slice(4, 12).every((c) => c === '' || c === '0')).toBe(true)
    const err = r.stderr.trim().split('\n')
    expect(err[0]).toBe(`acx frontier: ${grid} line 3: parse_error: volatility is not a number ("abc")`)
    expect(err[1]).toBe(`acx frontier: ${grid} line 5: invalid_volatility: volatility must be a finite number ≥ 0`)
    expect(err[2]).toBe(`acx frontier: ${grid} line 6: parse_error: expected 6 fields, found 4`)
    expect(err[3]).toMatch(/line 7: invalid_slices/)
    expect(err[4]).toBe('acx frontier: 4 of 6 rows bad (see the status column)')
    // Missing permanent_impact and fixed_cost columns are zeros; the good rows are the core's numbers.
    const t = core.trajectory({
      shares: 1e6,
      horizon: 5,
      slices: 10,
      volatility: 0.95,
      temporaryImpact: 2.5e-6,
      riskAversion: 2e-6,
    })
    expect(Number(rows[5]![9])).toBe(t.expectedCost)
  })

  it('reads CRLF line ends, a byte-order mark, comments and a last line without a newline', async () => {
    const grid = tmp.file('crlf.csv')
    writeFileSync(
      grid,
      '\uFEFF# a comment\r\nshares,horizon,slices,volatility,temporary_impact,risk_aversion\r\n1e6,5,5,0.95,2.5e-6,1e-6\r\n# another\r\n1e6,5,5,x,2.5e-6,1e-6',
    )
    const r = await acx('frontier', '--grid', grid, '--workers', '1')
    expect(r.code).toBe(0)
    expect(parseCsv(r.stdout).rows.map((row) => row[12])).toEqual(['ok', 'parse_error'])
    expect(r.stderr).toMatch(/crlf\.csv line 5: parse_error: volatility is not a number \("x"\)/)
  })

  it('stops before any row on a header naming an unknown column, or missing one', async () => {
    const grid = tmp.file('header.csv')
    writeFileSync(grid, 'shares,horizon,slices,volatility,temp_impact,risk_aversion\n1,1,1,1,1,1\n')
    const r = await acx('frontier', '--grid', grid, '--workers', '1')
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('') // not even the header line
    expect(r.stderr).toMatch(/unknown column "temp_impact"/)
    writeFileSync(grid, 'shares,horizon,slices,volatility\n1,1,1,1\n')
    const r2 = await acx('frontier', '--grid', grid, '--workers', '1')
    expect(r2.code).toBe(1)
    expect(r2.stdout).toBe('')
    expect(r2.stderr).toMatch(/no column or flag for temporary_impact, risk_aversion \(or --risk-aversion\)/)
  })

  it('expands a grid without risk_aversion over --risk-aversion and fills missing columns from given flags', async () => {
    const grid = tmp.file('expand.csv')
    writeFileSync(grid, 'shares,horizon,slices,volatility\n1e6,5,5,0.95\n2e6,5,5,0.95\n')
    const r = await acx(
      'frontier',
      '--grid',
      grid,
      '--temporary-impact',
      '2.5e-6',
      '--risk-aversion',
      '0:2e-6:3',
      '--workers',
      '1',
    )
    expect(r.code).toBe(0)
    const { rows } = parseCsv(r.stdout)
    // Grid cells are echoed as written; the expanded λ and flag values are formatted.
    expect(rows.map((row) => [row[0], row[4], row[7]])).toEqual([
      ['1e6', '0.0000025', '0'],
      ['1e6', '0.0000025', '0.000001'],
      ['1e6', '0.0000025', '0.000002'],
      ['2e6', '0.0000025', '0'],
      ['2e6', '0.0000025', '0.000001'],
      ['2e6', '0.0000025', '0.000002'],
    ])
    expect(rows.every((row) => row[12] === 'ok')).toBe(true)
  })

  it('keeps input order across chunks and gives identical output with one and with several workers', async () => {
    const grid = tmp.file('order.csv')
    writeGrid(grid, 5003, 97)
    const one = await acx('frontier', '--grid', grid, '--workers', '1', '--chunk-rows', '64')
    const three = await acx('frontier', '--grid', grid, '--workers', '3', '--chunk-rows', '61')
    expect(one.code).toBe(0)
    expect(three.stdout).toBe(one.stdout)
    expect(three.stderr).toBe(one.stderr)
    const { rows } = parseCsv(one.stdout)
    const input = readFileSync(grid, 'utf8').trim().split('\n').slice(1)
    expect(rows).toHaveLength(5003)
    // Row i of the output is line i + 2 of the grid: same inputs, in order.
    rows.forEach((row, i) => {
      const cells = input[i]!.split(',')
      expect(row.slice(0, 8)).toEqual(cells.map((c) => (Number.isNaN(Number(c)) ? '' : c)))
    })
    const bad = rows.filter((row) => row[12] !== 'ok')
    expect(bad).toHaveLength(Math.floor(5003 / 97))
    expect(new Set(bad.map((row) => row[12]))).toEqual(new Set(['parse_error', 'invalid_volatility']))
    // The stderr listing is capped (50 lines) and counted.
    expect(one.stderr).toMatch(/1 more bad rows not listed/)
    expect(one.stderr).toMatch(/51 of 5003 rows bad/)
    // Every good row is the kernel's answer for its inputs.
    const i = rows.findIndex((row) => row[12] === 'ok')
    const row = rows[i]!.map(Number)
    const t = core.trajectory({
      shares: row[0]!,
      horizon: row[1]!,
      slices: row[2]!,
      volatility: row[3]!,
      temporaryImpact: row[4]!,
      permanentImpact: row[5]!,
      fixedCost: row[6]!,
      riskAversion: row[7]!,
    })
    expect(row[9]).toBe(t.expectedCost)
    expect(Number(SweepStatus.OK)).toBe(0)
  })

  it('writes a valid JSON array for a grid, the same on one and on several workers', async () => {
    const grid = tmp.file('json.csv')
    writeGrid(grid, 700, 50)
    const one = await acx('frontier', '--grid', grid, '--format', 'json', '--workers', '1', '--chunk-rows', '50')
    const two = await acx('frontier', '--grid', grid, '--format', 'json', '--workers', '2', '--chunk-rows', '37')
    expect(two.stdout).toBe(one.stdout)
    const rows = JSON.parse(one.stdout) as { status: string; volatility: number | null; expected_cost: number | null }[]
    expect(rows).toHaveLength(700)
    const bad = rows.filter((r) => r.status !== 'ok')
    expect(bad).toHaveLength(14)
    expect(bad.every((r) => r.expected_cost === null)).toBe(true)
    expect(bad.some((r) => r.status === 'parse_error' && r.volatility === null)).toBe(true)
  })

  it('streams: rows come out while the grid is still being written (a FIFO)', async () => {
    const fifo = tmp.file('grid.fifo')
    execFileSync('mkfifo', [fifo])
    const out = tmp.file('fifo.out.csv')
    const batch = runFrontierBatch({
      grid: fifo,
      defaults: {},
      format: 'csv',
      out,
      workers: 2,
      chunkRows: 500,
    })
    const row = '1e6,5,10,0.95,2.5e-6,0,0,1e-6\n'
    const writer = createWriteStream(fifo)
    writer.write(
      `shares,horizon,slices,volatility,temporary_impact,permanent_impact,fixed_cost,risk_aversion\n${row.repeat(10_000)}`,
    )
    const lines = (): number => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').length - 1 : 0)
    const deadline = Date.now() + 10_000
    while (lines() < 5_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const whileOpen = lines()
    writer.end(row.repeat(10_000))
    const summary = await batch
    expect(whileOpen).toBeGreaterThanOrEqual(5_000) // written before the input ended
    expect(summary).toMatchObject({ rows: 20_000, badRows: 0 })
    expect(lines()).toBe(20_001)
  })

  it('writes a grid far larger than a chunk to --out', async () => {
    const grid = tmp.file('big.csv')
    const out = tmp.file('big.out.csv')
    writeGrid(grid, 40_000)
    const summary = await runFrontierBatch({
      grid,
      defaults: {},
      format: 'csv',
      out,
      workers: 2,
      chunkRows: 4096,
    })
    expect(summary).toMatchObject({ rows: 40_000, badRows: 0 })
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(40_001)
  })

  it('draws the frontier as SVG and PNG with the chosen risk aversion marked', async () => {
    const svgFile = tmp.file('frontier.svg')
    const pngFile = tmp.file('frontier.png')
    const r = await acx(
      'frontier',
      '--risk-aversion',
      '1e-8:1e-5:12',
      '--log',
      '--mark',
      '1e-6',
      '--plot',
      svgFile,
      '--workers',
      '1',
    )
    expect(r.code).toBe(0)
    const svg = readFileSync(svgFile, 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(svg).toContain('expected cost E')
    expect(svg).toContain('λ = 0.000001')
    // 12 frontier points (symbols) plus the marker: the line series draws one symbol path per point.
    const symbols = svg.match(/<path d="M1 0A1 1 0 1 1 1 -0\.1A1 1 0 0 1 1 0"/g) ?? []
    expect(symbols.length).toBeGreaterThanOrEqual(12)
    const r2 = await acx('frontier', '--risk-aversion', '1e-8:1e-5:12', '--log', '--plot', pngFile, '--workers', '1')
    expect(r2.code).toBe(0)
    const png = readFileSync(pngFile)
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    expect(png.readUInt32BE(16)).toBe(960) // IHDR width
    expect(png.readUInt32BE(20)).toBe(600)
  })

  it('draws a grid as a scatter of its rows, marking the row nearest --mark', async () => {
    const grid = tmp.file('plot.csv')
    writeGrid(grid, 40)
    const svgFile = tmp.file('grid.svg')
    const r = await acx('frontier', '--grid', grid, '--plot', svgFile, '--mark', '5e-6', '--workers', '2')
    expect(r.code).toBe(0)
    const svg = readFileSync(svgFile, 'utf8')
    expect(svg).toContain('Almgren–Chriss grid')
    expect((svg.match(/<path d="M1 0A1 1 0 1 1 1 -0\.1A1 1 0 0 1 1 0"/g) ?? []).length).toBeGreaterThanOrEqual(40)
    expect(svg).toMatch(/chosen λ = 0\.00000[45]\d*/)
  })

  it('draws a progress bar on stderr only when stderr is a terminal', async () => {
    const quiet = await acx('frontier', '--risk-aversion', '0:1e-5:100', '--workers', '1')
    expect(quiet.stderr).toBe('')
    const was = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY')
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true })
    try {
      const tty = await acx('frontier', '--risk-aversion', '0:1e-5:100', '--workers', '1')
      expect(tty.code).toBe(0)
      expect(tty.stderr).toMatch(/acx frontier \[.*\] 100% \| 100 rows/)
      expect(tty.stdout).toBe(quiet.stdout) // stdout untouched
    } finally {
      if (was) Object.defineProperty(process.stderr, 'isTTY', was)
      else delete (process.stderr as { isTTY?: boolean }).isTTY
    }
  })

  it('rejects a bad range and a plot file that is neither .svg nor .png', async () => {
    const r = await acx('frontier', '--risk-aversion', '0:1:5', '--log')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/--log needs FROM and TO > 0/)
    const r2 = await acx('frontier', '--plot', tmp.file('x.pdf'))
    expect(r2.code).toBe(1)
    expect(r2.stdout).toBe('')
    expect(r2.stderr).toMatch(/use a \.svg or \.png file name/)
  })
})
