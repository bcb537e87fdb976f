import { describe, expect, it } from 'vitest'
import { Dec } from '../../src/domain/dec.js'
import { priceText, quantityText } from '../../src/domain/decimalText.js'

describe('decimal text', () => {
  it('shows a price at 4 decimals from $1 up and 6 below, trailing zeros dropped, rounding half up', () => {
    expect(priceText(new Dec('190.01234999'))).toBe('190.0123')
    expect(priceText(new Dec('190.01235'))).toBe('190.0124')
    expect(priceText('190.10')).toBe('190.1')
    expect(priceText('0.123456789')).toBe('0.123457')
    expect(priceText('0.99999999')).toBe('1')
    expect(priceText(new Dec(1).div(3).add(100))).toBe('100.3333')
    expect(priceText(-2.5)).toBe('-2.5')
    expect(priceText('0.0000001')).toBe('0') // below the precision: never an exponent
    expect(priceText('0.00000051')).toBe('0.000001')
  })

  it('shows a quantity with every digit and no exponent', () => {
    expect(quantityText(new Dec('1e21'))).toBe('1000000000000000000000')
    expect(quantityText('0.000000001')).toBe('0.000000001')
    expect(quantityText(new Dec('100.2500'))).toBe('100.25')
  })
})
