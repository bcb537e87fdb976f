import nx from '@nx/eslint-plugin'
import tseslint from 'typescript-eslint'

const SERVICE_ONLY = [
  'pino',
  'pino-*',
  'fastify',
  '@fastify/*',
  'better-sqlite3',
  'prom-client',
  'commander',
  '@aws-sdk/*',
]
const INFRA_ONLY = ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs']
const TEST_FILES = ['**/test/**', '**/bench/**', '**/*.test.ts', '**/vitest.config.ts']

/**
 * kernel ← domain ← adapter / app-lib ← app ← cli / infra: ac-core-wasm ← engine ← broker-alpaca, research ←
 * service ← cli, deploy. The Alpaca SDK only in broker-alpaca, decimal.js never in the kernel, logging/HTTP/DB
 * drivers and cloud SDKs only in the service (research, the researcher's library, reaches none of them;
 * the command line reaches them only through @acx/service), the AWS CDK only in deploy (layer:infra, which
 * takes the service's configuration and table definition). The private test-utils package (layer:testing)
 * may be imported by tests and benchmarks only. The dashboard (layer:web) runs in the browser: it imports
 * the kernel only and talks to the service over HTTP; the service serves its built files (so the app layer
 * may import it). Its tests may read the engine, to hold the page's copy of the engine's unit mapping and
 * profiles to the engine's.
 */
function boundaries(testing) {
  const t = testing ? ['layer:testing'] : []
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      // the repository's own tooling at its root, outside every project
      allow: ['^(\\.\\./)+scripts/(bundleNode|readmeExamples)\\.mjs$', '^(\\.\\./)+vitest\\.shared\\.js$'],
      depConstraints: [
        {
          sourceTag: 'layer:kernel',
          onlyDependOnLibsWithTags: ['layer:kernel', ...t],
          bannedExternalImports: ['decimal.js', '@alpacahq/*', ...SERVICE_ONLY, ...INFRA_ONLY],
        },
        {
          sourceTag: 'layer:domain',
          onlyDependOnLibsWithTags: ['layer:kernel', 'layer:domain', ...t],
          bannedExternalImports: ['@alpacahq/*', ...SERVICE_ONLY, ...INFRA_ONLY],
        },
        {
          sourceTag: 'layer:adapter',
          onlyDependOnLibsWithTags: ['layer:kernel', 'layer:domain', 'layer:adapter', ...t],
          bannedExternalImports: [...SERVICE_ONLY, ...INFRA_ONLY],
        },
        {
          sourceTag: 'layer:app-lib',
          onlyDependOnLibsWithTags: ['layer:kernel', 'layer:domain', 'layer:app-lib', ...t],
          bannedExternalImports: ['@alpacahq/*', ...SERVICE_ONLY, ...INFRA_ONLY],
        },
        {
          sourceTag: 'layer:app',
          onlyDependOnLibsWithTags: [
            'layer:kernel',
            'layer:domain',
            'layer:adapter',
            'layer:app-lib',
            'layer:app',
            'layer:web',
            ...t,
          ],
          bannedExternalImports: ['@alpacahq/*', 'commander', ...INFRA_ONLY],
        },
        {
          sourceTag: 'layer:cli',
          onlyDependOnLibsWithTags: ['layer:kernel', 'layer:domain', 'layer:app-lib', 'layer:app', 'layer:cli', ...t],
          bannedExternalImports: ['@alpacahq/*', ...SERVICE_ONLY.filter((p) => p !== 'commander'), ...INFRA_ONLY],
        },
        {
          sourceTag: 'layer:infra',
          onlyDependOnLibsWithTags: ['layer:app', ...t],
          bannedExternalImports: ['@alpacahq/*'],
        },
        {
          sourceTag: 'layer:web',
          onlyDependOnLibsWithTags: ['layer:kernel', 'layer:web', ...(testing ? ['layer:domain'] : []), ...t],
          bannedExternalImports: ['decimal.js', '@alpacahq/*', ...SERVICE_ONLY, ...INFRA_ONLY],
        },
        {
          sourceTag: 'layer:testing',
          onlyDependOnLibsWithTags: ['layer:kernel', 'layer:domain', 'layer:adapter', 'layer:testing'],
          bannedExternalImports: ['@alpacahq/*', ...SERVICE_ONLY, ...INFRA_ONLY],
        },
      ],
    },
  ]
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/build/**',
      '**/node_modules/**',
      '**/src/generated/**',
      '**/assembly/**',
      '.nx/**',
      '**/.readme-examples/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs', '**/*.cjs'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      '@nx/enforce-module-boundaries': boundaries(false),
    },
  },
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
  },
  {
    // Pack smoke tests run inside an empty project that installs the tarball: they must use the name.
    files: ['**/test/pack/**'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
)
