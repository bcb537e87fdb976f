import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface ChartProps {
  /** Everything but width and height; a new `shape` rebuilds the chart, new data only redraws it. */
  readonly options: Omit<uPlot.Options, 'width' | 'height'>
  readonly data: uPlot.AlignedData
  /** Changes when the series change (their number or kind). */
  readonly shape: string
  readonly height?: number
  readonly label: string
  readonly testId: string
  /** Extra data-* attributes, so that a test can read what the chart was given. */
  readonly attrs?: Readonly<Record<string, string | number>>
}

/** A uPlot chart that fills its container's width and follows it when the page is resized. */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const height = props.height ?? 280

  useEffect(() => {
    const el = box.current!
    const width = () => Math.max(240, Math.floor(el.clientWidth))
    const u = new uPlot({ ...props.options, width: width(), height }, props.data, el)
    plot.current = u
    const resize = new ResizeObserver(() => u.setSize({ width: width(), height }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      u.destroy()
      plot.current = null
    }
    // the chart is rebuilt only when its shape changes; data changes redraw it below
  }, [props.shape, height])

  useEffect(() => {
    plot.current?.setData(props.data)
  }, [props.data])

  const attrs = Object.fromEntries(Object.entries(props.attrs ?? {}).map(([k, v]) => [`data-${k}`, String(v)]))
  return <div class="chart" ref={box} role="img" aria-label={props.label} data-testid={props.testId} {...attrs} />
}
