import type { ExecutionFailure } from '../domain/executionResult.js'

/** Thrown inside an execution to stop it; caught by the executor and turned into the result's error. */
export class StopExecution extends Error {
  override readonly name = 'StopExecution'
  constructor(readonly failure: ExecutionFailure) {
    super(failure.message)
  }
}
