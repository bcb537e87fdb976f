import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { dashboardAssets, dashboardSize } from '../src/index.js'

describe('the built page', () => {
  const byName = new Map(dashboardAssets.map((a) => [a.name, a]))
  const index = byName.get('index.html')!

  it('is one page loading one hashed script and one hashed stylesheet of its own, nothing inline, nothing from elsewhere', () => {
    const refs = [...index.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
    expect(refs).toHaveLength(3)
    const [icon, ...files] = refs
    expect(icon).toBe('data:,')
    for (const ref of files) {
      expect(ref).toMatch(/^\/ui\/app\.[A-Z0-9]+\.(js|css)$/)
      expect(byName.get(ref!.slice('/ui/'.length))?.immutable).toBe(true)
    }
    // a strict CSP forbids inline scripts and styles
    expect(index.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(index.body).not.toMatch(/<style|style="/)
    expect(index.body).not.toMatch(/https?:\/\//)
  })

  it('carries the sha256 of each body, and stays under its budget of 400 KB gzipped, WebAssembly included', () => {
    for (const a of dashboardAssets) expect(createHash('sha256').update(a.body).digest('hex')).toBe(a.sha256)
    const gzip = dashboardAssets.reduce((n, a) => n + gzipSync(a.body, { level: 9 }).length, 0)
    expect(gzip).toBe(dashboardSize.gzipBytes)
    expect(gzip).toBeLessThan(400 * 1024)
    // the kernels travel inside the script, as base64 (no fetch of a .wasm file at run time)
    const js = dashboardAssets.find((a) => a.name.endsWith('.js'))!
    expect(js.body).toMatch(/AGFzbQ/) // "\0asm" in base64
  })
})
