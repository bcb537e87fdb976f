export { runCli } from './cli.js'
export type { CommandModule } from './cli.js'
