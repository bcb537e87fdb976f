import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import {
  UNLIMITED_RISK,
  createAcConfig,
  createEngine,
  createVirtualClock,
  parseOrderIntent,
  type AcConfigInput,
} from '@acx/engine'
import { createSqliteStore } from '../src/persistence/sqliteStore.js'
import { createDynamoStore } from '../src/persistence/dynamoStore.js'
import { createDynamoTable } from '../src/persistence/dynamoTable.js'
import type { ExecutionStore } from '../src/persistence/executionStore.js'
import { calibrateFromStore, regressThroughOrigin } from '../src/report/calibrate.js'
import { marketFor } from '@acx/research'
import { FAKE_CREDENTIALS, LOCAL_REGION, startDynalite, type LocalServer } from './support/localAws.js'
import { calibrateCommand } from '../src/commands.js'

/**
 * Executions generated on the model market (`createModelMarket`, the participation model with known η
 * and γ) through the real engine into a real store, then calibrated back. The market: ADV 100,000
 * shares, σ 2 %/day. The permanent term is the hard one: a slice of n shares moves the mid by
 * γ·σ·n/ADV against price noise σ·√(τ/D) over its interval, a signal/noise of γ·p·√(τ/D) at
 * participation p = (n/τ)/V̄ — 0.02 at p = 1, τ = 60 s: hopeless from a few thousand fills at any
 * realistic rate. So the orders here trade at 5, 10 and 15 × V̄ (TWAP over 3,000 s in 5 slices, τ = 600 s;
 * 64,000–192,000 shares), a signal/noise of 0.3–1 per move, and 3,000 fills pin both down.
 */
const ETA = 0.5
const GAMMA = 0.4
const ADV = 100_000
const input: AcConfigInput = {
  impact: { eta: ETA, gamma: GAMMA, maxParticipation: null },
  ac: { totalTimeSeconds: 3000, numSlices: 5, sliceWaitSeconds: 1 },
}
const core = loadAcCoreSync()

async function generate(store: ExecutionStore, count: number, seed: number): Promise<void> {
  const config = { ...createAcConfig(input), risk: UNLIMITED_RISK }
  const quantities = [64_000, 128_000, 192_000] // 5, 10, 15 × V̄ over 3,000 s
  for (let i = 0; i < count; i++) {
    const clock = createVirtualClock({ startMs: Date.UTC(2026, 10, 2, 15) + i * 60_000 })
    const side = i % 2 === 0 ? 'BUY' : 'SELL'
    const quantity = quantities[i % quantities.length] as number
    const spec = {
      strategy: 'twap',
      config: input,
      market: 'model',
      side,
      quantity,
      price: 50,
      spread: 0.02,
      seed,
      adv: ADV,
    } as const
    const broker = marketFor(spec, i, clock, config)
    const engine = createEngine({ broker, clock, config, journal: store, core })
    const parsed = parseOrderIntent({
      side,
      symbol: 'SIM',
      quantity: String(quantity),
      urgency: 'MEDIUM',
      correlationId: `cal-${seed}-${i}`,
      strategy: 'twap',
    })
    if (!parsed.ok) throw new Error('bad intent')
    const id = `ex-${seed}-${i}`
    await store.createExecution({ id, intent: parsed.value, nowMs: clock.now() })
    const r = await engine.execute(parsed.value, { executionId: id })
    if (!r.success) throw new Error(`execution ${id} did not fill: ${JSON.stringify(r.error)}`)
  }
}

