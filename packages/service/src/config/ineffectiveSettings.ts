import type { ImpactModelName } from '@acx/engine'

/** A setting that is set but changes nothing under the rest of the configuration. */
export interface IneffectiveSetting {
  readonly variable: string
  readonly message: string
}

/**
 * Settings that are set but have no effect — `AC_TEMP_IMPACT` / `AC_PERM_IMPACT` (the order-fraction
 * model's η and γ) under the participation model, the default since it landed. An operator who copied the
 * rollout guide's `AC_TEMP_IMPACT=0.001` would otherwise believe it tunes the estimate. The service logs
 * each at start; the deploy check refuses them.
 */
export function ineffectiveSettings(
  env: Readonly<Record<string, string | undefined>>,
  model: ImpactModelName,
): IneffectiveSetting[] {
  const out: IneffectiveSetting[] = []
  if (model === 'participation') {
    for (const [variable, instead] of [
      ['AC_TEMP_IMPACT', 'AC_IMPACT_ETA'],
      ['AC_PERM_IMPACT', 'AC_IMPACT_GAMMA'],
    ] as const) {
      if (env[variable] !== undefined && env[variable].trim() !== '')
        out.push({
          variable,
          message: `has no effect with AC_IMPACT_MODEL=participation (the default): set ${instead}, or AC_IMPACT_MODEL=order_fraction to keep ${variable}'s meaning`,
        })
    }
  }
  return out
}
