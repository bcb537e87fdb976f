import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acx, scratchDir } from './cliHarness.js'

const tmp = scratchDir()
afterAll(() => tmp.cleanup())

const GRID = 'shares,horizon,slices,volatility,temporary_impact,permanent_impact,fixed_cost,risk_aversion\n'

describe('acx', () => {
  it('says to build first when its bin runs before a build (no dist/)', () => {
    const bin = tmp.file('unbuilt/bin/acx.js')
    mkdirSync(tmp.file('unbuilt/bin'), { recursive: true })
    copyFileSync(new URL('../bin/acx.js', import.meta.url), bin)
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/not built yet .*npm run build/s)
  })

  it('prints its version and lists every command', async () => {
    const v = await acx('--version')
    expect(v.code).toBe(0)
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    const h = await acx('--help')
    for (const c of ['frontier', 'schedule', 'simulate', 'serve', 'report', 'calibrate', 'prune', 'dynamodb'])
      expect(h.stdout).toContain(c)
    const f = await acx('help', 'frontier')
    expect(f.stdout).toContain('--shard')
  })

  it('refuses a --db that does not exist, naming it, and creates nothing', async () => {
    const db = tmp.file('nope/acx.db')
    for (const argv of [
      ['report', '--db', db],
      ['prune', '--db', db, '--before', '7d'],
      ['calibrate', '--db', db],
    ]) {
      const r = await acx(...argv)
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(db)
    }
    expect(readdirSync(tmp.dir)).not.toContain('nope')
  })

  it('reads a directory of grids into a directory of outputs, one shard at a time', async () => {
    const grids = tmp.file('grids')
    mkdirSync(grids)
    for (let i = 0; i < 3; i++) writeFileSync(join(grids, `g${i}.csv`), `${GRID}1e6,5,5,0.95,2.5e-6,0,0,${i}e-6\n`)
    const out = tmp.file('outs')
    const r = await acx('frontier', '--grid', grids, '--out', out, '--shard', '1/2', '--format', 'jsonl')
    expect(r.code).toBe(0)
    expect(readdirSync(out)).toEqual(['g1.jsonl'])
    expect(r.stderr).toMatch(/1 file, 1 rows/)
    const bad = await acx('frontier', '--grid', grids, '--out', out, '--shard', '2/2')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/--shard/)
    const notDir = await acx('frontier', '--grid', join(grids, 'g0.csv'), '--shard', '0/2')
    expect(notDir.code).toBe(1)
    const noOut = await acx('frontier', '--grid', grids)
    expect(noOut.code).toBe(1)
    expect(noOut.stderr).toMatch(/--out/)
  })
})
