#!/usr/bin/env node
// Bundles the Lambda handler into one file, dist/lambda/index.mjs (export `handler`), with every
// dependency inlined except the native better-sqlite3 addon, which the deployment package must carry
// in node_modules (built for the Lambda runtime's platform).
import { bundleNode } from '../../../scripts/bundleNode.mjs'

await bundleNode({
  entry: 'src/lambda/handler.ts',
  outfile: 'dist/lambda/index.mjs',
  inlineDependencies: true,
  external: ['better-sqlite3'],
})
console.log('dist/lambda/index.mjs')
