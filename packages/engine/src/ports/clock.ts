import { EngineError } from '../errors.js'

/** Time as the engine sees it. Inject it; never read `Date.now()` or call `setTimeout` directly. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /**
   * Resolves after `ms` milliseconds — or as soon as `signal` aborts (it resolves, never rejects, so
   * callers check `signal.aborted` afterwards).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export interface RealClockOptions {
  /**
   * How many times faster than wall time the clock runs, from the moment it is created: with 60 a
   * 5-minute execution takes 5 seconds (demos on the simulated market). Default 1.
   */
  readonly scale?: number
  /** Wall time source, epoch ms. Default `Date.now`. */
  readonly wallNow?: () => number
}

/** A clock driven by wall time (optionally sped up). */
export function createRealClock(options: RealClockOptions = {}): Clock {
  const scale = options.scale ?? 1
  const wallNow = options.wallNow ?? Date.now
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new EngineError('ENGINE_INVALID_ARGUMENT', `clock scale must be a finite number > 0, got ${scale}`)
  }
  const origin = wallNow()
  return {
    now: scale === 1 ? wallNow : () => Math.round(origin + (wallNow() - origin) * scale),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve()
        const onAbort = (): void => {
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort)
            resolve()
          },
          Math.max(0, ms / scale),
        )
        signal?.addEventListener('abort', onAbort, { once: true })
      }),
  }
}

export interface VirtualClockOptions {
  /** Initial time, epoch ms. Default 2026-01-05T14:30:00Z (a Monday's US open). */
  readonly startMs?: number
  /**
   * When true (the default), whenever every pending piece of in-process work is waiting on this clock
   * (detected as: the event loop turned over with timers pending and nothing else scheduled them), time
   * jumps to the next timer. A 5-minute execution then runs in milliseconds. Turn it off to drive time
   * by hand with `advance`, or when the code under test also waits on real I/O (a jump could happen
   * while an HTTP response is in flight).
   */
  readonly autoAdvance?: boolean
}

export interface VirtualClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in time order and letting their work run between them. */
  advance(ms: number): Promise<void>
  /** Like `advance`, to an absolute time (no-op if in the past). */
  advanceTo(timeMs: number): Promise<void>
  /** Runs timers until none are left (auto-advance does this by itself). Returns the number fired. */
  runAll(maxTimers?: number): Promise<number>
  /** Sleeps not yet fired. */
  readonly pendingTimers: number
  autoAdvance: boolean
}

interface Timer {
  readonly due: number
  readonly seq: number
  readonly resolve: () => void
  done: boolean
}

const macrotask: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0)

const yieldMacrotask = (): Promise<void> => new Promise((resolve) => macrotask(resolve))

/** A deterministic clock for tests, simulations and backtests. */
export function createVirtualClock(options: VirtualClockOptions = {}): VirtualClock {
  if (options.startMs !== undefined && !Number.isFinite(options.startMs)) {
    throw new EngineError(
      'ENGINE_INVALID_ARGUMENT',
      `createVirtualClock: startMs must be finite (got ${options.startMs})`,
    )
  }
  let now = options.startMs ?? Date.UTC(2026, 0, 5, 14, 30, 0)
  let seq = 0
  // Kept sorted by (due, seq); executions hold a handful of timers at a time, so insertion is cheap.
  const timers: Timer[] = []
  let checkScheduled = false
  let manualDepth = 0

  const insert = (t: Timer): void => {
    let i = timers.length
    while (i > 0) {
      const prev = timers[i - 1] as Timer
      if (prev.due < t.due || (prev.due === t.due && prev.seq < t.seq)) break
      i--
    }
    timers.splice(i, 0, t)
  }

  const fireDue = (upTo: number): number => {
    let fired = 0
    while (timers.length > 0 && (timers[0] as Timer).due <= upTo) {
      const t = timers.shift() as Timer
      if (t.done) continue
      t.done = true
      if (t.due > now) now = t.due
      t.resolve()
      fired++
    }
    return fired
  }

  const scheduleCheck = (): void => {
    if (checkScheduled || !clock.autoAdvance || manualDepth > 0) return
    checkScheduled = true
    macrotask(() => {
      checkScheduled = false
      if (!clock.autoAdvance || manualDepth > 0) return
      const next = timers.find((t) => !t.done)
      if (next === undefined) return
      // Fire everything due at that instant; their continuations run as microtasks before the next check.
      fireDue(next.due)
      if (timers.length > 0) scheduleCheck()
    })
  }

  const clock: VirtualClock = {
    autoAdvance: options.autoAdvance ?? true,
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve()
        const timer: Timer = { due: now + Math.max(0, ms), seq: seq++, resolve, done: false }
        if (signal) {
          const onAbort = (): void => {
            if (timer.done) return
            timer.done = true
            const i = timers.indexOf(timer)
            if (i >= 0) timers.splice(i, 1)
            resolve()
          }
          signal.addEventListener('abort', onAbort, { once: true })
          const original = timer.resolve
          ;(timer as { resolve: () => void }).resolve = () => {
            signal.removeEventListener('abort', onAbort)
            original()
          }
        }
        insert(timer)
        scheduleCheck()
      })
    },
    async advance(ms) {
      await clock.advanceTo(now + ms)
    },
    async advanceTo(target) {
      manualDepth++
      try {
        await yieldMacrotask()
        for (;;) {
          const next = timers.find((t) => !t.done)
          if (next === undefined || next.due > target) break
          fireDue(next.due)
          await yieldMacrotask()
        }
        if (target > now) now = target
      } finally {
        manualDepth--
        if (timers.length > 0) scheduleCheck()
      }
    },
    async runAll(maxTimers = 1_000_000) {
      manualDepth++
      let fired = 0
      try {
        await yieldMacrotask()
        while (fired < maxTimers) {
          const next = timers.find((t) => !t.done)
          if (next === undefined) break
          fired += fireDue(next.due)
          await yieldMacrotask()
        }
      } finally {
        manualDepth--
      }
      return fired
    },
    get pendingTimers() {
      return timers.filter((t) => !t.done).length
    },
  }
  return clock
}
