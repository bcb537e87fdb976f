#!/usr/bin/env node
// Checks that the package in the current directory is publishable on its own:
// publint --strict, attw --pack, then `npm pack` of it (and of the workspace packages it depends on)
// installed into an empty project, where it must load through both `import` and `require`.
// A package may add test/pack/smoke.mjs and test/pack/smoke.cjs: they run inside that project (what
// they print is shown).
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const cwd = process.cwd()
const bin = (name) => join(root, 'node_modules/.bin', name)
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts })

const readPkg = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
const workspaceDirs = new Map(
  readPkg(root)
    .workspaces.flatMap((glob) => {
      const base = join(root, glob.replace(/\/\*$/, ''))
      return run('ls', [base])
        .trim()
        .split('\n')
        .map((d) => join(base, d))
    })
    .filter((d) => existsSync(join(d, 'package.json')))
    .map((d) => [readPkg(d).name, d]),
)

const pkg = readPkg(cwd)
const step = (label, fn) => {
  try {
    const out = fn()
    console.log(`ok  ${label}`)
    return out
  } catch (err) {
    console.error(`FAIL ${label}\n${err.stdout ?? ''}${err.stderr ?? ''}${err.stdout || err.stderr ? '' : err}`)
    process.exit(1)
  }
}

step('publint --strict', () => run(bin('publint'), ['--strict']))
// Subpaths that export a non-JS file (such as ./wasm) have no types for attw to check.
const assetEntries = Object.entries(pkg.exports ?? {})
  .filter(([key, target]) => typeof target === 'string' && !/\.(c|m)?js$/.test(target) && key !== './package.json')
  .map(([key]) => key)
const attwArgs = ['--pack', '.', '--format', 'table-flipped']
if (assetEntries.length) attwArgs.push('--exclude-entrypoints', ...assetEntries)
step('attw --pack', () => run(bin('attw'), attwArgs))

// The package and every workspace package it needs, transitively.
const needed = []
const visit = (name) => {
  if (needed.includes(name)) return
  needed.push(name)
  for (const dep of Object.keys(readPkg(workspaceDirs.get(name)).dependencies ?? {})) {
    if (workspaceDirs.has(dep)) visit(dep)
  }
}
visit(pkg.name)

const tmp = mkdtempSync(join(tmpdir(), 'acx-pack-'))
try {
  const tarballs = step(`npm pack ${needed.join(' ')}`, () =>
    needed.map((name) => {
      const out = JSON.parse(
        run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: workspaceDirs.get(name) }),
      )
      return join(tmp, out[0].filename)
    }),
  )
  const app = join(tmp, 'app')
  run('mkdir', ['-p', app])
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, version: '0.0.0' }))
  step('install tarballs into an empty project', () =>
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...tarballs], {
      cwd: app,
    }),
  )
  const name = JSON.stringify(pkg.name)
  step('import() from ESM', () =>
    run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${name}); if (!Object.keys(m).length) throw new Error('no exports')`,
      ],
      { cwd: app },
    ),
  )
  step('require() from CommonJS', () =>
    run(
      process.execPath,
      ['-e', `const m = require(${name}); if (!Object.keys(m).length) throw new Error('no exports')`],
      { cwd: app },
    ),
  )
  for (const smoke of ['smoke.mjs', 'smoke.cjs']) {
    const file = join(cwd, 'test/pack', smoke)
    if (!existsSync(file)) continue
    cpSync(file, join(app, smoke))
    const out = step(`test/pack/${smoke}`, () => run(process.execPath, [smoke], { cwd: app }))
    if (out) process.stdout.write(out)
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
