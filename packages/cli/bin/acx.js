#!/usr/bin/env node
// The `acx` bin. Committed (not built) so that npm links it at install time, before any build: it runs
// the built command line, or says how to build it.
import { existsSync } from 'node:fs'

const main = new URL('../dist/esm/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write(
    'acx: @acx/cli is not built yet (no dist/esm/main.js). In the acx repository run `npm run build` ' +
      '(or `npx nx run @acx/cli:build`) first.\n',
  )
  process.exitCode = 1
} else {
  await import(main.href)
}
