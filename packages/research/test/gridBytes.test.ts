// The byte-level grid parser and text writer against the string implementation they replaced, kept here
// as the oracle: the same rows, values, messages, line counts, and output bytes, for grids of every kind
// of cell and line (whitespace of all sorts, CRLF, comments, byte order marks, invalid UTF-8, wrong field
// counts, numbers in every notation), in every layout (reordered, missing, expanded columns).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChunkBuilder } from '../src/chunkBuilder.js'
import {
  INPUT_COLUMNS,
  PARSE_ERROR,
  chunkColumnsFor,
  type BadRow,
  type EncodedResult,
  type FrontierChunk,
  type InputColumn,
} from '../src/frontierRows.js'
import { gridLayout, type GridLayout, type RowSourceOptions } from '../src/gridReader.js'
import { parseGridBytes } from '../src/gridBytes.js'
import { NumberColumnText } from '../src/numberColumnText.js'
import { Bytes } from '../src/bytes.js'
import { handleRequest } from '../src/researchWorker.js'

// ---- the oracle: the string implementation as it was -------------------------------------------------

const cellText = (x: number): string => (Number.isNaN(x) ? '' : String(x))
const LAMBDA = INPUT_COLUMNS.indexOf('risk_aversion')

interface OracleRow {
  readonly values: readonly number[]
  readonly line: number
  readonly error: string | undefined
  readonly prefix: string
}

/** The former `parseGridText`, row by row (chunking aside). */
function oracleRows(text: string, layout: GridLayout): OracleRow[] {
  const rows: OracleRow[] = []
  const values = new Float64Array(INPUT_COLUMNS.length)
  const fieldCount = layout.fieldColumns.length
  const expand = layout.expand
  const cells: string[] = layout.base.map(cellText)
  const lambdaTexts = expand === null ? [] : Array.from(expand, cellText)
  let lineNo = 0
  let start = 0
  while (start < text.length) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    lineNo++
    let line = text.slice(start, end)
    start = end + 1
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (line.length === 0 || line.startsWith('#') || line.trim() === '') continue
    const fields = line.split(',')
    for (let j = 0; j < values.length; j++) values[j] = layout.base[j] as number
    let error: string | undefined
    if (fields.length !== fieldCount) error = `expected ${fieldCount} fields, found ${fields.length}`
    const n = Math.min(fields.length, fieldCount)
    for (let k = 0; k < fieldCount; k++) {
      const col = layout.fieldColumns[k] as number
      if (k >= n) {
        cells[col] = ''
        continue
      }
      const cell = (fields[k] as string).trim()
      const v = cell.length === 0 ? Number.NaN : Number(cell)
      values[col] = v
      cells[col] = Number.isNaN(v) ? '' : cell
      if (Number.isNaN(v) && error === undefined) error = `${layout.fieldNames[k]} is not a number ("${cell}")`
    }
    if (expand === null) {
      rows.push({ values: Array.from(values), line: lineNo, error, prefix: cells.join(',') })
      continue
    }
    const fixed = cells.slice(0, LAMBDA).join(',')
    for (let i = 0; i < expand.length; i++) {
      values[LAMBDA] = expand[i] as number
      rows.push({ values: Array.from(values), line: lineNo, error, prefix: `${fixed},${lambdaTexts[i] as string}` })
    }
  }
  return rows
}

/** The former `countLines`. */
function oracleLines(text: string): number {
  if (text.length === 0) return 0
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return text.endsWith('\n') ? n : n + 1
}

const csvNumber = (x: number): string => (Number.isNaN(x) ? '' : String(x))
const jsonNumber = (x: number): string => (Number.isFinite(x) ? String(x) : 'null')

/**
 * The former worker's result for a piece: rows parsed by the oracle, swept in one chunk (the kernel's
 * results do not depend on chunking; the Arrow encoding hands them back as columns), formatted by the
 * former `formatText`.
 */
