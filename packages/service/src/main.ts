// `npm start`: until the placement service lands, print the efficient frontier of the paper's example.
import { loadAcCore } from '@acx/ac-core-wasm'
import { formatFrontierTable } from './frontierTable.js'
import { PAPER_EXAMPLE, PAPER_RISK_AVERSIONS } from './paperExample.js'

async function main(): Promise<void> {
  const core = await loadAcCore()
  const frontier = core.frontier(PAPER_EXAMPLE, PAPER_RISK_AVERSIONS)
  console.log('Almgren–Chriss efficient frontier, paper example (X = 1e6 shares, T = 5 days, N = 5; $ and $²)')
  console.log(formatFrontierTable(frontier))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
