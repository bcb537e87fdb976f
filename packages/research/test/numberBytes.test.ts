import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { numberFromBytes, scanDecimal, scanned } from '../src/numberBytes.js'

const utf8 = new TextEncoder()

/** `numberFromBytes` over the whole of `text`, as UTF-8. */
const parse = (text: string): number => {
  const bytes = utf8.encode(text)
  return numberFromBytes(bytes, 0, bytes.length)
}

/** Holds `numberFromBytes` to `Number` on `text`: the same double, -0 and NaN included. */
const same = (text: string): boolean => Object.is(parse(text), Number(text))

const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max })

/** Decimal literals as a grid holds them: signs, leading zeros, points, long significands, exponents. */
const decimal = fc
  .tuple(
    fc.constantFrom('', '', '-', '+'),
    fc.oneof(digits(0, 4), digits(0, 17), digits(15, 40)),
    fc.option(fc.oneof(digits(0, 4), digits(0, 17), digits(15, 40)), { nil: undefined }),
    fc.option(
      fc.tuple(
        fc.constantFrom('e', 'E'),
        fc.constantFrom('', '-', '+'),
        fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 280, max: 330 }), fc.integer({ min: 0, max: 400 })),
        fc.constantFrom('', '0', '00'),
      ),
      { nil: undefined },
    ),
  )
  .map(
    ([sign, int, frac, exp]) =>
      `${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : `${exp[0]}${exp[1]}${exp[3]}${exp[2]}`}`,
  )

/** Anything made of the characters a number is made of, and some it is not. */
const garbage = fc.string({
  unit: fc.constantFrom(...'0123456789+-.eExXoObBabcfINnity_ \t\r\v\f', '\u00a0', '\ufeff', '\u3000', '\u2028', 'é'),
  maxLength: 12,
})

/** Doubles as JavaScript writes them, in each of its notations. */
const written = fc
  .tuple(fc.double(), fc.integer({ min: 1, max: 21 }), fc.integer({ min: 0, max: 20 }))
  .chain(([x, precision, fixed]) =>
    fc.constantFrom(
      String(x),
      Number.isFinite(x) ? x.toPrecision(precision) : String(x),
      Number.isFinite(x) ? x.toExponential(fixed) : String(x),
      Number.isFinite(x) && Math.abs(x) < 1e21 ? x.toFixed(fixed) : String(x),
    ),
  )

describe('numberFromBytes', () => {
  it('reads what Number reads, to the same double, for decimal literals of every shape', () => {
    fc.assert(fc.property(decimal, same), { numRuns: 100_000 })
  })

  it('reads what Number reads for doubles as JavaScript writes them, subnormals and extremes included', () => {
    fc.assert(fc.property(written, same), { numRuns: 50_000 })
  })

  it('reads what Number reads (mostly NaN) for other text, surrounding whitespace included', () => {
    fc.assert(fc.property(garbage, same), { numRuns: 50_000 })
    fc.assert(
      fc.property(
        fc.constantFrom(' ', '\t', '\u00a0', '\ufeff', ''),
        decimal,
        fc.constantFrom(' ', '\r', ''),
        (a, d, b) => same(`${a}${d}${b}`),
      ),
      { numRuns: 10_000 },
    )
  })

  it('agrees with Number on the edges of its fast path and on what it leaves to Number', () => {
    const edges = [
      '0',
      '-0',
      '+0',
      '0.0',
      '-0.0e5',
      '0e999999999',
      '00012',
      '.5',
      '5.',
      '+3',
      '-.5',
      '1.e5',
      '9007199254740991',
      '9007199254740992',
      '9007199254740993',
      '900719925474099.3',
      '123456789012345678',
      '1e22',
      '1e23',
      '1e-22',
      '1e-23',
      '123456789012345e22',
      '123456789012345e-22',
      '4.9e-324',
      '5e-324',
      '2.2250738585072014e-308',
      '1.7976931348623157e308',
      '1.7976931348623159e308',
      '1e309',
      '-1e309',
      '0.1',
      '0.2',
      '0.30000000000000004',
      '3.225543e-7',
      '262345',
      '1.793125',
      '0.000001',
      '1e21',
      '0.1e1',
      '1000000000000000000000',
      '100000000000000000000000e-3',
      '0.0000000000000000000001e22',
      'Infinity',
      '-Infinity',
      '+Infinity',
      'infinity',
      'NaN',
      '0x10',
      '0X1f',
      '-0x10',
      '0o17',
      '0b101',
      '1_000',
      '1e',
      '1e+',
      '1e-',
      'e5',
      '.',
      '+',
      '-',
      '',
      ' ',
      '1 2',
      '--1',
      '+-1',
      '1..2',
      '1e5.5',
      '١',
    ]
    for (const text of edges) expect(parse(text), text).toBe(Number(text))
  })

  it('stops at the first character past a decimal literal or at the end, and leaves a long one to Number (NaN)', () => {
    const bytes = utf8.encode('12.5e3,7')
    expect(scanDecimal(bytes, 0)).toBe(12500)
    expect(scanned.end).toBe(6)
    const long = utf8.encode('0.12345678901234567,')
    expect(scanDecimal(long, 0)).toBeNaN()
    expect(scanned.end).toBe(19)
    const last = utf8.encode('7,-2.5e-1')
    expect(scanDecimal(last, 2)).toBe(-0.25)
    expect(scanned.end).toBe(last.length)
    // a span that a longer literal runs past is read by Number
    expect(numberFromBytes(utf8.encode('12345'), 0, 3)).toBe(123)
  })
})
