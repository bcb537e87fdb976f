#!/usr/bin/env node
// Runs a TypeScript entry (a benchmark, a script) under plain Node 20: esbuild bundles the entry and
// sibling @acx/* packages from source (the @acx/source condition); other packages stay external.
import { bundleNode } from './bundleNode.mjs'
import { mkdirSync, rmSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  console.error('usage: node scripts/runTs.mjs <entry.ts> [args…]')
  process.exit(2)
}
const outDir = join(process.cwd(), 'node_modules/.cache/acx-run')
mkdirSync(outDir, { recursive: true })
// one file per process: several may bundle the same entry at once (tests start service instances in parallel)
const outfile = join(outDir, `${basename(entry).replace(/\.ts$/, '')}.${process.pid}.mjs`)
await bundleNode({ entry: resolve(entry), outfile })
process.argv = [process.argv[0], outfile, ...args]
try {
  await import(pathToFileURL(outfile).href)
} finally {
  // the module is loaded; what it left running keeps the process alive, the file is no longer needed
  rmSync(outfile, { force: true })
}
