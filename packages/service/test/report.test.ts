import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import {
  Dec,
  clientOrderIdFor,
  fillId,
  parentOrderId,
  parseOrderIntent,
  type BrokerOrderId,
  type ExecutionResult,
} from '@acx/engine'
import { createSqliteStore, type ExecutionStore } from '../src/index.js'
import { reportCommand } from '../src/commands.js'
import { loadReport, parseSince } from '../src/report/loadReport.js'
import { tempDir } from './support/testService.js'

interface Seed {
  symbol: string
  strategy: string
  qty: number
  filled: number
  seconds: number
  shortfallBps: number
  fallback: boolean
  createdAt: number
}

const DAY = 86_400_000
const NOW = Date.parse('2026-11-25T12:00:00Z')

async function seed(store: ExecutionStore, seeds: readonly Seed[]): Promise<void> {
  let n = 0
  for (const s of seeds) {
    const cid = `seed-${n++}`
    const parsed = parseOrderIntent({
      side: 'BUY',
      symbol: s.symbol,
      quantity: String(s.qty),
      urgency: 'MEDIUM',
      correlationId: cid,
    })
    if (!parsed.ok) throw new Error('bad seed')
    const id = parentOrderId(cid)
    await store.createExecution({ id, intent: parsed.value, nowMs: s.createdAt })
    await store.append({
      type: 'execution_started',
      executionId: id,
      atMs: s.createdAt,
      intent: parsed.value,
      strategy: s.strategy as never,
      resumed: false,
    })
    if (s.filled > 0) {
      const coid = clientOrderIdFor(cid, 0, 0)
      await store.append({
        type: 'child_order_created',
        executionId: id,
        atMs: s.createdAt,
        order: {
          clientOrderId: coid,
          symbol: s.symbol,
          side: 'BUY',
          type: 'limit',
          qty: new Dec(s.filled),
          sliceIndex: 0,
          attempt: 0,
          status: 'created',
          filledQty: new Dec(0),
          avgPx: new Dec(0),
          fillIds: [],
          createdAt: s.createdAt,
          updatedAt: s.createdAt,
        },
      })
      await store.append({
        type: 'fill',
        executionId: id,
        atMs: s.createdAt,
        fill: {
          fillId: fillId(`${cid}:1`),
          clientOrderId: coid,
          brokerOrderId: 'b' as BrokerOrderId,
          qty: new Dec(s.filled),
          price: new Dec(100),
          tsEvent: s.createdAt,
          tsInit: s.createdAt,
        },
      })
    }
    const result = {
      executionStrategy: s.strategy,
      executionTimeSeconds: s.seconds,
      implementationShortfallBps: s.shortfallBps,
      marketFallbackUsed: s.fallback,
      fillPercentage: (100 * s.filled) / s.qty,
    } as unknown as ExecutionResult
    await store.append({
      type: 'execution_finished',
      executionId: id,
      atMs: s.createdAt + 1,
      status: s.filled === s.qty ? 'filled' : 'partially_filled',
      result,
    })
  }
}

