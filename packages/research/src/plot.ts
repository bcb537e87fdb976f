import { writeFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { ResearchError } from './researchError.js'

const PLOT_WIDTH = 960
const PLOT_HEIGHT = 600

/** An ECharts option (typed loosely: echarts is an optional dependency, loaded only to draw). */
export type ChartOption = Record<string, unknown>

/** The optional plotting packages and the versions this package is tested with. */
const PLOT_PACKAGES = { echarts: 'echarts@6.1.0', resvg: '@resvg/resvg-js@2.6.2' } as const

const isMissing = (e: unknown): boolean =>
  (e as { code?: unknown })?.code === 'ERR_MODULE_NOT_FOUND' || (e as { code?: unknown })?.code === 'MODULE_NOT_FOUND'

async function loadOptional<T>(name: string, install: string, why: string): Promise<T> {
  try {
    return (await import(name)) as T
  } catch (e) {
    if (!isMissing(e)) throw e
    throw new ResearchError(
      'RESEARCH_PLOT_UNAVAILABLE',
      `${why} needs the optional package ${name}, which is not installed: npm install ${install}`,
      { cause: e },
    )
  }
}

interface EchartsModule {
  init(
    dom: null,
    theme: null,
    opts: { renderer: 'svg'; ssr: true; width: number; height: number },
  ): { setOption(o: ChartOption): void; renderToSVGString(): string; dispose(): void }
}

/** Renders an ECharts option to SVG on the server (no DOM, no animation). */
async function renderSvg(option: ChartOption, width = PLOT_WIDTH, height = PLOT_HEIGHT): Promise<string> {
  const echarts = await loadOptional<EchartsModule>('echarts', PLOT_PACKAGES.echarts, '--plot')
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption({ animation: false, backgroundColor: '#ffffff', ...option })
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}

interface ResvgModule {
  Resvg: new (svg: string, opts: object) => { render(): { asPng(): Uint8Array } }
}

/** SVG → PNG with resvg (system fonts for the labels). */
async function svgToPng(svg: string, width = PLOT_WIDTH): Promise<Buffer> {
  const { Resvg } = await loadOptional<ResvgModule>('@resvg/resvg-js', PLOT_PACKAGES.resvg, 'a .png plot')
  const png = new Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    background: '#ffffff',
    font: { loadSystemFonts: true },
  })
    .render()
    .asPng()
  return Buffer.from(png)
}

/** Writes a chart to `file`: `.svg` or `.png`, chosen by the extension. */
export async function writeChart(option: ChartOption, file: string): Promise<void> {
  assertPlotFile(file)
  const svg = await renderSvg(option)
  await writeFile(file, extname(file).toLowerCase() === '.svg' ? svg : await svgToPng(svg))
}

/** Checks a plot file name early, before any work. */
export function assertPlotFile(file: string | undefined): void {
  if (file === undefined) return
  const ext = extname(file).toLowerCase()
  if (ext !== '.svg' && ext !== '.png')
    throw new ResearchError('RESEARCH_BAD_INPUT', `--plot ${file}: use a .svg or .png file name`)
}

const grouped = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 })
const groupedShort = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 })
/** 4 significant digits, thousands separated: 911,200; tiny or huge values in exponent form. */
const sig = (x: number): string =>
  x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e15) ? x.toPrecision(4) : groupedShort.format(x)
/** An axis tick: up to 6 significant digits, thousands separated (ticks are round numbers). */
const tick = (x: number): string =>
  x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e15) ? x.toPrecision(4) : grouped.format(x)
/** A money amount in the plot's unit: `$911,200` or `12.5 bps`. */
const amount = (x: number, unit: string): string => (unit === '$' ? `$${sig(x)}` : `${sig(x)} ${unit}`)

