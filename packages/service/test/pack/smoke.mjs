// Runs inside an empty project with the packed tarballs installed (scripts/checkPackage.mjs).
import { loadConfig, parseIntent, reportCommand, serve } from '@acx/service'

const config = loadConfig({})
if (!config.ok || config.config.ACX_BROKER !== 'sim')
  throw new Error('default config should run on the simulated market')
const bad = parseIntent({ side: 'BUY', symbol: 'AAPL', quantity: '0', urgency: 'LOW', correlationId: 'x' })
if (bad.ok) throw new Error('quantity 0 accepted')
// The command line is @acx/cli's; the service keeps what its `serve`, `report` and `prune` call.
if (typeof serve !== 'function' || typeof reportCommand !== 'function') throw new Error('command functions missing')
