import type { StrategyReport } from '../apiTypes.js'

const W = 640
const H = 260
const PAD = { left: 64, right: 16, top: 16, bottom: 40 }

const niceStep = (span: number): number => {
  const raw = span / 5
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw
}

/**
 * Shortfall distributions side by side (bps, positive = cost): per strategy a box from the 25th to the
 * 75th percentile, the median, whiskers from the 5th to the 95th, and the mean as a diamond. An SVG the
 * page draws itself (no styles inline, so the strict Content-Security-Policy holds).
 */
export function BoxPlot(props: { strategies: readonly StrategyReport[] }) {
  const shown = props.strategies.filter((s) => s.shortfall.quantilesBps !== null)
  if (shown.length === 0) return <p class="empty">No finished executions with a shortfall in this window.</p>
  const values = shown.flatMap((s) => {
    const q = s.shortfall.quantilesBps!
    return [q.p5, q.p95, s.shortfall.meanBps ?? q.p50, 0]
  })
  let lo = Math.min(...values)
  let hi = Math.max(...values)
  if (hi - lo < 1e-9) {
    lo -= 1
    hi += 1
  }
  const step = niceStep(hi - lo)
  lo = Math.floor(lo / step) * step
  hi = Math.ceil(hi / step) * step
  const y = (v: number) => PAD.top + ((hi - v) / (hi - lo)) * (H - PAD.top - PAD.bottom)
  const band = (W - PAD.left - PAD.right) / shown.length
  const ticks: number[] = []
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(10)))
  return (
    <svg
      class="boxplot"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="Implementation shortfall per strategy, bps: 5th, 25th, 50th, 75th and 95th percentiles and the mean"
      data-testid="shortfall-distributions"
    >
      {ticks.map((t) => (
        <g key={t}>
          <line class={t === 0 ? 'zero' : 'grid'} x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
          <text class="tick" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
            {t}
          </text>
        </g>
      ))}
      <text class="axis-label" x={14} y={H / 2} transform={`rotate(-90 14 ${H / 2})`} text-anchor="middle">
        shortfall (bps, + = cost)
      </text>
      {shown.map((s, i) => {
        const q = s.shortfall.quantilesBps!
        const cx = PAD.left + band * (i + 0.5)
        const w = Math.min(80, band * 0.5)
        const mean = s.shortfall.meanBps
        return (
          <g key={s.strategy} class="box" data-strategy={s.strategy} data-count={s.shortfall.count}>
            <title>{`${s.strategy}: n ${s.shortfall.count}, p5 ${q.p5}, p25 ${q.p25}, median ${q.p50}, p75 ${q.p75}, p95 ${q.p95}, mean ${mean ?? '–'} bps`}</title>
            <line class="whisker" x1={cx} x2={cx} y1={y(q.p95)} y2={y(q.p75)} />
            <line class="whisker" x1={cx} x2={cx} y1={y(q.p25)} y2={y(q.p5)} />
            <line class="whisker" x1={cx - w / 4} x2={cx + w / 4} y1={y(q.p95)} y2={y(q.p95)} />
            <line class="whisker" x1={cx - w / 4} x2={cx + w / 4} y1={y(q.p5)} y2={y(q.p5)} />
            <rect class="iqr" x={cx - w / 2} width={w} y={y(q.p75)} height={Math.max(1, y(q.p25) - y(q.p75))} />
            <line class="median" x1={cx - w / 2} x2={cx + w / 2} y1={y(q.p50)} y2={y(q.p50)} />
            {mean !== null && <path class="mean" d={`M ${cx} ${y(mean) - 5} l 5 5 l -5 5 l -5 -5 z`} />}
            <text class="tick" x={cx} y={H - PAD.bottom + 16} text-anchor="middle">
              {s.strategy}
            </text>
            <text class="tick" x={cx} y={H - PAD.bottom + 30} text-anchor="middle">
              n = {s.shortfall.count}
            </text>
          </g>
        )
      })}
    </svg>
  )
}