async function oracleResult(bytes: Uint8Array, layout: GridLayout, format: 'csv' | 'json' | 'jsonl') {
  const text = new TextDecoder('utf-8').decode(bytes)
  const rows = oracleRows(text, layout)
  const n = rows.length
  const columns = chunkColumnsFor(n)
  const parseError = new Uint8Array(n)
  const lines = new Float64Array(n)
  const parseErrors: BadRow[] = []
  rows.forEach((r, i) => {
    INPUT_COLUMNS.forEach((c, j) => (columns[c][i] = r.values[j] as number))
    lines[i] = r.line
    if (r.error === undefined) return
    parseError[i] = 1
    parseErrors.push({ line: r.line, status: PARSE_ERROR, message: r.error })
  })
  const chunk: FrontierChunk = { rows: n, columns, parseError, lines }
  const swept = (await handleRequest({
    kind: 'frontier',
    chunk,
    parseErrors,
    format: 'arrow',
    wantPoints: true,
  })) as EncodedResult
  const batch = swept.batches?.[0]
  const result = (j: number, i: number): number =>
    batch === undefined ? Number.NaN : (batch.numbers[j]?.[i] as number)
  const status = (i: number): string =>
    new TextDecoder().decode(batch?.statusData.subarray(batch.statusOffsets[i], batch.statusOffsets[i + 1]))
  const cols = INPUT_COLUMNS.map((name) => columns[name])
  const parts = rows.map((row, i) => {
    const values = [8, 9, 10, 11].map((j) => result(j, i))
    if (format === 'csv') return `${row.prefix},${values.map((x) => `${csvNumber(x)},`).join('')}${status(i)}`
    let obj = '{'
    for (let j = 0; j < cols.length; j++) obj += `"${INPUT_COLUMNS[j]}":${jsonNumber(cols[j]![i] as number)},`
    obj += `"kappa":${jsonNumber(values[0]!)},"expected_cost":${jsonNumber(values[1]!)},"variance":${jsonNumber(values[2]!)},"std_dev":${jsonNumber(values[3]!)},`
    return `${obj}"status":"${status(i)}"}`
  })
  return {
    text: parts.join(format === 'json' ? ',\n' : '\n'),
    rows,
    bad: swept.bad,
    points: swept.points,
    lines: oracleLines(text),
  }
}

// ---- grids -------------------------------------------------------------------------------------------

const utf8 = new TextEncoder()
const concatBytes = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))

const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max })

const decimal = fc
  .tuple(
    fc.constantFrom('', '', '-', '+'),
    digits(0, 18),
    fc.option(digits(0, 18), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.integer({ min: 0, max: 330 })), {
      nil: undefined,
    }),
  )
  .map(([s, i, f, e]) => `${s}${i}${f === undefined ? '' : `.${f}`}${e === undefined ? '' : e.join('')}`)

/** A plausible value for a column, so that some rows pass the kernel. */
const plausible: Record<InputColumn, fc.Arbitrary<number>> = {
  shares: fc.integer({ min: 1e4, max: 1e6 }),
  horizon: fc.double({ min: 1, max: 10, noNaN: true }),
  slices: fc.integer({ min: 1, max: 20 }),
  volatility: fc.double({ min: 0.1, max: 1, noNaN: true }),
  temporary_impact: fc.double({ min: 1e-7, max: 1e-6, noNaN: true }),
  permanent_impact: fc.double({ min: 0, max: 1e-8, noNaN: true }),
  fixed_cost: fc.double({ min: 0, max: 0.1, noNaN: true }),
  risk_aversion: fc.double({ min: 0, max: 1e-5, noNaN: true }),
}
const written = (x: fc.Arbitrary<number>): fc.Arbitrary<string> =>
  fc
    .tuple(x, fc.integer({ min: 0, max: 12 }))
    .chain(([v, p]) => fc.constantFrom(String(v), v.toExponential(p), v.toFixed(p), v.toPrecision(p + 1)))

const SPACES = [' ', '\t', '\r', '\v', '\f', '\u00a0', '\ufeff', '\u3000', '\u2028']
const padding = fc.string({ unit: fc.constantFrom(...SPACES), maxLength: 2 })
/** Bytes that are not UTF-8: a lone continuation byte, a truncated sequence, 0xff. */
const invalid = fc.constantFrom([0x80], [0xc3], [0xe2, 0x82], [0xff], [0xef, 0xbb, 0xbf, 0x31])

const oddCell: fc.Arbitrary<string> = fc.constantFrom(
  '',
  ' ',
  'abc',
  'Infinity',
  '-Infinity',
  'NaN',
  '0x1A',
  '0b11',
  '1_000',
  '1e400',
  '-1e400',
  '5e-324',
  '-0',
  '.5',
  '5.',
  '+3',
  '1e',
  '"1"',
  'é',
  '1 2',
  '123456789012345678901234567890',
  '0.1234567890123456789',
)

/** One field, as bytes. */
const cell = (column: InputColumn): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 6, arbitrary: written(plausible[column]).map((s) => utf8.encode(s)) },
    { weight: 3, arbitrary: decimal.map((s) => utf8.encode(s)) },
    { weight: 2, arbitrary: oddCell.map((s) => utf8.encode(s)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(padding, fc.oneof(written(plausible[column]), decimal, oddCell), padding)
        .map(([a, s, b]) => utf8.encode(`${a}${s}${b}`)),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(invalid, decimal).map(([bad, s]) => concatBytes([Uint8Array.from(bad), utf8.encode(s)])),
    },
  )

