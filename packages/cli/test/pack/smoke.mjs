// Runs inside an empty project with the packed @acx/cli, @acx/research and the libraries they need
// installed (scripts/checkPackage.mjs): the researcher's install. It must need no native build, hold no
// server, store or cloud package, and `acx frontier` must run from it.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const modules = join(process.cwd(), 'node_modules')
/** Every installed package directory (scoped ones included, nested node_modules too). */
function packages(dir, out = []) {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue
    const path = join(dir, name)
    if (name.startsWith('@')) packages(path, out)
    else if (existsSync(join(path, 'package.json'))) {
      out.push(path)
      packages(join(path, 'node_modules'), out)
    }
  }
  return out
}
const installed = packages(modules)
const names = installed.map((p) => JSON.parse(readFileSync(join(p, 'package.json'), 'utf8')).name)

const FORBIDDEN = [
  /^fastify$/,
  /^better-sqlite3$/,
  /^@aws-sdk\//,
  /^pino$/,
  /^@acx\/service$/,
  /^echarts$/,
  /^@resvg\//,
]
const forbidden = names.filter((n) => FORBIDDEN.some((re) => re.test(n)))
if (forbidden.length > 0) throw new Error(`the researcher's install holds ${forbidden.join(', ')}`)

const native = installed.filter((p) => {
  const pkg = JSON.parse(readFileSync(join(p, 'package.json'), 'utf8'))
  const s = pkg.scripts ?? {}
  return existsSync(join(p, 'binding.gyp')) || s.install || s.preinstall || s.postinstall
})
if (native.length > 0) throw new Error(`packages with a build step: ${native.join(', ')}`)

const acx = (...args) => spawnSync('npx', ['--no-install', 'acx', ...args], { encoding: 'utf8' })
const f = acx('frontier', '--risk-aversion', '1e-7:1e-5:3', '--log', '--workers', '2')
if (f.status !== 0) throw new Error(`acx frontier failed: ${f.stderr}`)
const lines = f.stdout.trim().split('\n')
if (lines.length !== 4 || !lines[0].startsWith('shares,horizon,') || !lines.slice(1).every((l) => l.endsWith(',ok')))
  throw new Error(`acx frontier printed:\n${f.stdout}`)

execFileSync('npx', ['--no-install', 'acx', 'frontier', '--out', 'f.parquet', '--workers', '1'])
if (readFileSync('f.parquet').subarray(0, 4).toString() !== 'PAR1') throw new Error('not a Parquet file')

const r = acx('report')
if (r.status === 0 || !r.stderr.includes('npm install @acx/service'))
  throw new Error(`acx report without @acx/service: ${r.status} ${r.stderr}`)
const v = acx('--version')
if (v.stdout.trim() !== JSON.parse(readFileSync(join(modules, '@acx/cli/package.json'), 'utf8')).version)
  throw new Error(`acx --version printed ${v.stdout}`)

console.log(`    researcher's install: ${installed.length} packages, none with a build step`)
