import { reference } from '@acx/ac-core-wasm'
import { describe, expect, it } from 'vitest'
import { acParamsFor } from '../../src/config/acConfig.js'
import { fromKernelSchedule, planSliceQty, toKernelParams } from '../../src/config/kernelParams.js'
import { Dec } from '../../src/domain/dec.js'
import { isOnTick } from '../../src/domain/tick.js'
import type { JournalEntry } from '../../src/ports/executionJournal.js'
import { aHarness, anIntent, type Harness } from '../support/builders.js'

const scheduleFor = (h: Harness, symbol = 'AAPL', twap = false) => {
  const params = acParamsFor(h.config, symbol)
  return fromKernelSchedule(
    reference.trajectory(toKernelParams(params, { tradingDaySeconds: h.config.tradingDaySeconds, twap })),
    params,
  )
}
const sum = (xs: readonly Dec[]) => xs.reduce((a, b) => a.add(b), new Dec(0))
const illiquid = { tradeProbability: 0.1, meanTradeSize: 30, dailyVolatility: 0 }
/** The rollout guide's semantics of AC_TEMP_IMPACT (per fraction of the order), whose numbers these tests check. */
const orderFraction = { model: 'order_fraction' } as const

describe('almgren_chriss end to end on the simulator', () => {
  it('runs the default schedule: 5 slices 60 s apart, 23.5% first, aggression 0.6 → 0.9', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 }, config: { impact: orderFraction } })
    const r = await h.engine.execute(anIntent({ correlationId: 'ac-1' }))
    expect(r.success).toBe(true)
    expect(r.executionStrategy).toBe('almgren_chriss')
    expect(r.routeReason).toBe('urgency')
    expect(r.routeDetail).toBe('urgency MEDIUM: almgren_chriss')
    expect(r.totalFilled.toString()).toBe('1000')
    expect(r.fillPercentage).toBe(100)
    expect(r.slicesUsed).toBe(5)
    expect(r.marketFallbackUsed).toBe(false)
    expect(r.attempts.map((a) => a.clientOrderId)).toEqual([
      'ac-1-s0-a0',
      'ac-1-s1-a0',
      'ac-1-s2-a0',
      'ac-1-s3-a0',
      'ac-1-s4-a0',
    ])
    expect(r.attempts.map((a) => a.qty.toNumber())).toEqual([234, 211, 194, 183, 178])
    expect(r.attempts.map((a) => a.aggression)).toEqual([0.6, 0.675, 0.75, 0.825, 0.9])
    expect(r.attempts.map((a) => (a.submittedAt - r.startedAt) / 1000)).toEqual([0, 60, 120, 180, 240])
    // Volatility 0: the book stays 189.99 / 190.01; bid + 0.6·0.02 = 190.002 → 190.00 (down, passive),
    // … + 0.9·0.02 = 190.008 → 190.00 as well.
    for (const a of r.attempts) expect(a.limitPrice?.toString()).toBe('190')
    expect(r.avgFillPrice.toString()).toBe('190')
    expect(r.arrivalMid?.toString()).toBe('190')
    expect(r.implementationShortfallBps).toBe(0)
    expect(r.executionTimeSeconds).toBe(270)
    // E = ε·1 + (η/τ)·Σn² with ε = 0.01/190; √V from the kernel
    const s = scheduleFor(h)
    const eps = 0.01 / 190
    expect(r.expectedCostBps).toBeCloseTo(s.expectedCostBps + eps * 1e4, 9)
    expect(r.expectedStdBps).toBeCloseTo(s.expectedStdBps, 9)
  })

  it('journals every child order before it is sent, then its fills and status changes', async () => {
    const h = aHarness()
    const r = await h.engine.execute(anIntent({ correlationId: 'ac-j' }))
    const entries = h.journal.forExecution('ac-j')
    expect(entries[0]?.type).toBe('execution_started')
    expect(entries[1]).toMatchObject({ type: 'arrival_quote' })
    expect(entries.at(-1)).toMatchObject({ type: 'execution_finished', status: 'filled' })
    for (const order of h.market.orders()) {
      const created = entries.findIndex(
        (e) => e.type === 'child_order_created' && e.order.clientOrderId === order.clientOrderId,
      )
      const submitted = entries.findIndex(
        (e) => e.type === 'child_order_status' && e.clientOrderId === order.clientOrderId && e.to === 'submitted',
      )
      expect(created).toBeGreaterThanOrEqual(0)
      expect(submitted).toBeGreaterThan(created)
      expect((entries[created] as Extract<JournalEntry, { type: 'child_order_created' }>).order.status).toBe('created')
    }
    const journaledFills = entries
      .filter((e) => e.type === 'fill')
      .map((e) => (e as Extract<JournalEntry, { type: 'fill' }>).fill.qty)
    expect(sum(journaledFills).eq(r.totalFilled)).toBe(true)
  })

  it('re-plans partial fills over the remaining slices and sends the rest at market', async () => {
    const h = aHarness({ market: illiquid, config: { impact: orderFraction } })
    const r = await h.engine.execute(anIntent({ correlationId: 'ac-p' }))
    const s = scheduleFor(h)
    const limits = r.attempts.filter((a) => a.kind === 'limit')
    expect(limits).toHaveLength(5)
    let filled = new Dec(0)
    limits.forEach((a, k) => {
      const left = new Dec(1000).sub(filled)
      const expected = k === 4 ? left : planSliceQty(left, s.fractionOfRemaining[k] as number, new Dec(1))
      expect(a.qty.toString(), `slice ${k}`).toBe(expected.toString())
      expect(a.filledQty.lt(a.qty), `slice ${k} partially filled`).toBe(true)
      filled = filled.add(a.filledQty)
    })
    // Never dumped into the last slice: it is the re-planned remainder, not the original 178.
    const fallback = r.attempts.at(-1)!
    expect(fallback).toMatchObject({ kind: 'market_fallback', clientOrderId: 'ac-p-s5-a0', status: 'filled' })
    expect(fallback.qty.toString()).toBe(new Dec(1000).sub(filled).toString())
    expect(r.marketFallbackUsed).toBe(true)
    expect(r.success).toBe(true)
    expect(r.slicesUsed).toBe(5)
    expect(r.totalFilled.toString()).toBe('1000')
    const msgs = h.logger.records.map((x) => x.msg)
    expect(msgs.filter((m) => m === 'Market order fallback')).toHaveLength(1)
    expect(msgs.filter((m) => m === 'Slice completed')).toHaveLength(6)
  })

  it('ends partially filled without a market order when AC_MARKET_FALLBACK=false', async () => {
    const h = aHarness({ market: illiquid, config: { ac: { marketFallback: false } } })
    const r = await h.engine.execute(anIntent({ correlationId: 'ac-nf' }))
    expect(r.success).toBe(false)
    expect(r.marketFallbackUsed).toBe(false)
    expect(r.error?.code).toBe('partially_filled')
    expect(r.totalFilled.gt(0) && r.totalFilled.lt(1000)).toBe(true)
    expect(r.fillPercentage).toBe(r.totalFilled.div(10).toNumber())
    expect(h.market.orders().every((o) => o.type === 'limit')).toBe(true)
    expect(h.journal.entries.at(-1)).toMatchObject({ type: 'execution_finished', status: 'partially_filled' })
  })

  it('runs twap as the straight line (λ = 0)', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 } })
    const r = await h.engine.execute(anIntent({ correlationId: 'tw', strategy: 'twap' }))
    expect(r.executionStrategy).toBe('twap')
    expect(r.attempts.map((a) => a.qty.toNumber())).toEqual([200, 200, 200, 200, 200])
    expect(r.expectedStdBps).toBeGreaterThan(scheduleFor(h).expectedStdBps)
  })

  it('uses the symbol profile (small_cap: 7 slices over 450 s)', async () => {
    const h = aHarness({
      market: { dailyVolatility: 0 },
      config: { symbolProfiles: { AAPL: 'small_cap' }, impact: orderFraction },
    })
    const r = await h.engine.execute(anIntent())
    expect(r.slicesUsed).toBe(7)
    expect(r.attempts[0]?.qty.toNumber()).toBe(146) // 14.68%
  })

  it('merges slices that round to zero shares into the next', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 } })
    const r = await h.engine.execute(anIntent({ quantity: '3', correlationId: 'tiny' }))
    // 3 × 0.235 → 0, 2.3 × 0.28 → 0, … : the whole order goes in fewer, non-empty slices
    expect(r.success).toBe(true)
    expect(r.attempts.every((a) => a.qty.gt(0))).toBe(true)
    expect(sum(r.attempts.map((a) => a.qty)).toString()).toBe('3')
    expect(r.slicesUsed).toBeLessThan(5)
  })

  it('prices on the sub-penny tick below $1, rounding toward the passive side', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 } })
    const r = await h.engine.execute(anIntent({ symbol: 'PENNY', quantity: '10000' }))
    for (const a of r.attempts.filter((x) => x.kind === 'limit')) {
      expect(isOnTick(a.limitPrice!)).toBe(true)
      expect(a.limitPrice!.decimalPlaces()).toBe(4)
    }
    // bid 0.5121, ask 0.5125: + 0.6 × 0.0004 = 0.51234 → 0.5123
    expect(r.attempts[0]?.limitPrice?.toString()).toBe('0.5123')
  })

  it('prices a SELL from the ask, rounding up, and signs shortfall as a cost', async () => {
    const h = aHarness({ market: { dailyVolatility: 0 } })
    const r = await h.engine.execute(anIntent({ side: 'SELL', correlationId: 'sell-1' }))
    // ask 190.01 − 0.6 × 0.02 = 189.998 → 190.00 (up)
    expect(r.attempts[0]?.limitPrice?.toString()).toBe('190')
    expect(r.success).toBe(true)
    expect(r.implementationShortfallBps).toBe(0)
    const m = aHarness({ market: { dailyVolatility: 0 } })
    const sold = await m.engine.execute(anIntent({ side: 'SELL', urgency: 'HIGH', correlationId: 'sell-2' }))
    // market sell at the bid 189.99 (less impact) is a cost against the 190 mid: positive bps
    expect(sold.implementationShortfallBps).toBeGreaterThan(0)
  })

  it('logs the summary with the field names operators query', async () => {
    const h = aHarness()
    const r = await h.engine.execute(anIntent({ correlationId: 'log-1' }))
    const summary = h.logger.records.find((x) => x.msg === 'Execution completed')
    expect(summary?.obj).toMatchObject({
      execution_strategy: 'almgren_chriss',
      slices_used: 5,
      // quantities and prices as decimal strings (prices at 4 decimals), as in the API
      total_filled: '1000',
      avg_fill_price: r.avgFillPrice.toDecimalPlaces(4).toString(),
      fill_percentage: 100,
      execution_time_seconds: r.executionTimeSeconds,
      correlation_id: 'log-1',
      symbol: 'AAPL',
    })
    expect(h.logger.records.filter((x) => x.msg === 'Slice completed')).toHaveLength(5)
  })
})