export interface FrontierPlotData {
  /** Efficient frontier points (or a grid's rows), std dev and expected cost, with their λ. */
  readonly stdDev: ArrayLike<number>
  readonly expectedCost: ArrayLike<number>
  readonly riskAversion: ArrayLike<number>
  /** The chosen risk aversion, marked; absent when not computed. */
  readonly mark?: { readonly riskAversion: number; readonly stdDev: number; readonly expectedCost: number }
  /** Draw a line through the points in order (a frontier) rather than a scatter (a grid). */
  readonly line: boolean
  /** The unit of E and √V on the axes: `$` (the paper's units, the default) or `bps`. */
  readonly unit?: '$' | 'bps'
  readonly title: string
}

/** Expected cost against standard deviation, the chosen λ marked. */
export function frontierChartOption(d: FrontierPlotData): ChartOption {
  const unit = d.unit ?? '$'
  const data = Array.from({ length: d.stdDev.length }, (_, i) => [
    d.stdDev[i] as number,
    d.expectedCost[i] as number,
    d.riskAversion[i] as number,
  ])
  const series: object[] = [
    {
      name: d.line ? 'efficient frontier' : 'parameter sets',
      type: d.line ? 'line' : 'scatter',
      // Beyond 2,000 points a scatter is drawn as one path (a 20,000-point plot stays small).
      ...(d.line ? {} : { large: true, largeThreshold: 2000 }),
      data,
      symbolSize: d.line ? 5 : 4,
      showSymbol: true,
      lineStyle: { width: 2 },
    },
  ]
  if (d.mark) {
    series.push({
      name: `chosen λ = ${sig(d.mark.riskAversion)}`,
      type: 'scatter',
      symbol: 'diamond',
      symbolSize: 16,
      itemStyle: { color: '#d62728' },
      data: [[d.mark.stdDev, d.mark.expectedCost, d.mark.riskAversion]],
      label: {
        show: true,
        position: 'right',
        backgroundColor: 'rgba(255,255,255,0.9)',
        padding: [2, 4],
        formatter: `λ = ${sig(d.mark.riskAversion)}\nE = ${amount(d.mark.expectedCost, unit)}\n√V = ${amount(d.mark.stdDev, unit)}`,
      },
    })
  }
  return {
    title: { text: d.title, left: 'center' },
    legend: { top: 40, itemGap: 28 },
    grid: { left: 90, right: 140, top: 85, bottom: 60 },
    xAxis: {
      type: 'value',
      name: `standard deviation of cost √V (${unit})`,
      nameLocation: 'middle',
      nameGap: 32,
      scale: true,
      axisLabel: { formatter: tick },
    },
    yAxis: {
      type: 'value',
      name: `expected cost E (${unit})`,
      nameLocation: 'middle',
      nameGap: 70,
      scale: true,
      axisLabel: { formatter: tick },
    },
    series,
  }
}

export interface TcaPlotRow {
  readonly strategy: string
  /** Realised shortfalls, bps (NaN ignored). */
  readonly shortfallBps: ArrayLike<number>
  readonly predictedMeanBps: number | null
}

const quantile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN
  const h = (sorted.length - 1) * p
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (h - lo)
}

/** Implementation shortfall per strategy: box (5–25–50–75–95%), realised mean, and the model's mean. */
export function tcaChartOption(rows: readonly TcaPlotRow[], title: string): ChartOption {
  const boxes: number[][] = []
  const means: (number | null)[] = []
  const predicted: (number | null)[] = []
  for (const r of rows) {
    const xs = Array.from(r.shortfallBps)
      .filter((x) => !Number.isNaN(x))
      .sort((a, b) => a - b)
    boxes.push([0.05, 0.25, 0.5, 0.75, 0.95].map((p) => quantile(xs, p)))
    means.push(xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)
    predicted.push(r.predictedMeanBps)
  }
  return {
    title: { text: title, left: 'center' },
    legend: { top: 40, itemGap: 28 },
    grid: { left: 80, right: 40, top: 85, bottom: 60 },
    xAxis: { type: 'category', data: rows.map((r) => r.strategy) },
    yAxis: {
      type: 'value',
      name: 'implementation shortfall (bps, positive = cost)',
      nameLocation: 'middle',
      nameGap: 55,
      scale: true,
      axisLabel: { formatter: tick },
    },
    series: [
      { name: 'realised (5–95%)', type: 'boxplot', data: boxes },
      { name: 'realised mean', type: 'scatter', symbol: 'circle', symbolSize: 10, data: means },
      {
        name: 'model mean',
        type: 'scatter',
        symbol: 'diamond',
        symbolSize: 14,
        itemStyle: { color: '#d62728' },
        data: predicted,
      },
    ],
  }
}

