// Runs inside an empty project with the packed tarballs installed (scripts/checkPackage.mjs).
import { execFileSync } from 'node:child_process'
import { loadConfig, parseIntent } from '@acx/service'

const config = loadConfig({})
if (!config.ok || config.config.ACX_BROKER !== 'sim')
  throw new Error('default config should run on the simulated market')
const bad = parseIntent({ side: 'BUY', symbol: 'AAPL', quantity: '0', urgency: 'LOW', correlationId: 'x' })
if (bad.ok) throw new Error('quantity 0 accepted')
const help = execFileSync('npx', ['--no-install', 'acx', '--help'], { encoding: 'utf8' })
for (const command of ['serve', 'report']) if (!help.includes(command)) throw new Error(`acx --help lacks ${command}`)
