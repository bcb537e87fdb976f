#!/usr/bin/env node
// Bundles the Lambda handler into one file, dist/lambda/index.mjs (export `handler`), with every
// dependency inlined except the native better-sqlite3 addon, which the deployment package must carry
// in node_modules (built for the Lambda runtime's platform).
import { build } from 'esbuild'

await build({
  entryPoints: ['src/lambda/handler.ts'],
  outfile: 'dist/lambda/index.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  conditions: ['@acx/source'],
  banner: {
    js: "import { createRequire as __acxRequire } from 'node:module'; const require = __acxRequire(import.meta.url);",
  },
  logLevel: 'warning',
  legalComments: 'none',
})
console.log('dist/lambda/index.mjs')
