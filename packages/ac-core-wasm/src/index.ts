export { loadAcCore, loadAcCoreSync } from './loadAcCore.js'
export { WasmAcCore, CHUNK_ROWS } from './wasmAcCore.js'
export { reference } from './reference.js'
export { PAPER_EXAMPLE } from './paperExample.js'
export { AcCoreError, AC_CORE_ERRORS, isAcCoreError } from './errors.js'
export { SweepStatus, MAX_SLICES } from './status.js'
export type { AcCoreErrorCode, AcCoreErrorOptions } from './errors.js'
export type { SweepStatusCode } from './status.js'
export type {
  AcBaseParams,
  AcCoreApi,
  AcParams,
  Frontier,
  FrontierBatch,
  SweepBatch,
  SweepInput,
  SweepResult,
  Trajectory,
} from './types.js'
