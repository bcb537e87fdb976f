import { describe, expect, it } from 'vitest'
import {
  axisDollars,
  axisTime,
  bpsText,
  computedBps,
  dollarsText,
  fractionPct,
  pctText,
  sig,
  text,
} from '../src/web/format.js'
import { executionHref, parseRoute } from '../src/web/router.js'

describe('what the page shows', () => {
  it("shows the API's figures as given, and a dash for what is missing", () => {
    expect(bpsText(-22.73)).toBe('-22.73 bps')
    expect(bpsText(null)).toBe('–')
    expect(pctText(100)).toBe('100%')
    expect(pctText(undefined)).toBe('–')
    expect(text('189.5183')).toBe('189.5183')
    expect(text('')).toBe('–')
  })

  it('shows computed dollars to the cent, axes to the dollar, bps to 0.01, times as UTC', () => {
    expect(dollarsText(911226.9863037935)).toBe('$911,226.99')
    expect(dollarsText(Number.NaN)).toBe('–')
    expect(axisDollars(603430.67)).toBe('$603,431')
    expect(axisDollars(33.691)).toBe('$33.69')
    expect(computedBps(182.245397)).toBe('182.25 bps')
    expect(sig(0.6070761632470627)).toBe('0.607076')
    expect(fractionPct(0.458044)).toBe('45.80%')
    expect(axisTime(Date.UTC(2026, 0, 5, 15, 4, 7) / 1000)).toBe('15:04:07')
  })

  it('routes by the URL fragment, with each view’s parameters in its query', () => {
    expect(parseRoute('').view).toBe('executions')
    expect(parseRoute('#/?status=running')).toMatchObject({ view: 'executions' })
    expect(parseRoute('#/?status=running').query.get('status')).toBe('running')
    expect(parseRoute(executionHref('ex_a/b'))).toMatchObject({ view: 'execution', id: 'ex_a/b' })
    expect(parseRoute('#/frontier?lambda=1e-6').query.get('lambda')).toBe('1e-6')
    expect(parseRoute('#/report').view).toBe('report')
    expect(parseRoute('#/nowhere/at/all').view).toBe('not_found')
  })
})