const NL = utf8.encode('\n')
const CRLF = utf8.encode('\r\n')

/** A line of a grid whose header is `names`: a row (sometimes with too few or too many fields) or not. */
const line = (names: readonly InputColumn[]): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc
        .tuple(
          fc.tuple(...names.map(cell)),
          fc.constantFrom(0, 0, 0, 0, -1, 1, 2),
          fc.constantFrom('shares' as const, 'fixed_cost' as const).chain(cell),
        )
        .map(([cells, extra, spare]) => {
          const fields = extra < 0 ? cells.slice(0, names.length + extra) : [...cells, ...Array(extra).fill(spare)]
          return concatBytes(fields.flatMap((f, k) => (k === 0 ? [f] : [utf8.encode(','), f])))
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '',
          ' ',
          '\t \r',
          '\u00a0',
          '\ufeff',
          '\u3000 ',
          '#',
          '# a comment, with commas',
          ' #x',
          '\r',
          ',',
          ',,,',
        )
        .map((s) => utf8.encode(s)),
    },
  )

/** A piece of grid: lines with LF or CRLF ends, the last maybe without, sometimes after a byte order mark. */
const piece = (names: readonly InputColumn[]): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(
      fc.array(fc.tuple(line(names), fc.constantFrom(NL, NL, CRLF)), { maxLength: 30 }),
      fc.boolean(),
      fc.constantFrom(false, false, false, true),
    )
    .map(([lines, lastEnds, bom]) =>
      concatBytes([
        ...(bom ? [Uint8Array.from([0xef, 0xbb, 0xbf])] : []),
        ...lines.flatMap(([l, end], i) => (i < lines.length - 1 || lastEnds ? [l, end] : [l])),
      ]),
    )

const riskAversions = { length: 3, value: (i: number): number => [0, 1e-6, 2.5e-6][i] as number }

/** Grid layouts: every column in order, reordered, some from flags, risk aversion expanded. */
const LAYOUTS: readonly { names: readonly InputColumn[]; opts: RowSourceOptions }[] = [
  { names: INPUT_COLUMNS, opts: { chunkRows: 1, defaults: {} } },
  {
    names: [
      'risk_aversion',
      'temporary_impact',
      'shares',
      'horizon',
      'slices',
      'volatility',
      'fixed_cost',
      'permanent_impact',
    ],
    opts: { chunkRows: 1, defaults: {} },
  },
  {
    names: ['shares', 'horizon', 'slices', 'volatility', 'temporary_impact', 'risk_aversion'],
    opts: { chunkRows: 1, defaults: {} },
  },
  {
    names: ['shares', 'horizon', 'slices', 'volatility', 'temporary_impact', 'permanent_impact', 'fixed_cost'],
    opts: { chunkRows: 1, defaults: {}, riskAversions },
  },
  {
    names: ['volatility', 'shares'],
    opts: {
      chunkRows: 1,
      defaults: { horizon: 5, slices: 10, temporary_impact: 2.5e-7, fixed_cost: 0.0625 },
      riskAversions,
    },
  },
]

const layoutOf = (l: (typeof LAYOUTS)[number]): GridLayout => gridLayout(l.names, 'test', l.opts)

// ---- the properties ----------------------------------------------------------------------------------

const text = new TextDecoder()

/** What the new parser makes of a piece, chunk by chunk, as the oracle's rows. */
function parsedRows(bytes: Uint8Array, layout: GridLayout, chunkRows: number) {
  const rows: OracleRow[] = []
  const sizes: number[] = []
  const errors: BadRow[] = []
  const chunks = parseGridBytes(bytes, layout, new ChunkBuilder(chunkRows, true, true))
  for (;;) {
    const next = chunks.next()
    if (next.done === true) return { rows, sizes, errors, lines: next.value }
    const { chunk, parseErrors } = next.value
    sizes.push(chunk.rows)
    errors.push(...parseErrors)
    const t = chunk.inputText
    for (let i = 0; i < chunk.rows; i++)
      rows.push({
        values: INPUT_COLUMNS.map((c) => chunk.columns[c][i] as number),
        line: chunk.lines[i] as number,
        error:
          chunk.parseError[i] === 1 ? (parseErrors.find((e) => e.line === chunk.lines[i])?.message ?? '?') : undefined,
        prefix: t === undefined ? '(none)' : text.decode(t.bytes.subarray(t.starts[i], t.ends[i])),
      })
  }
}

