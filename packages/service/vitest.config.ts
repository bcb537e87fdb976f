import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Resolve sibling workspace packages to their TypeScript source, as TanStack does.
  resolve: { conditions: ['@acx/source'] },
  ssr: { resolve: { conditions: ['@acx/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    restoreMocks: true,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
  },
})
