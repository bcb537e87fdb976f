#!/usr/bin/env node
// Builds the package in the current directory into ESM and CommonJS with type declarations:
//   dist/esm/index.js (+ .d.ts)   dist/cjs/index.js (+ .d.ts, with {"type":"commonjs"} beside them)
// Declarations are emitted once by tsc and copied, so both module systems see the same types; the
// nested package.json makes Node and TypeScript read the cjs copy as CommonJS.
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const cwd = process.cwd()
const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'))
const entries = pkg.acxBuild?.entries ?? ['src/index.ts']
const platform = pkg.acxBuild?.platform ?? 'neutral'

rmSync(join(cwd, 'dist'), { recursive: true, force: true })

const common = {
  entryPoints: entries,
  bundle: true,
  packages: 'external',
  external: ['node:*'],
  platform,
  target: 'es2022',
  sourcemap: false,
  logLevel: 'warning',
  legalComments: 'none',
  // code that needs its own URL falls back to __filename in the CommonJS build
  logOverride: { 'empty-import-meta': 'silent' },
}
// `acxBuild.splitting`: dynamic imports become chunks of their own (ESM only), so a command line loads
// only what the command it runs imports.
const splitting = pkg.acxBuild?.splitting === true ? { splitting: true, chunkNames: 'chunks/[name]-[hash]' } : {}
await build({ ...common, ...splitting, format: 'esm', outdir: 'dist/esm', outbase: 'src' })
await build({ ...common, format: 'cjs', outdir: 'dist/cjs', outbase: 'src' })
writeFileSync(join(cwd, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n')

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
cpSync(join(cwd, 'dist/esm'), join(cwd, 'dist/cjs'), {
  recursive: true,
  filter: (src) => !src.endsWith('.js'),
})
mkdirSync(join(cwd, 'dist'), { recursive: true })
console.log(`${pkg.name}: built dist/esm and dist/cjs`)
