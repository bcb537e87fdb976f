import type { ExecutionQueries, ExecutionRecord } from '../persistence/executionStore.js'

/**
 * `acx calibrate`: the participation model's η and γ estimated from what the service has executed.
 *
 * From each finished Almgren–Chriss or TWAP execution in the store — its plan (`execution_planned`: the
 * σ and ADV it was planned with, τ = T/N), its arrival quote, every child order's arrival quote
 * (`child_order_created`) and fills — two regressions through the origin, per symbol and pooled:
 *
 * - **temporary** (one observation per slice child that filled): the child's cost beyond the half
 *   spread of its own arrival quote, y = s·(p̄ − m_c)/m₀ − (spread_c/2)/m₀ (s = +1 buy, −1 sell; p̄ its
 *   average fill price, m_c its arrival mid, m₀ the execution's arrival mid), against x = σ·q/(τ·V̄),
 *   its participation (q shares over its interval τ, V̄ = ADV/D) in units of daily σ. The model says
 *   y = η·x. Ordinary least squares: η̂ = Σxy/Σx², se = √(s²/Σx²), s² = Σ(y − η̂x)²/(n − 1).
 * - **permanent** (one observation per move of the mid between successive quotes of an execution:
 *   arrival, then each child's): the signed move Δz = s·(m_i − m_{i−1})/m₀ against Δx = σ·Δn/ADV, the
 *   shares filled in between as a fraction of ADV in units of σ. The model says Δz = γ·Δx + σ/√D·ΔW: the
 *   noise of a Brownian mid has variance σ²·Δt/D, independent across increments, so weighted least
 *   squares with weights 1/(σ²·Δt) is the efficient estimator and its standard error is exact.
 *
 * An estimate is usable when it has at least `minObservations` observations and its standard error is
 * below `maxRelativeError` of its value; otherwise the report says it is too uncertain to use.
 */
export interface CalibrateOptions {
  readonly symbol?: string
  /** Only executions created at or after this time (epoch ms). */
  readonly sinceMs?: number
  /** Seconds in a trading day (AC_TRADING_DAY_SECONDS). */
  readonly tradingDaySeconds: number
  /** Default 30. */
  readonly minObservations?: number
  /** Default 0.25: a standard error above a quarter of the estimate is too uncertain. */
  readonly maxRelativeError?: number
}

/** One coefficient: its value, standard error and sample size, and whether it is precise enough to use. */
interface ImpactEstimate {
  readonly value: number | null
  readonly stderr: number | null
  /** Observations (child fills for η, mid moves for γ). */
  readonly n: number
  readonly usable: boolean
}

interface SymbolCalibration {
  /** The symbol, or `*` for all pooled. */
  readonly symbol: string
  readonly executions: number
  readonly eta: ImpactEstimate
  readonly gamma: ImpactEstimate
}

export interface CalibrationReport {
  readonly symbols: readonly SymbolCalibration[]
  readonly pooled: SymbolCalibration
  /** The settings the pooled estimates recommend, `AC_IMPACT_ETA=…`; empty when neither is usable. */
  readonly recommended: readonly string[]
  /** Executions read, and those left out (other strategies, no plan or arrival quote, nothing filled). */
  readonly executionsRead: number
  readonly executionsSkipped: number
}

/** Weighted least squares through the origin: y = β·x with weights w (default 1). */
export function regressThroughOrigin(
  x: readonly number[],
  y: readonly number[],
  w?: readonly number[],
): { readonly value: number | null; readonly stderr: number | null; readonly n: number } {
  const n = x.length
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    const wi = w?.[i] ?? 1
    sxx += wi * (x[i] as number) ** 2
    sxy += wi * (x[i] as number) * (y[i] as number)
  }
  if (n < 2 || !(sxx > 0)) return { value: null, stderr: null, n }
  const beta = sxy / sxx
  let ssr = 0
  for (let i = 0; i < n; i++) ssr += (w?.[i] ?? 1) * ((y[i] as number) - beta * (x[i] as number)) ** 2
  const stderr = Math.sqrt(ssr / (n - 1) / sxx)
  return Number.isFinite(beta) && Number.isFinite(stderr)
    ? { value: beta, stderr, n }
    : { value: null, stderr: null, n }
}