describe('parseGridBytes', () => {
  it('gives the rows, values, messages, input cells and line count the string parser gave, in chunks of chunkRows', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...LAYOUTS)
          .chain((l) => fc.tuple(fc.constant(l), piece(l.names), fc.constantFrom(1, 2, 3, 7, 64))),
        ([l, bytes, chunkRows]) => {
          const layout = layoutOf(l)
          const expected = oracleRows(new TextDecoder('utf-8').decode(bytes), layout)
          const got = parsedRows(bytes, layout, chunkRows)
          expect(got.rows).toEqual(expected)
          expect(got.errors.map((e) => e.message)).toEqual(
            expected.flatMap((r) => (r.error === undefined ? [] : [r.error])),
          )
          expect(got.lines).toBe(oracleLines(new TextDecoder('utf-8').decode(bytes)))
          expect(got.sizes.slice(0, -1).every((s) => s === chunkRows)).toBe(true)
          expect(got.sizes.reduce((a, b) => a + b, 0)).toBe(expected.length)
        },
      ),
      { numRuns: 1500 },
    )
  })

  it('reuses one builder piece after piece, whatever the last piece left', () => {
    const layout = layoutOf(LAYOUTS[0]!)
    const b = new ChunkBuilder(4, true, true)
    const first = parseGridBytes(utf8.encode('1,2,3,4,5,6,7,8\nx,2,3,4,5,6,7,8\n'), layout, b)
    first.next() // abandoned midway
    const rows = [...parseGridBytes(utf8.encode('9,2,3,4,5,6,7,8\n'), layout, b)]
    expect(rows).toHaveLength(1)
    expect(rows[0]!.chunk.rows).toBe(1)
    expect(rows[0]!.parseErrors).toEqual([])
    expect(rows[0]!.chunk.columns.shares[0]).toBe(9)
  })
})

describe('the worker on a piece of grid', () => {
  it('writes the bytes the string formatter wrote, with the same bad rows, points and line count', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...LAYOUTS)
          .chain((l) =>
            fc.tuple(
              fc.constant(l),
              piece(l.names),
              fc.constantFrom(1, 3, 64),
              fc.constantFrom('csv' as const, 'json' as const, 'jsonl' as const),
            ),
          ),
        async ([l, bytes, chunkRows, format]) => {
          const layout = layoutOf(l)
          const expected = await oracleResult(bytes, layout, format)
          const got = (await handleRequest({
            kind: 'grid',
            task: { bytes, layout, chunkRows, format, wantPoints: true },
          })) as EncodedResult
          expect(text.decode(got.text)).toBe(expected.text)
          expect(got.bad).toEqual(expected.bad)
          expect(got.rows).toBe(expected.rows.length)
          expect(got.lines).toBe(expected.lines)
          expect(got.points).toEqual(expected.points)
        },
      ),
      { numRuns: 600 },
    )
  })

  it('writes a large plausible grid as the string formatter did, across chunks', async () => {
    const rows = fc.sample(fc.tuple(...INPUT_COLUMNS.map((c) => written(plausible[c]))), { numRuns: 5000, seed: 7 })
    const bytes = utf8.encode(`${rows.map((r) => r.join(',')).join('\n')}\n`)
    const layout = layoutOf(LAYOUTS[0]!)
    const expected = await oracleResult(bytes, layout, 'csv')
    expect(expected.text).toMatch(/,ok\n/)
    const got = (await handleRequest({
      kind: 'grid',
      task: { bytes, layout, chunkRows: 999, format: 'csv', wantPoints: false },
    })) as EncodedResult
    expect(text.decode(got.text)).toBe(expected.text)
  })
})

describe('NumberColumnText', () => {
  it('gives each number as String(x) (CSV: NaN empty; JSON: null when not finite)', () => {
    const special = fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity, 5e-324, 1e21, 1e-7, 123456789012345680000)
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), special, fc.integer()), { maxLength: 50 }), (xs) => {
        const col = Float64Array.from(xs)
        const t = new NumberColumnText()
        const csv = new Bytes()
        t.format(col, col.length)
        for (const x of col) {
          t.csv(csv, x)
          csv.byte(0x2c)
        }
        expect(text.decode(csv.view())).toBe(Array.from(col, (x) => `${Number.isNaN(x) ? '' : String(x)},`).join(''))
        const json = new Bytes()
        t.format(col, col.length)
        for (let i = 0; i < col.length; i++) {
          t.json(json)
          json.byte(0x2c)
        }
        expect(text.decode(json.view())).toBe(
          Array.from(col, (x) => `${Number.isFinite(x) ? String(x) : 'null'},`).join(''),
        )
      }),
      { numRuns: 5000 },
    )
  })

  it('formats a column shorter than the last one', () => {
    const t = new NumberColumnText()
    t.format(Float64Array.of(1.5, 2.5, 3.5), 3)
    t.format(Float64Array.of(0.25, 9), 1)
    const out = new Bytes()
    t.json(out)
    expect(text.decode(out.view())).toBe('0.25')
  })
})
