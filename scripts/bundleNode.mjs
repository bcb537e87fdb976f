// The one esbuild recipe for running a TypeScript entry under plain Node: ESM, sibling @acx/* packages
// bundled from their TypeScript source (the @acx/source condition), `require` available for CommonJS
// dependencies. Used by runTs.mjs, the Lambda bundle, the research worker from source, and tests.
import { build } from 'esbuild'

/** `require` inside an ES module bundle, for the CommonJS dependencies that call it. */
const REQUIRE_BANNER =
  "import { createRequire as __acxCreateRequire } from 'node:module'; const require = __acxCreateRequire(import.meta.url);"

/** Leaves every non-workspace package to Node's resolution at run time. */
const externalNonWorkspace = {
  name: 'external-non-workspace',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) =>
      a.path.startsWith('@acx/') ? undefined : { path: a.path, external: true },
    )
  },
}

/**
 * Bundles `entry`. With `outfile` it writes the file; without, it returns the code. `inlineDependencies`
 * bundles npm packages too (except `external`), for an artefact that runs alone; `plugins` (esbuild's)
 * come before the recipe's own.
 */
export async function bundleNode({
  entry,
  outfile,
  inlineDependencies = false,
  external = [],
  minify = false,
  plugins = [],
}) {
  const result = await build({
    entryPoints: [entry],
    ...(outfile === undefined ? { write: false } : { outfile }),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@acx/source'],
    logLevel: 'warning',
    legalComments: 'none',
    minify,
    external,
    banner: { js: REQUIRE_BANNER },
    plugins: [...plugins, ...(inlineDependencies ? [] : [externalNonWorkspace])],
  })
  return outfile === undefined ? result.outputFiles?.[0]?.contents : undefined
}