interface Observations {
  executions: number
  readonly tx: number[]
  readonly ty: number[]
  readonly px: number[]
  readonly py: number[]
  readonly pw: number[]
}

const emptyObservations = (): Observations => ({ executions: 0, tx: [], ty: [], px: [], py: [], pw: [] })

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN)
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {}

/**
 * The observations of one execution, added to `into`; false when it has nothing to give (another
 * strategy, no plan, no arrival quote, or no child that filled).
 */
async function observe(
  store: ExecutionQueries,
  record: ExecutionRecord,
  tradingDaySeconds: number,
  into: Observations,
): Promise<boolean> {
  const journal = await store.journal(record.id, {
    types: ['arrival_quote', 'execution_planned', 'child_order_created'],
  })
  const plan = obj(obj(journal.find((e) => e.type === 'execution_planned')?.entry).plan)
  if (plan.strategy !== 'almgren_chriss' && plan.strategy !== 'twap') return false
  const stats = obj(plan.marketStats)
  const adv = num(stats.adv)
  const sigma = num(stats.dailyVolatility)
  const slices = Array.isArray(plan.slices) ? plan.slices.length : 0
  const tau = num(plan.horizonSeconds) / slices
  const arrivalEntry = journal.find((e) => e.type === 'arrival_quote')
  const m0 = num(obj(obj(arrivalEntry?.entry).quote).mid)
  if (!(adv > 0 && sigma > 0 && tau > 0 && m0 > 0) || arrivalEntry === undefined) return false
  const vBar = adv / tradingDaySeconds
  const sign = record.side === 'BUY' ? 1 : -1
  const filled = new Map((await store.childOrders(record.id)).map((c) => [c.clientOrderId, c]))
  // successive quotes: arrival, then each child's (in creation order); `between`: shares filled in between
  let prev = { atMs: arrivalEntry.atMs, mid: m0 }
  let between = 0
  let used = false
  for (const e of journal) {
    if (e.type !== 'child_order_created') continue
    const entry = obj(e.entry)
    const order = obj(entry.order)
    const quote = obj(entry.quote)
    const mid = num(quote.mid)
    const child = filled.get(String(order.clientOrderId))
    if (!(mid > 0) || child === undefined) continue
    const dt = (e.atMs - prev.atMs) / 1000
    if (dt > 0) {
      into.px.push((sigma * between) / adv)
      into.py.push((sign * (mid - prev.mid)) / m0)
      into.pw.push(1 / (sigma * sigma * dt))
      prev = { atMs: e.atMs, mid }
      between = 0
    }
    const qty = num(child.filledQty)
    const px = num(child.avgPx)
    if (num(order.sliceIndex) < slices && qty > 0 && px > 0) {
      into.tx.push((sigma * qty) / (tau * vBar))
      into.ty.push((sign * (px - mid)) / m0 - num(quote.spread) / 2 / m0)
      used = true
    }
    if (qty > 0) between += qty
  }
  if (used) into.executions++
  return used
}

const estimate = (
  r: ReturnType<typeof regressThroughOrigin>,
  minObservations: number,
  maxRelativeError: number,
): ImpactEstimate => ({
  ...r,
  usable:
    r.value !== null &&
    r.stderr !== null &&
    r.n >= minObservations &&
    r.value > 0 &&
    r.stderr <= maxRelativeError * r.value,
})

