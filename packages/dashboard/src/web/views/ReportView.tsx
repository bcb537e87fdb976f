import { useEffect, useState } from 'preact/hooks'
import { queryString, type Api } from '../api.js'
import type { CriterionView, ReportView as Report } from '../apiTypes.js'
import { BoxPlot } from '../charts/BoxPlot.js'
import { errorText } from './common.js'

const WINDOWS: ReadonlyArray<readonly [string, string]> = [
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
  ['', 'all time'],
]

function Verdict(props: { pass: boolean | null }) {
  const label = props.pass === null ? 'n/a' : props.pass ? 'PASS' : 'FAIL'
  return <strong class={`verdict verdict-${label.replace('/', '')}`}>{label}</strong>
}

const figure = (c: CriterionView): string => (c.value === null ? 'no sample' : `${c.value} ${c.unit}`.trim())

function CriterionCell(props: { c: CriterionView | undefined }) {
  const { c } = props
  if (!c) return <td>–</td>
  return (
    <td data-testid={`criterion-${c.name}`}>
      <Verdict pass={c.pass} /> {figure(c)} <span class="sub">n = {c.sample ?? 0}</span>
    </td>
  )
}

const CRITERIA: ReadonlyArray<readonly [string, string]> = [
  ['fill_rate', 'Fill rate (> 95%)'],
  ['execution_time', 'Average execution time (5–10 min)'],
  ['market_fallback', 'Market fallback rate (< 10%)'],
]

/**
 * The rollout guide's success criteria per strategy over a window (`GET /v1/report`), each PASS or FAIL
 * with its figure and sample size; Almgren–Chriss against walk-the-book on shortfall; the shortfall
 * distributions side by side.
 */
export function ReportView(props: { api: Api; query: URLSearchParams }) {
  const since = props.query.get('since') ?? '7d'
  const symbol = props.query.get('symbol') ?? ''
  const [report, setReport] = useState<Report | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [custom, setCustom] = useState(since)

  useEffect(() => {
    let live = true
    setError(null)
    props.api
      .get<Report>(`/v1/report${queryString({ since, symbol })}`)
      .then((r) => live && setReport(r))
      .catch((err: unknown) => live && setError(errorText(err)))
    return () => {
      live = false
    }
  }, [props.api, since, symbol])

  const go = (next: { since?: string; symbol?: string }) => {
    const q = queryString({ since: next.since ?? since, symbol: next.symbol ?? symbol })
    location.hash = `#/report${q || '?since='}`
  }
  const c = report?.comparison
  return (
    <section aria-labelledby="report-title">
      <h1 id="report-title">Report</h1>
      <form
        class="filters"
        aria-label="Window"
        onSubmit={(e) => {
          e.preventDefault()
          go({ since: custom.trim() })
        }}
      >
        <label>
          Window{' '}
          <select
            data-testid="report-window"
            value={WINDOWS.some(([v]) => v === since) ? since : 'custom'}
            onChange={(e) => go({ since: (e.target as HTMLSelectElement).value })}
          >
            {WINDOWS.map(([v, label]) => (
              <option value={v}>{label}</option>
            ))}
            <option value="custom" disabled>
              custom
            </option>
          </select>
        </label>
        <label>
          Since{' '}
          <input
            value={custom}
            size={22}
            placeholder="7d, 24h, 30m or 2026-11-01"
            onInput={(e) => setCustom((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Symbol{' '}
          <input
            value={symbol}
            size={8}
            placeholder="all"
            onChange={(e) => go({ symbol: (e.target as HTMLInputElement).value.trim().toUpperCase() })}
          />
        </label>
        <button type="submit">Apply</button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {report && (
        <>
          <p class="note">
            {report.executions} finished execution{report.executions === 1 ? '' : 's'}{' '}
            {report.since ? `since ${report.since}` : 'of all time'}
            {report.symbol ? ` in ${report.symbol}` : ''} (generated {report.generatedAt}).
          </p>
          <div class="table-wrap">
            <table data-testid="report-criteria">
              <caption>Success criteria per strategy</caption>
              <thead>
                <tr>
                  <th scope="col">Strategy</th>
                  <th scope="col" class="num">
                    Executions
                  </th>
                  {CRITERIA.map(([, label]) => (
                    <th scope="col">{label}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {report.strategies.map((s) => (
                  <tr key={s.strategy} data-strategy={s.strategy}>
                    <th scope="row">{s.strategy}</th>
                    <td class="num">{s.executions}</td>
                    {CRITERIA.map(([name]) => (
                      <CriterionCell c={s.criteria.find((x) => x.name === name)} />
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {c && (
            <p data-testid="report-comparison">
              <Verdict pass={c.pass} /> Price improvement of almgren_chriss over walk_the_book (lower average
              shortfall):{' '}
              {c.almgrenChrissBps === null || c.walkTheBookBps === null
                ? 'needs executions of both strategies'
                : `almgren_chriss ${c.almgrenChrissBps} bps against walk_the_book ${c.walkTheBookBps} bps, a difference of ${figure(c)}`}{' '}
              <span class="sub">
                n = {c.almgrenChrissSample} and {c.walkTheBookSample}
              </span>
            </p>
          )}
          <h2>Shortfall against the arrival mid, per strategy</h2>
          <BoxPlot strategies={report.strategies} />
        </>
      )}
    </section>
  )
}
