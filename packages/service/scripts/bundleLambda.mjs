#!/usr/bin/env node
// Bundles the Lambda handler into one file that runs with nothing beside it: build/lambda/index.mjs
// (handler `index.handler`), every dependency inlined and minified. The two modules that load the native
// SQLite driver (the SQLite store and the simulated market's state) are replaced by stubs that refuse
// with the setting to change: on Lambda the store is DynamoDB and the broker Alpaca. The HTTP server,
// the Prometheus client and the SQS client are not imported by the handler at all.
import { statSync } from 'node:fs'
import { bundleNode } from '../../../scripts/bundleNode.mjs'

const outfile = 'build/lambda/index.mjs'
const STUBS = {
  'sqliteStoreFor.js': 'sqliteStoreFor',
  'simBroker.js': 'createSimBroker',
}

/** Resolves the SQLite-backed modules to stubs that throw a typed message naming the setting. */
const withoutSqlite = {
  name: 'lambda-without-sqlite',
  setup(b) {
    b.onResolve({ filter: /\/(sqliteStoreFor|simBroker)\.js$/ }, (a) => ({
      path: a.path.split('/').pop(),
      namespace: 'lambda-stub',
    }))
    b.onLoad({ filter: /.*/, namespace: 'lambda-stub' }, (a) => ({
      contents:
        `export function ${STUBS[a.path]}() {\n` +
        `  const e = new Error(${JSON.stringify(
          'the Lambda bundle has no SQLite: set ACX_STORE=dynamodb and ACX_BROKER=alpaca',
        )})\n  e.name = 'ServiceError'; e.code = 'SERVICE_CONFIG_INVALID'; throw e\n}\n`,
      loader: 'js',
    }))
  },
}

await bundleNode({
  entry: 'src/lambda/handler.ts',
  outfile,
  inlineDependencies: true,
  minify: true,
  plugins: [withoutSqlite],
})
console.log(`${outfile}: ${statSync(outfile).size} bytes`)
