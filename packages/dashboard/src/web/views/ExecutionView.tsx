import { useEffect, useMemo, useState } from 'preact/hooks'
import uPlot from 'uplot'
import type { Api } from '../api.js'
import { isFinal, type ApiEvent, type ExecutionView as Detail, type QuoteTapeView } from '../apiTypes.js'
import { Chart } from '../charts/Chart.js'
import { axisTime, bpsText, pctText, text } from '../format.js'
import { describeEvent } from '../journalText.js'
import { createRefresher } from '../refresher.js'
import { actualRemaining, align, fillsOf, limitSegments, plannedHoldings, quoteSeries } from '../series.js'
import { runEventStream, type StreamState } from '../sse.js'
import { CancelButton } from './CancelButton.js'
import { errorText, LiveBadge } from './common.js'

/** Series colours (the browser test looks for the planned and actual ones on the canvas). */
const COLORS = {
  planned: '#1d4ed8',
  actual: '#dc2626',
  bid: '#15803d',
  ask: '#b45309',
  limit: '#7c3aed',
  fill: '#111827',
} as const

const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC')
const stepped = uPlot.paths.stepped!({ align: 1 })
const noLine = () => null
const timeTicks = (_u: uPlot, splits: number[]) => splits.map(axisTime)

function HoldingsChart(props: { detail: Detail }) {
  const planned = plannedHoldings(props.detail)
  const actual = actualRemaining(props.detail)
  const data = useMemo(() => align([planned, actual]) as uPlot.AlignedData, [props.detail])
  const options = useMemo(
    (): Omit<uPlot.Options, 'width' | 'height'> => ({
      tzDate: utc,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, Number(props.detail.quantity))] } },
      series: [
        { label: 'time (UTC)', value: (_u, v) => (v === null ? '–' : axisTime(v)) },
        { label: 'planned holdings', stroke: COLORS.planned, width: 2, spanGaps: true, points: { show: true } },
        { label: 'actual remaining', stroke: COLORS.actual, width: 2, spanGaps: true, paths: stepped },
      ],
      axes: [{ values: timeTicks }, { label: 'shares to trade', size: 70 }],
    }),
    [props.detail.quantity],
  )
  return (
    <Chart
      testId="holdings-chart"
      label={`Planned holdings against the actual remaining quantity of ${props.detail.executionId}`}
      shape="holdings"
      options={options}
      data={data}
      attrs={{
        'planned-points': planned.length,
        'actual-points': actual.length,
        'actual-remaining': actual.at(-1)?.[1] ?? '',
      }}
    />
  )
}

