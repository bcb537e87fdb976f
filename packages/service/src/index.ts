export { formatFrontierTable } from './frontierTable.js'
export { PAPER_EXAMPLE, PAPER_RISK_AVERSIONS } from './paperExample.js'
