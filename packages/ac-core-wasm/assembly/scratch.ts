// Scratch for the staged kernels. The bulk kernels run their pipeline stage by stage over blocks of
// BLOCK rows (loop fission): each stage is a short loop whose iterations are independent, so the
// out-of-order core overlaps many of them, where one long fused loop body is a single dependency
// chain of ~350 instructions per pair that the core cannot see past (measured: 1.3× for the same work).
// A block's intermediate columns live here, 16 columns × 64 rows × 8 bytes = 8 KiB: they stay in L1.

/** Rows per block. Even, so that every block but the last is whole pairs. */
// @ts-ignore: decorator
@inline export const BLOCK: i32 = 64

// Columns of a scratch area.
// @ts-ignore: decorator
@inline export const S_Y: i32 = 0 // y = κ̃τ/2
// @ts-ignore: decorator
@inline export const S_Y2: i32 = 1 // y²
// @ts-ignore: decorator
@inline export const S_N: i32 = 2 // N
// @ts-ignore: decorator
@inline export const S_A: i32 = 3 // κτ
// @ts-ignore: decorator
@inline export const S_T: i32 = 4 // tanh(κτ/2)
// @ts-ignore: decorator
@inline export const S_Z: i32 = 5 // e^{κτ/2} − 1
// @ts-ignore: decorator
@inline export const S_S: i32 = 6 // cosh(κτ/2)
// @ts-ignore: decorator
@inline export const S_EM: i32 = 7 // e^{−κT}
// @ts-ignore: decorator
@inline export const S_INV: i32 = 8 // 1/(1 − e^{−2κT})
// @ts-ignore: decorator
@inline export const S_SN: i32 = 9 // Σn_k²/X²
// @ts-ignore: decorator
@inline export const S_SX: i32 = 10 // Σx_k²/X²
// @ts-ignore: decorator
@inline export const S_FIXED: i32 = 11 // ½γX² + εX
// @ts-ignore: decorator
@inline export const S_TEMP: i32 = 12 // (η̃/τ)X²
// @ts-ignore: decorator
@inline export const S_RISK: i32 = 13 // σ²τX²
// @ts-ignore: decorator
@inline export const S_INVTAU: i32 = 14 // 1/τ
// @ts-ignore: decorator
@inline export const S_FAST: i32 = 15 // lane mask: all ones where the fast path applies

// @ts-ignore: decorator
@inline const COLUMNS: i32 = 16

/** The bulk kernels' scratch. */
export const BLOCK_SCRATCH: usize = memory.data(COLUMNS * BLOCK * 8, 16)
/** A second area for single parameter sets computed while a block is in flight (careful.ts). */
export const PAIR_SCRATCH: usize = memory.data(COLUMNS * BLOCK * 8, 16)

/** Address of pair `pair` (rows 2·pair and 2·pair + 1) of column `column` in a scratch area. */
// @ts-ignore: decorator
@inline export function at(base: usize, column: i32, pair: i32): usize {
  return base + (<usize>(column * BLOCK) << 3) + (<usize>pair << 4)
}