describe('calibrate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acx-calibrate-'))
  const tmp = { file: (name: string) => join(dir, name) }
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('recovers η and γ within 10 % from a few thousand child fills', { timeout: 120_000 }, async () => {
    const path = tmp.file('calibrate.sqlite')
    const store = createSqliteStore({ path })
    await generate(store, 600, 5)
    const r = await calibrateFromStore(store, { tradingDaySeconds: 23_400 })
    await store.close()
    expect(r.executionsRead).toBe(600)
    expect(r.pooled.executions).toBe(600)
    expect(r.pooled.eta.n).toBe(3000)
    expect(r.pooled.gamma.n).toBe(2400) // the mid's moves between slices 0 → 1 … 3 → 4 (slice 0 starts at arrival)
    expect(Math.abs((r.pooled.eta.value as number) / ETA - 1)).toBeLessThan(0.1)
    expect(Math.abs((r.pooled.gamma.value as number) / GAMMA - 1)).toBeLessThan(0.1)
    // the standard errors are honest: the truth is within 4 of them
    expect(Math.abs((r.pooled.gamma.value as number) - GAMMA)).toBeLessThan(4 * (r.pooled.gamma.stderr as number))
    expect(r.pooled.eta.usable && r.pooled.gamma.usable).toBe(true)
    expect(r.symbols.map((s) => s.symbol)).toEqual(['SIM'])
    const recommended = Object.fromEntries(r.recommended.map((x) => x.split('=')))
    expect(Object.keys(recommended)).toEqual(['AC_IMPACT_ETA', 'AC_IMPACT_GAMMA'])
    expect(Math.abs(Number(recommended.AC_IMPACT_ETA) / ETA - 1)).toBeLessThan(0.1)
    expect(Math.abs(Number(recommended.AC_IMPACT_GAMMA) / GAMMA - 1)).toBeLessThan(0.1)

    const cli = await calibrateCommand({ db: path, format: 'table' })
    expect(cli).toMatch(/600 executions read, 600 used/)
    expect(cli).toMatch(/^\s+all\s+600\s+0\.\d+\s+\S+\s+3000\s+ok\s+0\.\d+\s+\S+\s+2400\s+ok$/m)
    expect(cli).toMatch(/recommended settings:\n {2}AC_IMPACT_ETA=/)
  })

  it('says an estimate is too uncertain to use, and recommends nothing then', async () => {
    const store = createSqliteStore({ path: ':memory:' })
    await generate(store, 3, 9)
    const r = await calibrateFromStore(store, { tradingDaySeconds: 23_400 })
    await store.close()
    expect(r.pooled.gamma.usable).toBe(false) // 12 moves: below the 30 observations asked for
    expect(r.recommended.some((x) => x.startsWith('AC_IMPACT_GAMMA'))).toBe(false)
    const missing = tmp.file('nope.sqlite')
    await expect(calibrateCommand({ db: missing, format: 'table' })).rejects.toThrow(`--db ${missing}: no such file`)
  })

  it('fits a line through the origin with its standard error (closed form)', () => {
    // y = 2x + e, e = ±0.1 alternating: β̂ = Σxy/Σx², se² = Σr²/(n−1)/Σx²
    const x = [1, 2, 3, 4]
    const y = [2.1, 3.9, 6.1, 7.9]
    const b = (2.1 + 7.8 + 18.3 + 31.6) / 30
    const ssr = x.reduce((a, xi, i) => a + ((y[i] as number) - b * xi) ** 2, 0)
    const r = regressThroughOrigin(x, y)
    expect(r.value).toBeCloseTo(b, 14)
    expect(r.stderr).toBeCloseTo(Math.sqrt(ssr / 3 / 30), 14)
    expect(regressThroughOrigin([1], [1]).value).toBeNull()
    expect(regressThroughOrigin([0, 0], [1, 2]).value).toBeNull()
  })

  describe('on DynamoDB', () => {
    let dynalite: LocalServer
    beforeAll(async () => {
      dynalite = await startDynalite()
    })
    afterAll(async () => {
      await dynalite?.stop()
    })

    it('gives what the same executions give on SQLite', { timeout: 60_000 }, async () => {
      const connection = { endpoint: dynalite.endpoint, region: LOCAL_REGION, credentials: FAKE_CREDENTIALS }
      await createDynamoTable({ tableName: 'acx-calibrate', ...connection })
      const dynamo = createDynamoStore({ tableName: 'acx-calibrate', ...connection })
      const sqlite = createSqliteStore({ path: ':memory:' })
      await generate(dynamo, 6, 3)
      await generate(sqlite, 6, 3)
      const [d, s] = await Promise.all([
        calibrateFromStore(dynamo, { tradingDaySeconds: 23_400 }),
        calibrateFromStore(sqlite, { tradingDaySeconds: 23_400 }),
      ])
      await Promise.all([dynamo.close(), sqlite.close()])
      expect(d.pooled.executions).toBe(6)
      expect(d.pooled.eta.n).toBe(s.pooled.eta.n)
      expect(d.pooled.gamma.n).toBe(s.pooled.gamma.n)
      expect(d.pooled.eta.value).toBeCloseTo(s.pooled.eta.value as number, 12)
      expect(d.pooled.gamma.value).toBeCloseTo(s.pooled.gamma.value as number, 12)
    })
  })
})
