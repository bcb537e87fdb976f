/** One file of the page, as the service serves it. */
export interface DashboardAsset {
  /** The file name: `index.html` (served at `/`), or a content-hashed `app.<hash>.js` / `.css` (at `/ui/<name>`). */
  readonly name: string
  readonly contentType: string
  /** True for content-hashed names: they never change, so they may be cached for good. */
  readonly immutable: boolean
  /** sha256 of the body, hex (the ETag). */
  readonly sha256: string
  readonly body: string
}
