import { describe, expect, it } from 'vitest'
import { Dec } from '../../src/domain/dec.js'
import { MAX_CORRELATION_ID_LENGTH, clientOrderIdFor } from '../../src/domain/ids.js'
import { parseOrderIntent } from '../../src/domain/orderIntent.js'

const base = { side: 'BUY', symbol: 'aapl', quantity: '1000', urgency: 'MEDIUM', correlationId: 'c-1' }

describe('parseOrderIntent', () => {
  it('accepts a decimal string quantity and upper-cases the symbol', () => {
    const r = parseOrderIntent(base)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.symbol).toBe('AAPL')
    expect(r.value.quantity.eq(1000)).toBe(true)
    expect(r.value.closeType).toBe('NONE')
    expect(r.value.strategy).toBeUndefined()
  })

  it('accepts a Decimal quantity and a strategy override', () => {
    const r = parseOrderIntent({ ...base, quantity: new Dec('12.5'), strategy: 'twap' })
    expect(r.ok && r.value.quantity.toString()).toBe('12.5')
    expect(r.ok && r.value.strategy).toBe('twap')
  })

  it('accepts a Decimal from another decimal.js constructor', async () => {
    const { Decimal } = await import('decimal.js')
    const r = parseOrderIntent({ ...base, quantity: new (Decimal.clone({ precision: 5 }))('7') })
    expect(r.ok && r.value.quantity.toString()).toBe('7')
  })

  it('accepts BRK.B, BTC/USD, 1INCH/USD and LOWLIQ1 symbols', () => {
    expect(parseOrderIntent({ ...base, symbol: 'BRK.B' }).ok).toBe(true)
    expect(parseOrderIntent({ ...base, symbol: 'btc/usd' }).ok).toBe(true)
    expect(parseOrderIntent({ ...base, symbol: '1inch/usd' }).ok).toBe(true)
    expect(parseOrderIntent({ ...base, symbol: 'LOWLIQ1' }).ok).toBe(true)
  })

  it.each([
    ['0', 'quantity'],
    ['-5', 'quantity'],
    ['abc', 'quantity'],
    ['NaN', 'quantity'],
    ['Infinity', 'quantity'],
  ])('rejects quantity %s', (quantity, path) => {
    const r = parseOrderIntent({ ...base, quantity })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues.map((i) => i.path[0])).toEqual([path])
  })

  it.each([
    '1e9000000000000000',
    '1e900000000000000',
    '1e3',
    '+5',
    '1,000',
    '0x10',
    '1000000000000000',
    '0.0000000001',
    '1.',
    '.5',
    ' 1 0',
  ])('rejects quantity string %s: plain digits only, at most 15 before the point and 9 after', (quantity) => {
    const r = parseOrderIntent({ ...base, quantity })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues.map((i) => i.path[0])).toEqual(['quantity'])
  })

  it('parses a quantity string exactly, at the largest and smallest sizes it accepts', () => {
    const big = parseOrderIntent({ ...base, quantity: '999999999999999.999999999' })
    expect(big.ok && big.value.quantity.toFixed()).toBe('999999999999999.999999999')
    const small = parseOrderIntent({ ...base, quantity: ' 0.000000001 ' })
    expect(small.ok && small.value.quantity.toFixed()).toBe('0.000000001')
  })

  it('holds numbers and Decimals to the same bounds as strings', () => {
    expect(parseOrderIntent({ ...base, quantity: 1e21 }).ok).toBe(false)
    expect(parseOrderIntent({ ...base, quantity: 0.1 + 0.2 }).ok).toBe(false) // 0.30000000000000004
    expect(parseOrderIntent({ ...base, quantity: new Dec('1e900000000000000') }).ok).toBe(false)
    expect(parseOrderIntent({ ...base, quantity: 12.5 }).ok).toBe(true)
  })

  it.each([
    ['side', 'ſell'],
    ['side', 'ſELL'],
    ['symbol', 'ſpy'],
    ['urgency', 'hıgh'],
    ['urgency', 'HİGH'],
    ['side', 'ＢＵＹ'],
  ])('matches %s %s on ASCII only, never folding other letters into A–Z', (field, value) => {
    const r = parseOrderIntent({ ...base, [field]: value })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues.map((i) => i.path[0])).toEqual([field])
  })

  it('still accepts lower-case ASCII enums', () => {
    const r = parseOrderIntent({ ...base, side: 'sell', urgency: 'high' })
    expect(r.ok && [r.value.side, r.value.urgency]).toEqual(['SELL', 'HIGH'])
  })

  it('rejects a NaN number quantity', () => {
    expect(parseOrderIntent({ ...base, quantity: Number.NaN }).ok).toBe(false)
  })

  it('rejects empty symbols, symbols without a letter and other characters', () => {
    for (const symbol of ['', '  ', '123', './', 'AA PL', 'ÄPL', 'AAPL-W']) {
      const r = parseOrderIntent({ ...base, symbol })
      expect(r.ok, symbol).toBe(false)
    }
  })

  it('rejects a BUY close', () => {
    const r = parseOrderIntent({ ...base, closeType: 'FULL' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues[0]?.message).toBe('a close must be a SELL')
    expect(parseOrderIntent({ ...base, side: 'SELL', closeType: 'FULL' }).ok).toBe(true)
  })

  it('limits the correlation id so every client order id fits in 128 characters', () => {
    const longest = 'x'.repeat(MAX_CORRELATION_ID_LENGTH)
    expect(parseOrderIntent({ ...base, correlationId: longest }).ok).toBe(true)
    expect(clientOrderIdFor(longest, 9999, 9999).length).toBeLessThanOrEqual(128)
    expect(parseOrderIntent({ ...base, correlationId: `${longest}x` }).ok).toBe(false)
    expect(parseOrderIntent({ ...base, correlationId: '' }).ok).toBe(false)
    expect(parseOrderIntent({ ...base, correlationId: 'has space' }).ok).toBe(false)
  })

  it('reports every problem at once', () => {
    const r = parseOrderIntent({
      side: 'HOLD',
      symbol: '',
      quantity: 0,
      urgency: 'NOW',
      correlationId: '',
      strategy: 'vwap',
    })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.issues.map((i) => i.path[0]).sort()).toEqual(
        ['correlationId', 'quantity', 'side', 'strategy', 'symbol', 'urgency'].sort(),
      )
    }
  })

  it('rejects a non-object', () => {
    expect(parseOrderIntent(null).ok).toBe(false)
    expect(parseOrderIntent('BUY 100 AAPL').ok).toBe(false)
  })
})
