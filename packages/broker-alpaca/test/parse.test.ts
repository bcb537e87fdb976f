import { readAlpacaFixture } from '@acx/test-utils'
import { BROKER_TERMINAL_STATUSES, Dec, checkQuote, isBrokerError, type ClientOrderId } from '@acx/engine'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  orderRequestToDto,
  parseAccount,
  parseAsset,
  parseCalendar,
  parseClock,
  parseLatestQuote,
  parseOrder,
  parseOrderView,
  parsePosition,
  parseTimestampMs,
  parseTradeUpdate,
} from '../src/parse.js'

const fixture = (name: string): Record<string, unknown> =>
  readAlpacaFixture<{ payload: Record<string, unknown> }>(name).payload

const bad = (fn: () => unknown): string => {
  try {
    fn()
  } catch (e) {
    if (isBrokerError(e) && e.code === 'BROKER_BAD_RESPONSE') return e.message
    throw e
  }
  throw new Error('expected BROKER_BAD_RESPONSE')
}

describe('parsing Alpaca payloads (fixtures captured from docs.alpaca.markets)', () => {
  it('reads an order', () => {
    const o = parseOrder(fixture('order'))
    expect(o).toMatchObject({
      id: '61e69015-8549-4bfd-b9c3-01e75843f47d',
      clientOrderId: 'eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4',
      symbol: 'AAPL',
      side: 'BUY',
      type: 'limit',
      status: 'accepted',
      filledAvgPrice: null,
    })
    expect(o.qty.eq(10)).toBe(true)
    expect(o.limitPrice?.toFixed()).toBe('150.12')
    expect(o.filledQty.isZero()).toBe(true)
    expect(o.submittedAtMs).toBe(Date.UTC(2021, 2, 16, 18, 38, 1, 937))
    expect(o.updatedAtMs).toBe(Date.UTC(2021, 2, 16, 18, 38, 1, 942))
  })

  it('reads a trade update (fill) with the cumulative fill on its order', () => {
    const u = parseTradeUpdate(fixture('tradeUpdateFill')['data'] as Record<string, unknown>)
    expect(u.event).toBe('fill')
    expect(u.order.status).toBe('filled')
    expect(u.order.filledQty.eq(10)).toBe(true)
    expect(u.order.filledAvgPrice?.toFixed()).toBe('150.1')
  })

  it('reads the latest quote exactly (JSON numbers → decimals) with its own timestamp', () => {
    const q = parseLatestQuote(fixture('latestQuote'), 'AAPL')
    expect(q?.bid.toFixed()).toBe('172.6')
    expect(q?.ask.toFixed()).toBe('172.7')
    expect(q?.bidSize.toFixed()).toBe('2')
    expect(q?.askSize.toFixed()).toBe('1')
    expect(q?.timestampMs).toBe(Date.UTC(2022, 7, 17, 10, 9, 34, 55))
  })

  it('passes a zero side through for the engine to substitute and flag', () => {
    const raw = fixture('latestQuote')
    const q = parseLatestQuote({ ...raw, quote: { ...(raw['quote'] as object), bp: 0 } }, 'AAPL')
    const checked = checkQuote(q, q!.timestampMs + 1_000, 10_000)
    expect(checked.ok && checked.quote.flags).toEqual(['bid_substituted'])
  })

  it('returns null for no quote: missing, Go zero time, or both sides zero', () => {
    expect(parseLatestQuote({ symbol: 'X' }, 'X')).toBeNull()
    expect(
      parseLatestQuote({ symbol: 'X', quote: { t: '0001-01-01T00:00:00Z', ap: 0, as: 0, bp: 0, bs: 0 } }, 'X'),
    ).toBeNull()
    expect(
      parseLatestQuote({ symbol: 'X', quote: { t: '2024-01-02T15:00:00Z', ap: 0, as: 0, bp: 0, bs: 0 } }, 'X'),
    ).toBeNull()
  })

  it('reads an asset: tradable only when active', () => {
    expect(parseAsset(fixture('asset'))).toEqual({
      asset: { symbol: 'AAPL', tradable: true, fractionable: true, assetClass: 'us_equity' },
      assetClass: 'us_equity',
    })
    expect(parseAsset({ ...fixture('asset'), status: 'inactive' }).asset.tradable).toBe(false)
    expect(parseAsset({ ...fixture('asset'), class: undefined }).assetClass).toBe('us_equity')
    expect(parseAsset(fixture('cryptoAsset'))).toEqual({
      asset: {
        symbol: 'BTC/USD',
        tradable: true,
        fractionable: true,
        assetClass: 'crypto',
        priceIncrement: new Dec('1'),
        qtyIncrement: new Dec('0.0001'),
        minOrderSize: new Dec('0.0001'),
      },
      assetClass: 'crypto',
    })
    expect(parseAsset({ ...fixture('cryptoAsset'), price_increment: '0' }).asset.priceIncrement).toBeUndefined()
    expect(() => parseAsset({ ...fixture('cryptoAsset'), min_trade_increment: '-1' })).toThrow(/must not be negative/)
  })

  it('reads the market clock: New York times with their offset, the timestamp to the millisecond', () => {
    expect(parseClock(fixture('clock'))).toEqual({
      timestampMs: Date.UTC(2022, 3, 28, 18, 7, 4, 451),
      isOpen: true,
      nextOpenMs: Date.UTC(2022, 3, 29, 13, 30),
      nextCloseMs: Date.UTC(2022, 3, 28, 20, 0),
    })
  })

  it('refuses a clock without its fields or with a time that is not RFC 3339', () => {
    const c = fixture('clock')
    expect(bad(() => parseClock({ ...c, is_open: 'yes' }))).toContain('is_open must be a boolean')
    expect(bad(() => parseClock({ ...c, next_close: undefined }))).toContain('next_close')
    expect(bad(() => parseClock({ ...c, next_open: '2022-04-29 09:30' }))).toContain('RFC 3339')
    expect(bad(() => parseClock([]))).toContain('JSON object')
  })

  it('reads the calendar: New York dates and times as instants, across daylight saving time and early closes', () => {
    const days = readAlpacaFixture<{ payload: unknown }>('calendar').payload
    expect(parseCalendar(days)).toEqual([
      { date: '1970-01-02', openMs: Date.UTC(1970, 0, 2, 14, 30), closeMs: Date.UTC(1970, 0, 2, 21, 0) },
      { date: '1970-01-05', openMs: Date.UTC(1970, 0, 5, 14, 30), closeMs: Date.UTC(1970, 0, 5, 21, 0) },
    ])
    const sessions = parseCalendar([
      { date: '2026-11-27', open: '09:30', close: '13:00' }, // the day after Thanksgiving closes early
      { date: '2026-03-09', open: '09:30', close: '16:00' }, // the Monday after the change to EDT
      { date: '2026-03-06', open: '09:30', close: '16:00' },
    ])
    expect(sessions.map((x) => [x.date, new Date(x.openMs).toISOString(), new Date(x.closeMs).toISOString()])).toEqual([
      ['2026-03-06', '2026-03-06T14:30:00.000Z', '2026-03-06T21:00:00.000Z'],
      ['2026-03-09', '2026-03-09T13:30:00.000Z', '2026-03-09T20:00:00.000Z'],
      ['2026-11-27', '2026-11-27T14:30:00.000Z', '2026-11-27T18:00:00.000Z'],
    ])
  })

  it('refuses a calendar that is not a list of days with HH:MM times, the close after the open', () => {
    expect(bad(() => parseCalendar({ date: '2026-01-05' }))).toContain('JSON array')
    expect(bad(() => parseCalendar(['x']))).toContain('calendar[0] must be a JSON object')
    expect(bad(() => parseCalendar([{ date: '2026-01-05', open: '0930', close: '16:00' }]))).toContain('HH:MM')
    expect(bad(() => parseCalendar([{ date: '5 Jan', open: '09:30', close: '16:00' }]))).toContain('YYYY-MM-DD')
    expect(bad(() => parseCalendar([{ date: '2026-01-05', open: '16:00', close: '09:30' }]))).toContain(
      'close not after open',
    )
    expect(bad(() => parseCalendar([{ date: '2026-01-05', open: '09:30' }]))).toContain('close')
  })

  it('reads a position, with the quantity free to sell', () => {
    const p = parsePosition({ ...fixture('position'), qty_available: '3' })
    expect(p.qty.eq(5)).toBe(true)
    expect(p.qtyAvailable.eq(3)).toBe(true)
    expect(p.avgEntryPrice.eq(100)).toBe(true)
    expect(parsePosition({ ...fixture('position'), qty: '-5', side: 'short' }).qty.eq(-5)).toBe(true)
  })

  it('reads the account', () => {
    const a = parseAccount(fixture('account'))
    expect(a.buyingPower.toFixed()).toBe('245432.61')
    expect(a.canTrade).toBe(true)
    expect(parseAccount({ ...fixture('account'), trading_blocked: true }).canTrade).toBe(false)
  })

  it('maps the statuses the engine knows as they are', () => {
    const at = (status: string, filled = '0', avg: string | null = null) =>
      parseOrder({ ...fixture('order'), status, filled_qty: filled, filled_avg_price: avg }).status
    expect(at('new')).toBe('new')
    expect(at('accepted')).toBe('accepted')
    expect(at('pending_new')).toBe('pending_new')
    expect(at('partially_filled', '4', '150')).toBe('partially_filled')
    expect(at('filled', '10', '150')).toBe('filled')
    expect(at('pending_cancel')).toBe('pending_cancel')
    expect(at('canceled')).toBe('canceled')
    expect(at('expired')).toBe('expired')
    expect(at('rejected')).toBe('rejected')
  })

  it.each([
    'done_for_day',
    'held',
    'accepted_for_bidding',
    'stopped',
    'suspended',
    'pending_replace',
    'calculated',
    'replaced',
    'a_status_alpaca_adds_later',
  ])('reads %s as open (not final), with its fills', (status) => {
    const view = parseOrderView({ ...fixture('order'), status })
    expect(view.alpacaStatus).toBe(status)
    expect(view.statusKind).toBe(status === 'a_status_alpaca_adds_later' ? 'unknown' : 'documented')
    expect(view.order.status).toBe('accepted')
    expect(BROKER_TERMINAL_STATUSES.has(view.order.status)).toBe(false)
    const part = parseOrder({ ...fixture('order'), status, filled_qty: '4', filled_avg_price: '150' })
    expect(part.status).toBe('partially_filled')
    expect(part.filledQty.eq(4)).toBe(true)
  })

  it('reads a fully filled order in an open status as filled, except a replaced one (its replacement trades on)', () => {
    const full = { ...fixture('order'), filled_qty: '10', filled_avg_price: '150' }
    expect(parseOrder({ ...full, status: 'calculated' }).status).toBe('filled')
    expect(parseOrder({ ...full, status: 'a_status_alpaca_adds_later' }).status).toBe('filled')
    expect(parseOrder({ ...full, status: 'replaced' }).status).toBe('partially_filled')
  })

  it('reads replaced_by and replaces', () => {
    const v = parseOrderView({ ...fixture('order'), status: 'replaced', replaced_by: 'b-2', replaces: 'a-0' })
    expect(v).toMatchObject({ replacedBy: 'b-2', replaces: 'a-0' })
    expect(parseOrderView(fixture('order'))).toMatchObject({ replacedBy: null, replaces: null, statusKind: 'native' })
  })

  it('refuses inconsistent orders', () => {
    const o = fixture('order')
    expect(bad(() => parseOrder({ ...o, qty: 10 }))).toContain('decimal string')
    expect(bad(() => parseOrder({ ...o, filled_qty: '11', filled_avg_price: '1' }))).toContain('outside')
    expect(bad(() => parseOrder({ ...o, filled_qty: '1' }))).toContain('filled_avg_price missing')
    expect(bad(() => parseOrder({ ...o, type: 'stop' }))).toContain('unsupported order type')
    expect(bad(() => parseOrder({ ...o, created_at: 'yesterday' }))).toContain('RFC 3339')
    expect(bad(() => parseOrder('nope'))).toContain('JSON object')
  })

  it('parses RFC 3339 with nanoseconds and offsets, cutting (not rounding) below the millisecond', () => {
    expect(parseTimestampMs('2021-03-16T18:38:01.9999999Z')).toBe(Date.UTC(2021, 2, 16, 18, 38, 1, 999))
    expect(parseTimestampMs('2021-03-16T18:38:01Z')).toBe(Date.UTC(2021, 2, 16, 18, 38, 1))
    expect(parseTimestampMs('2021-03-16T14:38:01.5-04:00')).toBe(Date.UTC(2021, 2, 16, 18, 38, 1, 500))
    expect(parseTimestampMs('2021-03-16')).toBeUndefined()
  })

  it('writes quantities and prices as plain decimal strings, never exponents or numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: 0, max: 9 }), (units, scale) => {
        const qty = new Dec(units).div(new Dec(10).pow(scale))
        const dto = orderRequestToDto({
          clientOrderId: 'c' as ClientOrderId,
          symbol: 'AAPL',
          side: 'SELL',
          qty,
          type: 'limit',
          limitPrice: new Dec('0.0001'),
          timeInForce: 'day',
        })
        expect(typeof dto.qty).toBe('string')
        expect(dto.qty).toMatch(/^\d+(\.\d+)?$/)
        expect(new Dec(dto.qty).eq(qty)).toBe(true)
        expect(dto.limit_price).toBe('0.0001')
        expect(dto.side).toBe('sell')
      }),
    )
  })

  it.each(['day', 'gtc', 'ioc'] as const)('sends time in force %s as time_in_force', (timeInForce) => {
    const dto = orderRequestToDto({
      clientOrderId: 'c' as ClientOrderId,
      symbol: 'BTC/USD',
      side: 'BUY',
      qty: new Dec('0.01'),
      type: 'market',
      timeInForce,
    })
    expect(dto.time_in_force).toBe(timeInForce)
  })
})
