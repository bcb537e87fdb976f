import {
  checkEngineConfig,
  readEngineEnv,
  variableFor,
  type AcConfigInput,
  type AcStrategyParams,
  type EngineEnvProblem,
} from '@acx/engine'

/** The research commands' flags that set an `ac` field (their help texts name the variable each stands for). */
const AC_FLAGS: Readonly<Record<string, keyof AcStrategyParams>> = {
  profile: 'profile',
  riskAversion: 'riskAversion',
  volatility: 'volatility',
  dailyVolatility: 'volatility',
  temporaryImpact: 'temporaryImpact',
  permanentImpact: 'permanentImpact',
  slices: 'numSlices',
  horizon: 'totalTimeSeconds',
  sliceWait: 'sliceWaitSeconds',
  startAggression: 'startAggression',
  endAggression: 'endAggression',
  marketFallback: 'marketFallback',
}

const flagName = (flag: string): string => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`

/**
 * The engine's configuration for a research command: the environment's AC_* settings, read by the
 * engine's one parser (as the service reads them), then the command's flags (camelCase keys:
 * `riskAversion`, `dailyVolatility`, …) over the `ac` fields they name. Problems name the flag when a flag
 * set the field, else the variable.
 */
export function researchConfig(
  env: Readonly<Record<string, string | undefined>>,
  flagValues: Readonly<Record<string, unknown>>,
): { readonly input: AcConfigInput; readonly problems: readonly EngineEnvProblem[] } {
  const fromEnv = readEngineEnv(env)
  const flags: Record<string, unknown> = {}
  const flagOf = new Map<string, string>()
  for (const [flag, field] of Object.entries(AC_FLAGS)) {
    if (flagValues[flag] === undefined) continue
    flags[field] = flagValues[flag]
    flagOf.set(field, flagName(flag))
  }
  const input: AcConfigInput = { ...fromEnv.input, ac: { ...fromEnv.input.ac, ...flags } as AcConfigInput['ac'] }
  const checked = checkEngineConfig(
    input,
    (path) => (path[0] === 'ac' && flagOf.get(String(path[1]))) || variableFor(path),
  )
  return { input, problems: [...fromEnv.problems, ...(checked.ok ? [] : checked.problems)] }
}
