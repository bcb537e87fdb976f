import type { ExecutionView, QuoteView } from './apiTypes.js'

/** A point of a chart: time in epoch seconds (uPlot's time scale), value. */
export type Point = readonly [x: number, y: number]

const seconds = (iso: string | null | undefined): number | null => {
  if (!iso) return null
  const ms = Date.parse(iso)
  return Number.isFinite(ms) ? ms / 1000 : null
}

/**
 * The planned holdings: the quantity still to trade at each slice's planned start, falling to zero at
 * the end of the horizon (straight lines between, as the model trades at a constant rate inside an
 * interval). Empty without a plan or a start.
 */
export function plannedHoldings(e: ExecutionView): Point[] {
  const plan = e.plan
  const start = seconds(e.startedAt)
  if (!plan || start === null || plan.slices.length === 0) return []
  let held = Number(e.quantity)
  const points: Point[] = []
  for (const s of plan.slices) {
    points.push([seconds(s.plannedStart) ?? start + s.startSeconds, held])
    held -= Number(s.quantity)
  }
  points.push([start + plan.horizonSeconds, Math.max(0, held)])
  return points
}

/** Every fill of the execution, oldest first. */
export function fillsOf(
  e: ExecutionView,
): Array<{ at: number; quantity: number; price: number; clientOrderId: string }> {
  return e.childOrders
    .flatMap((c) =>
      c.fills.map((f) => ({
        at: seconds(f.at) ?? 0,
        quantity: Number(f.quantity),
        price: Number(f.price),
        clientOrderId: c.clientOrderId,
      })),
    )
    .sort((a, b) => a.at - b.at)
}

/**
 * The actual remaining quantity: the whole order at the start, less each fill as it came (a step at
 * each fill), held to the finish when there is one.
 */
export function actualRemaining(e: ExecutionView): Point[] {
  const start = seconds(e.startedAt)
  if (start === null) return []
  let left = Number(e.quantity)
  const points: Point[] = [[start, left]]
  for (const f of fillsOf(e)) {
    left -= f.quantity
    points.push([f.at, left])
  }
  const end = seconds(e.finishedAt)
  if (end !== null && end > (points.at(-1)?.[0] ?? start)) points.push([end, left])
  return points
}

/** A child order's statuses after which it rests no more (the engine's terminal statuses). */
const TERMINAL_CHILD_STATUSES = ['filled', 'canceled', 'rejected', 'expired']

/** One horizontal segment per limit child order: its limit price from when it was sent until it ended. */
export function limitSegments(e: ExecutionView, nowSeconds: number): Array<{ label: string; points: Point[] }> {
  return e.childOrders
    .filter((c) => c.limitPrice !== null && c.createdAt !== null)
    .map((c) => {
      const from = seconds(c.createdAt)!
      const open = !TERMINAL_CHILD_STATUSES.includes(c.status)
      const to = open ? Math.max(from, nowSeconds) : Math.max(from, seconds(c.updatedAt) ?? from)
      const price = Number(c.limitPrice)
      return { label: `${c.clientOrderId} limit`, points: [[from, price] as Point, [to, price] as Point] }
    })
}

/** Bid and ask as they were seen (the quotes the execution priced from), as step lines. */
export function quoteSeries(quotes: readonly QuoteView[]): { bid: Point[]; ask: Point[] } {
  const bid: Point[] = []
  const ask: Point[] = []
  for (const q of quotes) {
    const at = seconds(q.at)
    if (at === null) continue
    if (q.bid !== null) bid.push([at, Number(q.bid)])
    if (q.ask !== null) ask.push([at, Number(q.ask)])
  }
  return { bid, ask }
}

/**
 * Series of points → uPlot's aligned columns: the sorted union of every x, and per series its value at
 * each x or null (the chart spans the gaps within a series).
 */
export function align(series: ReadonlyArray<readonly Point[]>): [number[], ...Array<Array<number | null>>] {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b)
  const index = new Map(xs.map((x, i) => [x, i]))
  const columns = series.map((s) => {
    const col: Array<number | null> = new Array(xs.length).fill(null)
    // a later point at the same x wins (a step: the value after the event)
    for (const [x, y] of s) col[index.get(x)!] = y
    return col
  })
  return [xs, ...columns]
}
