import { describe, expect, it, onTestFinished } from 'vitest'
import { acx } from './cliHarness.js'

describe('acx schedule', () => {
  it('prints a table and JSON from the command line, flags over the environment', async () => {
    process.env.AC_IMPACT_MODEL = 'order_fraction'
    onTestFinished(() => {
      delete process.env.AC_IMPACT_MODEL
    })
    const t = await acx('schedule', '--profile', 'large_cap', '--quantity', '1000', '--price', '190')
    expect(t.code).toBe(0)
    expect(t.stdout).toMatch(/κT 2\.73912/)
    expect(t.stdout).toMatch(/^\s+0\s+0\s+1000\s+100\.00%\s+426\s+42\.66%\s+0\.600$/m)
    const j = await acx(
      'schedule',
      '--slices',
      '3',
      '--horizon',
      '90',
      '--slice-wait',
      '10',
      '--strategy',
      'twap',
      '--format',
      'json',
    )
    expect(j.code).toBe(0)
    const r = JSON.parse(j.stdout)
    expect(r.kappa).toBe(0)
    expect(r.halfLifeSeconds).toBeNull()
    expect(r.decayTimeSeconds).toBeNull()
    expect(r.slices.map((s: { tradeQty: number }) => s.tradeQty)).toEqual([333, 333, 334])
  })

  it('exits 2 naming each bad flag, and each bad variable a flag did not override', async () => {
    const r = await acx('schedule', '--slices', '0', '--temporary-impact', '-1')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--slices: must be ≥ 1/)
    expect(r.stderr).toMatch(/--temporary-impact: must be > 0/)
    process.env.AC_RISK_AVERSION = 'lots'
    process.env.AC_NUM_SLICES = '0'
    try {
      const e = await acx('schedule', '--slices', '4')
      expect(e.code).toBe(2)
      expect(e.stderr).toMatch(/AC_RISK_AVERSION: must be a number/)
      expect(e.stderr).not.toMatch(/AC_NUM_SLICES/) // the flag won
    } finally {
      delete process.env.AC_RISK_AVERSION
      delete process.env.AC_NUM_SLICES
    }
  })
})
