import type { Clock } from '@acx/engine'

/**
 * Wall time sped up by `scale` from the moment it is created: with scale 60 a 5-minute execution
 * takes 5 seconds. Lets the simulated market run demos faster than real time (ACX_SIM_TIME_SCALE).
 */
export function createScaledClock(scale: number, wallNow: () => number = Date.now): Clock {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`time scale must be a finite number > 0, got ${scale}`)
  const origin = wallNow()
  return {
    now: () => Math.round(origin + (wallNow() - origin) * scale),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve()
        const onAbort = (): void => {
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }, Math.max(0, ms / scale))
        signal?.addEventListener('abort', onAbort, { once: true })
      }),
  }
}
