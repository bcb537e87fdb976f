/** Errors of the research commands: their inputs and files, not requests (no HTTP status). */
const RESEARCH_ERRORS = {
  RESEARCH_BAD_INPUT: 'A grid or an option is not usable',
  RESEARCH_FILE: 'A file cannot be read or written',
  RESEARCH_WORKER: 'A research worker failed',
  RESEARCH_PLOT_UNAVAILABLE: 'The optional plotting packages are not installed',
} as const

export type ResearchErrorCode = keyof typeof RESEARCH_ERRORS

export class ResearchError extends Error {
  override readonly name = 'ResearchError'
  constructor(
    readonly code: ResearchErrorCode,
    message?: string,
    opts?: { cause?: unknown },
  ) {
    super(message ?? RESEARCH_ERRORS[code], opts)
  }
}

export const isResearchError = (e: unknown): e is ResearchError => e instanceof Error && e.name === 'ResearchError'
