/** One problem with an input: where (a path of field names) and what. */
export interface ValidationIssue {
  readonly path: readonly (string | number)[]
  readonly message: string
}

/** A validation outcome, shaped like zod's `safeParse`. */
export type Validation<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly ValidationIssue[] }
