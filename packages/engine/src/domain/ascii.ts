/**
 * Upper-cases ASCII letters only. `'ſ'.toUpperCase()` is `'S'` and `'ı'.toUpperCase()` is `'I'`, so a
 * full Unicode upper-casing would let `ſell`, `ſpy` or `hıgh` through as SELL, SPY or HIGH.
 */
export const asciiUpper = (s: string): string => s.replace(/[a-z]+/g, (run) => run.toUpperCase())