describe('acx report', () => {
  const tmp = tempDir()
  const path = join(tmp.dir, 'acx.sqlite')
  let store: ExecutionStore
  beforeAll(async () => {
    store = createSqliteStore({ path })
    const ac = { strategy: 'almgren_chriss', seconds: 420, fallback: false, createdAt: NOW - DAY }
    const wtb = { strategy: 'walk_the_book', seconds: 40, fallback: true, createdAt: NOW - DAY }
    await seed(store, [
      { ...ac, symbol: 'AAPL', qty: 1000, filled: 1000, shortfallBps: 2 },
      { ...ac, symbol: 'AAPL', qty: 1000, filled: 1000, shortfallBps: 4 },
      { ...ac, symbol: 'MSFT', qty: 500, filled: 490, shortfallBps: -3, seconds: 480, fallback: true },
      { ...wtb, symbol: 'AAPL', qty: 1000, filled: 1000, shortfallBps: 6 },
      { ...wtb, symbol: 'MSFT', qty: 500, filled: 500, shortfallBps: 8, fallback: false },
      // older than the --since window used below
      { ...wtb, symbol: 'AAPL', qty: 100, filled: 0, shortfallBps: 50, createdAt: NOW - 30 * DAY },
    ])
  })
  afterAll(async () => {
    await store.close()
    tmp.cleanup()
  })

  it('aggregates per symbol and overall with strategies side by side', async () => {
    const r = await loadReport(store, { since: new Date(NOW - 7 * DAY), now: new Date(NOW) })
    const row = (symbol: string, strategy: string) => r.rows.find((x) => x.symbol === symbol && x.strategy === strategy)
    expect(row('ALL', 'ALL')).toMatchObject({ executions: 5, usagePct: 100 })
    expect(row('ALL', 'almgren_chriss')).toEqual({
      symbol: 'ALL',
      strategy: 'almgren_chriss',
      executions: 3,
      fillRatePct: 99.6, // 2490 of 2500
      avgExecutionSeconds: 440,
      // shortfall as everywhere: positive = cost (2, 4, −3 bps: mean 1, standard error 2.08)
      shortfallBps: 1,
      shortfallStdErrBps: 2.08,
      marketFallbackRatePct: 33.33,
      usagePct: 60,
    })
    expect(row('ALL', 'walk_the_book')).toMatchObject({
      executions: 2,
      fillRatePct: 100,
      shortfallBps: 7,
      shortfallStdErrBps: 1,
      marketFallbackRatePct: 50,
    })
    expect(row('AAPL', 'almgren_chriss')).toMatchObject({ executions: 2, usagePct: 66.67, shortfallBps: 3 })
    expect(row('MSFT', 'ALL')).toMatchObject({ executions: 2, fillRatePct: 99 })
  })

  it('judges the success criteria on Almgren–Chriss', async () => {
    const r = await loadReport(store, { since: new Date(NOW - 7 * DAY), now: new Date(NOW) })
    expect(Object.fromEntries(r.criteria.map((c) => [c.name, c.pass]))).toEqual({
      'fill rate': true,
      'execution time': true,
      'market fallback': false,
      'price improvement vs walk-the-book': true,
    })
    expect(r.criteria.at(-1)!.actual).toBe('AC 1 ± 2.08 bps vs WTB 7 ± 1 bps (positive = cost): AC better by 6 bps')
  })

  it('includes older executions without --since, and filters by symbol', async () => {
    const all = await loadReport(store, { since: null })
    expect(all.rows.find((x) => x.symbol === 'ALL' && x.strategy === 'ALL')!.executions).toBe(6)
    const msft = await loadReport(store, { since: null, symbol: 'msft' })
    expect(new Set(msft.rows.map((x) => x.symbol))).toEqual(new Set(['MSFT', 'ALL']))
  })

  it('prints json, csv and a table for acx report', async () => {
    const out = [
      await reportCommand({ db: path, format: 'json' }),
      await reportCommand({ db: path, format: 'csv', symbol: 'AAPL' }),
      await reportCommand({ db: path, format: 'table' }),
    ]
    const json = JSON.parse(out[0]!)
    expect(json.rows.length).toBeGreaterThan(0)
    const csv = out[1]!.trim().split('\n')
    expect(csv[0]).toBe(
      'symbol,strategy,executions,fill_rate_pct,avg_execution_seconds,shortfall_bps,shortfall_stderr_bps,market_fallback_rate_pct,strategy_usage_pct',
    )
    expect(csv.slice(1).every((l) => l.startsWith('AAPL,') || l.startsWith('ALL,'))).toBe(true)
    expect(out[2]).toMatch(/FAIL\s+market fallback/)
    expect(out[2]).toMatch(/PASS\s+fill rate/)
  })

  it('rejects a bad --since naming the flag', async () => {
    await expect(reportCommand({ db: path, since: 'yesterday', format: 'table' })).rejects.toThrow(
      /^--since yesterday: use an ISO date/,
    )
  })

  it('parses relative and absolute --since values', () => {
    const now = new Date(NOW)
    expect(parseSince('7d', now)!.getTime()).toBe(NOW - 7 * DAY)
    expect(parseSince('24h', now)!.getTime()).toBe(NOW - DAY)
    expect(parseSince('2026-11-01', now)!.toISOString()).toBe('2026-11-01T00:00:00.000Z')
    expect(parseSince('soon', now)).toBeNull()
  })
})
