import { describe, expect, it } from 'vitest'
import type { ExecutionView } from '../src/web/apiTypes.js'
import { actualRemaining, align, limitSegments, plannedHoldings, quoteSeries } from '../src/web/series.js'
import { describeEvent } from '../src/web/journalText.js'

const t = (s: number) => new Date(Date.UTC(2026, 0, 5, 15, 0, s)).toISOString()
const sec = (s: number) => Date.UTC(2026, 0, 5, 15, 0, s) / 1000

const execution = {
  executionId: 'ex_1',
  quantity: '1000',
  startedAt: t(0),
  finishedAt: t(50),
  plan: {
    strategy: 'almgren_chriss',
    horizonSeconds: 30,
    slices: [
      { index: 0, startSeconds: 0, plannedStart: t(0), fraction: 0.4, quantity: '400' },
      { index: 1, startSeconds: 10, plannedStart: t(10), fraction: 0.35, quantity: '350' },
      { index: 2, startSeconds: 20, plannedStart: t(20), fraction: 0.25, quantity: '250' },
    ],
  },
  childOrders: [
    {
      clientOrderId: 'c-s0',
      limitPrice: '100.01',
      status: 'filled',
      createdAt: t(1),
      updatedAt: t(5),
      fills: [{ fillId: 'f1', quantity: '400', price: '100.01', at: t(5) }],
    },
    {
      clientOrderId: 'c-s1',
      limitPrice: '100.02',
      status: 'canceled',
      createdAt: t(11),
      updatedAt: t(19),
      fills: [{ fillId: 'f2', quantity: '100', price: '100.02', at: t(15) }],
    },
    {
      clientOrderId: 'c-fb',
      limitPrice: null,
      status: 'filled',
      createdAt: t(40),
      updatedAt: t(41),
      fills: [{ fillId: 'f3', quantity: '500', price: '100.05', at: t(41) }],
    },
  ],
} as unknown as ExecutionView

describe('chart series from the API', () => {
  it("draws the plan's holdings at each slice's planned start, to zero at the horizon", () => {
    expect(plannedHoldings(execution)).toEqual([
      [sec(0), 1000],
      [sec(10), 600],
      [sec(20), 250],
      [sec(30), 0],
    ])
  })

  it('draws the actual remaining stepping down at each fill, held to the finish', () => {
    expect(actualRemaining(execution)).toEqual([
      [sec(0), 1000],
      [sec(5), 600],
      [sec(15), 500],
      [sec(41), 0],
      [sec(50), 0],
    ])
  })

  it('draws each limit order from when it was sent until it ended (market orders have no limit)', () => {
    expect(limitSegments(execution, sec(60))).toEqual([
      {
        label: 'c-s0 limit',
        points: [
          [sec(1), 100.01],
          [sec(5), 100.01],
        ],
      },
      {
        label: 'c-s1 limit',
        points: [
          [sec(11), 100.02],
          [sec(19), 100.02],
        ],
      },
    ])
  })

  it('aligns series on the union of their times, null where a series has no point', () => {
    const { bid, ask } = quoteSeries([
      { bid: '99.99', ask: '100.01', mid: '100', at: t(1) },
      { bid: null, ask: '100.03', mid: null, at: t(3) },
    ])
    expect(align([bid, ask])).toEqual([
      [sec(1), sec(3)],
      [99.99, null],
      [100.01, 100.03],
    ])
  })

  it('says in one line what each journal entry records', () => {
    const e = (type: string, rest: Record<string, unknown>) =>
      describeEvent({ id: '1', executionId: 'ex_1', type, at: t(0), ...rest })
    expect(e('fill', { fill: { quantity: '400', price: '100.01', clientOrderId: 'c-s0' } })).toBe(
      '400 at 100.01 (c-s0)',
    )
    expect(
      e('child_order_created', {
        order: { clientOrderId: 'c-s0', type: 'limit', side: 'BUY', quantity: '400', limitPrice: '100.01' },
      }),
    ).toBe('c-s0: limit BUY 400 limit 100.01')
    expect(
      e('execution_planned', {
        plan: {
          strategy: 'almgren_chriss',
          slices: [1, 2, 3],
          horizonSeconds: 30,
          expectedCostBps: 1.5,
          expectedStdBps: 4,
        },
      }),
    ).toBe('almgren_chriss: 3 slices over 30 s, expected 1.5 bps ± 4')
    expect(
      e('execution_finished', { status: 'failed', result: { error: { code: 'risk_limit', message: 'too big' } } }),
    ).toBe('failed: risk_limit too big')
    expect(e('arrival_quote', { quote: null })).toBe('no usable quote')
    expect(e('something_new', {})).toBe('')
  })
})