function TimelineChart(props: { detail: Detail; quotes: QuoteTapeView | null }) {
  const { detail } = props
  const now = Date.now() / 1000
  const limits = limitSegments(detail, now)
  const { bid, ask } = quoteSeries(props.quotes?.quotes ?? [])
  const fills = fillsOf(detail).map((f) => [f.at, f.price] as const)
  const data = useMemo(
    () => align([bid, ask, fills, ...limits.map((l) => l.points)]) as uPlot.AlignedData,
    [detail, props.quotes],
  )
  const options = useMemo(
    (): Omit<uPlot.Options, 'width' | 'height'> => ({
      tzDate: utc,
      scales: { x: { time: true } },
      // one legend below for all the limit segments (uPlot's would list each)
      legend: { show: false },
      series: [
        { label: 'time (UTC)' },
        { label: 'bid', stroke: COLORS.bid, width: 1.5, spanGaps: true, paths: stepped },
        { label: 'ask', stroke: COLORS.ask, width: 1.5, spanGaps: true, paths: stepped },
        { label: 'fills', stroke: COLORS.fill, paths: noLine, points: { show: true, size: 7, fill: COLORS.fill } },
        ...limits.map((l) => ({
          label: l.label,
          stroke: COLORS.limit,
          width: 3,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      axes: [{ values: timeTicks }, { label: 'price ($)', size: 70 }],
    }),
    [limits.length],
  )
  return (
    <>
      <Chart
        testId="timeline-chart"
        label={`Child orders' limit prices against bid and ask, with fills, for ${detail.executionId}`}
        shape={`timeline-${limits.length}`}
        options={options}
        data={data}
        attrs={{ 'limit-orders': limits.length, quotes: bid.length, fills: fills.length }}
      />
      <ul class="legend" aria-hidden="true">
        <li class="key-bid">bid</li>
        <li class="key-ask">ask</li>
        <li class="key-limit">limit price (each child order, from sent to done)</li>
        <li class="key-fill">fills</li>
      </ul>
    </>
  )
}

function Estimate(props: { detail: Detail }) {
  const plan = props.detail.plan
  const expected = plan?.expectedCostBps ?? null
  const std = plan?.expectedStdBps ?? null
  const realised = props.detail.shortfallBps
  const z = expected !== null && std !== null && std > 0 && realised !== null ? (realised - expected) / std : null
  return (
    <dl class="estimate" data-testid="estimate">
      <div>
        <dt>Pre-trade estimate (E ± √V)</dt>
        <dd data-testid="expected-cost">
          {expected === null ? 'none (no model estimate for this strategy)' : `${bpsText(expected)} ± ${text(std)}`}
        </dd>
      </div>
      <div>
        <dt>Realised shortfall vs arrival mid</dt>
        <dd data-testid="realised-shortfall">{bpsText(realised)}</dd>
      </div>
      <div>
        <dt>Realised − estimate</dt>
        <dd>{z === null ? '–' : `${(Math.round(z * 100) / 100).toFixed(2)} σ`}</dd>
      </div>
    </dl>
  )
}

/**
 * One execution: its summary, the plan against what happened (holdings, child orders against the
 * quotes, fills), the estimate against the realised shortfall, and its journal as it is written
 * (`GET /v1/orders/:id/events`), each event re-reading the execution.
 */
export function ExecutionView(props: { api: Api; id: string }) {
  const { api, id } = props
  const [detail, setDetail] = useState<Detail | null>(null)
  const [quotes, setQuotes] = useState<QuoteTapeView | null>(null)
  const [journal, setJournal] = useState<readonly ApiEvent[]>([])
  const [error, setError] = useState<string | null>(null)
  const [live, setLive] = useState<StreamState>('connecting')

  useEffect(() => {
    const stop = new AbortController()
    setDetail(null)
    setJournal([])
    setError(null)
    const path = `/v1/orders/${encodeURIComponent(id)}`
    const read = async (): Promise<Detail> => {
      const [d, q] = await Promise.all([api.get<Detail>(path), api.get<QuoteTapeView>(`${path}/quotes`)])
      setQuotes(q)
      return d
    }
    const refresher = createRefresher(
      read,
      (_id, d) => setDetail(d),
      (_id, err) => setError(errorText(err)),
      stop.signal,
    )
    void (async () => {
      try {
        setDetail(await read())
        await runEventStream({
          fetchStream: (lastEventId, signal) => api.stream(`${path}/events`, lastEventId, signal),
          onMessage: (m) => {
            const e = JSON.parse(m.data) as ApiEvent
            setJournal((j) => [...j, e])
            refresher.touch(id)
          },
          // the server ends the stream once the execution is final (a scheduled one starts again)
          reconnectAfterEnd: async () => !isFinal((await api.get<Detail>(path)).status),
          onState: setLive,
          signal: stop.signal,
        })
      } catch (err) {
        if (!stop.signal.aborted) setError(errorText(err))
      }
    })()
    return () => stop.abort()
  }, [api, id])

  if (!detail)
    return (
      <section>
        <h1>Execution {id}</h1>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p>Loading…</p>
        )}
      </section>
    )
  const d = detail
  const fills = fillsOf(d)
  return (
    <section aria-labelledby="execution-title" data-testid="execution-view">
      <p>
        <a href="#/">← Executions</a>
      </p>
      <div class="title-row">
        <h1 id="execution-title">
          {d.side} {d.quantity} {d.symbol} <span class="sub">{d.executionId}</span>
        </h1>
        <LiveBadge state={live} />
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <span class={`status status-${d.status}`} data-testid="status">
              {d.status}
            </span>{' '}
            <CancelButton api={api} execution={d} onCancelled={setDetail} onError={setError} />
          </dd>
        </div>
        <div>
          <dt>Strategy</dt>
          <dd>{text(d.strategy)}</dd>
        </div>
        <div>
          <dt>Filled</dt>
          <dd>
            {d.filledQuantity} ({pctText(d.fillPercentage)})
          </dd>
        </div>
        <div>
          <dt>Average price</dt>
          <dd>{text(d.avgFillPrice)}</dd>
        </div>
        <div>
          <dt>Arrival</dt>
          <dd>
            mid {text(d.arrivalMid)}
            {d.arrivalQuote && ` (bid ${text(d.arrivalQuote.bid)}, ask ${text(d.arrivalQuote.ask)})`}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd class="time">{text(d.startedAt)}</dd>
        </div>
        <div>
          <dt>Expected finish</dt>
          <dd class="time">{text(d.expectedFinishAt)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd class="time">{text(d.finishedAt)}</dd>
        </div>
      </dl>
      <Estimate detail={d} />
      <h2>Planned holdings and actual remaining</h2>
      {d.plan ? <HoldingsChart detail={d} /> : <p>No plan yet.</p>}
      {d.plan && (
        <p class="note">
          Plan: {d.plan.strategy}, {d.plan.slices.length} slice{d.plan.slices.length === 1 ? '' : 's'} over{' '}
          {d.plan.horizonSeconds} s{d.plan.kappa === null ? '' : `, κ = ${d.plan.kappa.toPrecision(6)} /s`}
          {d.plan.shortenedFromSeconds === null
            ? ''
            : ` (shortened from ${d.plan.shortenedFromSeconds} s by the close)`}
          .
        </p>
      )}
      <h2>Child orders against bid and ask</h2>
      <TimelineChart detail={d} quotes={quotes} />
      {quotes && !quotes.complete && (
        <p class="note">
          Bid and ask as this service process saw them; it did not see the whole execution (restarted or another
          worker), so some are missing.
        </p>
      )}
      <div class="table-wrap">
        <table data-testid="child-orders">
          <caption>Child orders</caption>
          <thead>
            <tr>
              <th scope="col">Client order id</th>
              <th scope="col">Slice</th>
              <th scope="col">Type</th>
              <th scope="col" class="num">
                Quantity
              </th>
              <th scope="col" class="num">
                Limit
              </th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Filled
              </th>
              <th scope="col" class="num">
                Avg price
              </th>
              <th scope="col">Sent</th>
            </tr>
          </thead>
          <tbody>
            {d.childOrders.map((c) => (
              <tr key={c.clientOrderId}>
                <td>{c.clientOrderId}</td>
                <td>
                  {c.sliceIndex} (attempt {c.attempt})
                </td>
                <td>{c.type}</td>
                <td class="num">{c.quantity}</td>
                <td class="num">{text(c.limitPrice)}</td>
                <td>{c.status}</td>
                <td class="num">{c.filledQuantity}</td>
                <td class="num">{text(c.avgFillPrice)}</td>
                <td class="time">{text(c.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table data-testid="fills">
          <caption>Fills ({fills.length})</caption>
          <thead>
            <tr>
              <th scope="col">At</th>
              <th scope="col" class="num">
                Quantity
              </th>
              <th scope="col" class="num">
                Price
              </th>
              <th scope="col">Child order</th>
            </tr>
          </thead>
          <tbody>
            {d.childOrders.flatMap((c) =>
              c.fills.map((f) => (
                <tr key={f.fillId}>
                  <td class="time">{text(f.at)}</td>
                  <td class="num">{f.quantity}</td>
                  <td class="num">{text(f.price)}</td>
                  <td>{c.clientOrderId}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </div>
      <div class="table-wrap">
        <table data-testid="journal">
          <caption>Journal ({journal.length} entries)</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">At</th>
              <th scope="col">Entry</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {journal.map((e) => (
              <tr key={e.id}>
                <td>{e.id}</td>
                <td class="time">{text(e.at)}</td>
                <td>{e.type}</td>
                <td>{describeEvent(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
