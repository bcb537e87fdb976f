import { defineConfig, type ViteUserConfig } from 'vitest/config'

/** Coverage floors (percent) a package's tests must keep; stated in the package's README. */
export interface CoverageFloor {
  readonly lines: number
  readonly branches: number
  readonly functions: number
  readonly statements: number
}

/**
 * The one vitest configuration of every package: sibling workspace packages resolve to their TypeScript
 * source (the `@acx/source` condition, as TanStack does), mocks are restored after each test, type tests
 * (`*.test-d.ts`) run with the rest, and v8 coverage of `src/` is reported and held to the package's floor.
 */
export function packageTestConfig(
  floor: CoverageFloor,
  extra: { readonly exclude?: readonly string[] } = {},
): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ['@acx/source'] },
    ssr: { resolve: { conditions: ['@acx/source'] } },
    test: {
      include: ['test/**/*.test.ts'],
      restoreMocks: true,
      typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
      coverage: {
        provider: 'v8',
        include: ['src/**/*.ts'],
        exclude: ['src/**/*.test.ts', 'src/generated/**', ...(extra.exclude ?? [])],
        reporter: ['text-summary'],
        thresholds: { ...floor },
      },
    },
  })
}