interface SizeSweepPlotSeries {
  readonly strategy: string
  /** Per size: % of ADV, mean shortfall (bps), its standard error (bps). */
  readonly points: readonly { readonly sizePct: number; readonly meanBps: number; readonly stderrBps: number }[]
}

/**
 * Mean shortfall ± one standard error per strategy against order size (% of ADV, log axis): the whole
 * range on top; below, the sizes under `zoomBelowPct` on their own scale, where the strategies differ by
 * basis points rather than hundreds.
 */
export function sizeSweepChartOption(
  series: readonly SizeSweepPlotSeries[],
  title: string,
  zoomBelowPct = 1,
): ChartOption {
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd']
  const out: object[] = []
  const panels = [
    { keep: () => true, axis: 0 },
    { keep: (p: { sizePct: number }) => p.sizePct < zoomBelowPct, axis: 1 },
  ]
  for (const panel of panels) {
    series.forEach((s, i) => {
      // the zoom is for the strategies that slice or rest; a market order is off its scale
      if (panel.axis === 1 && s.strategy === 'market') return
      const color = colors[i % colors.length]
      const pts = s.points.filter((p) => Number.isFinite(p.meanBps) && panel.keep(p))
      const at = { xAxisIndex: panel.axis, yAxisIndex: panel.axis }
      out.push({
        name: s.strategy,
        type: 'line',
        ...at,
        data: pts.map((p) => [p.sizePct, p.meanBps]),
        symbolSize: 6,
        itemStyle: { color },
        lineStyle: { width: 2, color },
      })
      // error bars: mean ± se with caps, one polyline per point
      out.push({
        name: s.strategy,
        type: 'custom',
        ...at,
        data: pts.map((p) => [p.sizePct, p.meanBps - p.stderrBps, p.meanBps + p.stderrBps]),
        renderItem: (_params: unknown, api: { value: (i: number) => number; coord: (v: number[]) => number[] }) => {
          const lo = api.coord([api.value(0), api.value(1)]) as [number, number]
          const hi = api.coord([api.value(0), api.value(2)]) as [number, number]
          const cap = 4
          return {
            type: 'polyline',
            shape: {
              points: [[lo[0] - cap, lo[1]], [lo[0] + cap, lo[1]], lo, hi, [hi[0] - cap, hi[1]], [hi[0] + cap, hi[1]]],
            },
            style: { stroke: color, lineWidth: 1.5, fill: 'none' },
          }
        },
        z: 3,
      })
    })
  }
  const x = (name: string, gridIndex: number) => ({
    type: 'log',
    gridIndex,
    name,
    nameLocation: 'middle',
    nameGap: 28,
    axisLabel: { formatter: (v: number) => `${sig(v)}%` },
  })
  const y = (name: string, gridIndex: number) => ({
    type: 'value',
    gridIndex,
    name,
    nameLocation: 'middle',
    nameGap: 55,
    scale: true,
  })
  return {
    title: { text: title, left: 'center' },
    legend: { top: 32, itemGap: 28, data: series.map((s) => s.strategy) },
    grid: [
      { left: 90, right: 40, top: 75, height: 200 },
      { left: 90, right: 40, top: 340, height: 200 },
    ],
    xAxis: [x('order size (% of ADV)', 0), x(`orders under ${sig(zoomBelowPct)}% of ADV (market orders left out)`, 1)],
    yAxis: [y('shortfall, mean ± s.e. (bps)', 0), y('shortfall (bps)', 1)],
    series: out,
  } as ChartOption
}
