import nx from '@nx/eslint-plugin'
import tseslint from 'typescript-eslint'

const SERVICE_ONLY = ['pino', 'pino-*', 'fastify', '@fastify/*', 'better-sqlite3', 'prom-client', 'commander', '@aws-sdk/*']

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', '**/src/generated/**', '**/assembly/**', '.nx/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.cjs'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          // ac-core-wasm ← engine ← broker-alpaca ← service; the Alpaca SDK only in broker-alpaca,
          // decimal.js never in the kernel, logging/HTTP/DB drivers only in the service.
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'layer:kernel',
              onlyDependOnLibsWithTags: ['layer:kernel'],
              bannedExternalImports: ['decimal.js', '@alpacahq/*', ...SERVICE_ONLY],
            },
            {
              sourceTag: 'layer:domain',
              onlyDependOnLibsWithTags: ['layer:kernel', 'layer:domain'],
              bannedExternalImports: ['@alpacahq/*', ...SERVICE_ONLY],
            },
            {
              sourceTag: 'layer:adapter',
              onlyDependOnLibsWithTags: ['layer:kernel', 'layer:domain', 'layer:adapter'],
              bannedExternalImports: SERVICE_ONLY,
            },
            {
              sourceTag: 'layer:app',
              onlyDependOnLibsWithTags: ['layer:kernel', 'layer:domain', 'layer:adapter', 'layer:app'],
              bannedExternalImports: ['@alpacahq/*'],
            },
          ],
        },
      ],
    },
  },
  {
    // Pack smoke tests run inside an empty project that installs the tarball: they must use the name.
    files: ['**/test/pack/**'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
)