/** Pages through the store's finished executions and estimates η and γ per symbol and pooled. */
export async function calibrateFromStore(store: ExecutionQueries, o: CalibrateOptions): Promise<CalibrationReport> {
  const bySymbol = new Map<string, Observations>()
  let read = 0
  let skipped = 0
  let after: { createdAt: number; id: string } | undefined
  for (;;) {
    const page = await store.listExecutions({
      ...(o.symbol ? { symbol: o.symbol.toUpperCase() } : {}),
      ...(o.sinceMs === undefined ? {} : { sinceMs: o.sinceMs }),
      limit: 500,
      ...(after ? { after } : {}),
    })
    for (const record of page) {
      read++
      if (record.status !== 'filled' && record.status !== 'partially_filled') {
        skipped++
        continue
      }
      let obs = bySymbol.get(record.symbol)
      if (!obs) bySymbol.set(record.symbol, (obs = emptyObservations()))
      if (!(await observe(store, record, o.tradingDaySeconds, obs))) skipped++
    }
    const last = page.at(-1)
    if (page.length < 500 || last === undefined) break
    after = { createdAt: last.createdAt, id: last.id }
  }
  const minN = o.minObservations ?? 30
  const maxRel = o.maxRelativeError ?? 0.25
  const fit = (symbol: string, obs: Observations): SymbolCalibration => ({
    symbol,
    executions: obs.executions,
    eta: estimate(regressThroughOrigin(obs.tx, obs.ty), minN, maxRel),
    gamma: estimate(regressThroughOrigin(obs.px, obs.py, obs.pw), minN, maxRel),
  })
  const all = emptyObservations()
  for (const obs of bySymbol.values()) {
    all.executions += obs.executions
    all.tx.push(...obs.tx)
    all.ty.push(...obs.ty)
    all.px.push(...obs.px)
    all.py.push(...obs.py)
    all.pw.push(...obs.pw)
  }
  const pooled = fit('*', all)
  const sig = (x: number): string => String(Number(x.toPrecision(3)))
  return {
    symbols: [...bySymbol.entries()]
      .filter(([, obs]) => obs.executions > 0)
      .map(([symbol, obs]) => fit(symbol, obs))
      .sort((a, b) => a.symbol.localeCompare(b.symbol)),
    pooled,
    recommended: [
      ...(pooled.eta.usable ? [`AC_IMPACT_ETA=${sig(pooled.eta.value as number)}`] : []),
      ...(pooled.gamma.usable ? [`AC_IMPACT_GAMMA=${sig(pooled.gamma.value as number)}`] : []),
    ],
    executionsRead: read,
    executionsSkipped: skipped,
  }
}

/** The report as a table: per symbol and pooled, each coefficient ± its standard error and n, then the settings. */
export function formatCalibration(r: CalibrationReport): string {
  const cell = (e: ImpactEstimate): string[] => [
    e.value === null ? '—' : e.value.toPrecision(4),
    e.stderr === null ? '—' : e.stderr.toPrecision(2),
    String(e.n),
    e.value === null ? 'no data' : e.usable ? 'ok' : 'too uncertain',
  ]
  const rows = [...r.symbols, r.pooled].map((s) => [
    s.symbol === '*' ? 'all' : s.symbol,
    String(s.executions),
    ...cell(s.eta),
    ...cell(s.gamma),
  ])
  const header = ['symbol', 'executions', 'eta', '±se', 'n_fills', 'eta_use', 'gamma', '±se', 'n_moves', 'gamma_use']
  const recommend =
    r.recommended.length > 0
      ? `recommended settings:\n${r.recommended.map((x) => `  ${x}`).join('\n')}`
      : 'no recommendation: the estimates are too uncertain to use (more executions, or larger orders relative to ADV, narrow them)'
  const uncertain = [r.pooled.eta, r.pooled.gamma].some((e) => !e.usable) && r.recommended.length > 0
  return [
    `${r.executionsRead} executions read, ${r.executionsRead - r.executionsSkipped} used (Almgren–Chriss and TWAP with a plan and fills)`,
    '',
    table(header, rows),
    '',
    recommend,
    ...(uncertain ? ['(a coefficient marked too uncertain keeps its current setting)'] : []),
    '',
  ].join('\n')
}

/** Aligned columns, right-justified. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)))
  return [header, ...rows].map((r) => r.map((cell, c) => cell.padStart(widths[c] as number)).join('  ')).join('\n')
}
