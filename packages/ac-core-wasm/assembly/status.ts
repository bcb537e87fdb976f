// Kernel status codes. Kernels never throw: they return one of these, and the TypeScript host
// (src/status.ts mirrors this table) turns anything but OK into an AcCoreError or a sweep row status.
export const OK: i32 = 0
export const INVALID_SHARES: i32 = 1
export const INVALID_HORIZON: i32 = 2
export const INVALID_SLICES: i32 = 3
export const INVALID_VOLATILITY: i32 = 4
export const INVALID_TEMPORARY_IMPACT: i32 = 5
export const INVALID_PERMANENT_IMPACT: i32 = 6
export const INVALID_FIXED_COST: i32 = 7
export const INVALID_RISK_AVERSION: i32 = 8
export const ETA_TILDE_NONPOSITIVE: i32 = 9
export const NON_FINITE_RESULT: i32 = 10
export const OUT_OF_MEMORY: i32 = 11

/** Largest number of slices a parameter set may ask for. */
export const MAX_SLICES: f64 = 1000000
