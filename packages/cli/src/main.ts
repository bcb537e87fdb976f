// The `acx` executable (bin/acx.js loads this file from the build).
import { runCli } from './cli.js'

runCli(process.argv.slice(2)).then((code) => {
  if (code !== 0) process.exitCode = code
})
