export interface BundleNodeOptions {
  readonly entry: string
  readonly outfile?: string
  readonly inlineDependencies?: boolean
  readonly external?: readonly string[]
  readonly minify?: boolean
  readonly plugins?: readonly import('esbuild').Plugin[]
}
/** Writes `outfile` (resolves to undefined), or returns the bundle's bytes when there is none. */
export function bundleNode(options: BundleNodeOptions): Promise<Uint8Array | undefined>
