import { useEffect, useMemo, useState } from 'preact/hooks'
import { queryString, type Api } from '../api.js'
import {
  STATUSES,
  STRATEGIES,
  isFinal,
  type ApiEvent,
  type ExecutionList,
  type ExecutionSummary,
  type ExecutionView as ExecutionDetail,
} from '../apiTypes.js'
import { bpsText, pctText, text } from '../format.js'
import { createRefresher } from '../refresher.js'
import { executionHref } from '../router.js'
import { runEventStream, type StreamState } from '../sse.js'
import { CancelButton } from './CancelButton.js'
import { errorText, LiveBadge } from './common.js'

const newestFirst = (a: ExecutionSummary, b: ExecutionSummary) =>
  b.createdAt.localeCompare(a.createdAt) || b.executionId.localeCompare(a.executionId)

/**
 * Every execution, newest first, kept current over the event stream of all executions (`GET /v1/events`
 * from the journal's head when the page loaded): each event re-reads its execution, so the row shows
 * exactly what the API says. Filters by status, symbol and strategy live in the URL.
 */
export function ExecutionsView(props: { api: Api; query: URLSearchParams }) {
  const { api, query } = props
  const status = query.get('status') ?? ''
  const symbol = (query.get('symbol') ?? '').toUpperCase()
  const strategy = query.get('strategy') ?? ''
  const [rows, setRows] = useState<ReadonlyMap<string, ExecutionSummary>>(new Map())
  const [cursor, setCursor] = useState<string | null>(null)
  const [loaded, setLoaded] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [live, setLive] = useState<StreamState>('connecting')

  const put = (e: ExecutionSummary) => setRows((m) => new Map(m).set(e.executionId, e))

  useEffect(() => {
    const stop = new AbortController()
    setRows(new Map())
    setLoaded(false)
    setError(null)
    const refresher = createRefresher<ExecutionDetail>(
      (id) => api.get(`/v1/orders/${encodeURIComponent(id)}`),
      (_id, v) => put(v),
      (id, err) => setError(`${id}: ${errorText(err)}`),
      stop.signal,
    )
    void (async () => {
      try {
        // the head first, so that nothing that happens while the list loads is missed
        const head = await api.get<{ lastEventId: string | null }>('/v1/events/head')
        const list = await api.get<ExecutionList>(
          `/v1/orders${queryString({ status, symbol: symbol || undefined, limit: 100 })}`,
        )
        if (stop.signal.aborted) return
        setRows(new Map(list.executions.map((e) => [e.executionId, e])))
        setCursor(list.nextCursor)
        setLoaded(true)
        await runEventStream({
          fetchStream: (lastEventId, signal) => api.stream('/v1/events', lastEventId, signal),
          ...(head.lastEventId === null ? {} : { lastEventId: head.lastEventId }),
          onMessage: (m) => refresher.touch((JSON.parse(m.data) as ApiEvent).executionId),
          onState: setLive,
          signal: stop.signal,
        })
      } catch (err) {
        if (!stop.signal.aborted) setError(errorText(err))
      }
    })()
    return () => stop.abort()
  }, [api, status, symbol])

  const loadOlder = async () => {
    if (!cursor) return
    try {
      const list = await api.get<ExecutionList>(
        `/v1/orders${queryString({ status, symbol: symbol || undefined, limit: 100, cursor })}`,
      )
      setRows((m) => {
        const next = new Map(m)
        for (const e of list.executions) if (!next.has(e.executionId)) next.set(e.executionId, e)
        return next
      })
      setCursor(list.nextCursor)
    } catch (err) {
      setError(errorText(err))
    }
  }

  const shown = useMemo(
    () =>
      [...rows.values()]
        .filter(
          (e) =>
            (!status || e.status === status) &&
            (!symbol || e.symbol === symbol) &&
            (!strategy || e.strategy === strategy),
        )
        .sort(newestFirst),
    [rows, status, symbol, strategy],
  )

  const setFilter = (key: string, value: string) => {
    const q = new URLSearchParams(query)
    if (value) q.set(key, value)
    else q.delete(key)
    const s = q.toString()
    location.hash = `#/${s ? `?${s}` : ''}`
  }

  return (
    <section aria-labelledby="executions-title">
      <div class="title-row">
        <h1 id="executions-title">Executions</h1>
        <LiveBadge state={live} />
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Status{' '}
          <select
            value={status}
            data-testid="filter-status"
            onChange={(e) => setFilter('status', (e.target as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Symbol{' '}
          <input
            value={symbol}
            size={8}
            data-testid="filter-symbol"
            placeholder="any"
            onChange={(e) => setFilter('symbol', (e.target as HTMLInputElement).value.trim().toUpperCase())}
          />
        </label>
        <label>
          Strategy{' '}
          <select
            value={strategy}
            data-testid="filter-strategy"
            onChange={(e) => setFilter('strategy', (e.target as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {STRATEGIES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="table-wrap">
        <table data-testid="executions-table">
          <thead>
            <tr>
              <th scope="col">Execution</th>
              <th scope="col">Status</th>
              <th scope="col">Symbol</th>
              <th scope="col">Side</th>
              <th scope="col" class="num">
                Quantity
              </th>
              <th scope="col" class="num">
                Filled
              </th>
              <th scope="col" class="num">
                Avg price
              </th>
              <th scope="col" class="num" title="Implementation shortfall against the arrival mid; positive = cost">
                Shortfall
              </th>
              <th scope="col">Strategy</th>
              <th scope="col">Started</th>
              <th scope="col">Expected finish</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.executionId} data-testid="execution-row" data-execution-id={e.executionId}>
                <td class="id-cell">
                  <a href={executionHref(e.executionId)}>{e.executionId}</a>
                  <div class="sub">{e.correlationId}</div>
                </td>
                <td>
                  <span class={`status status-${e.status}`} data-testid="status">
                    {e.status}
                  </span>
                  {e.cancelRequested && !isFinal(e.status) && <div class="sub">cancel requested</div>}
                </td>
                <td>{e.symbol}</td>
                <td>{e.side}</td>
                <td class="num">{e.quantity}</td>
                <td class="num" data-testid="filled">
                  {pctText(e.fillPercentage)}
                </td>
                <td class="num">{text(e.avgFillPrice)}</td>
                <td class="num" data-testid="shortfall">
                  {bpsText(e.shortfallBps)}
                </td>
                <td>{text(e.strategy)}</td>
                <td class="time">{text(e.startedAt ?? e.scheduledFor)}</td>
                <td class="time">{text(e.expectedFinishAt)}</td>
                <td>
                  <CancelButton api={api} execution={e} onCancelled={put} onError={setError} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {loaded && shown.length === 0 && (
        <p class="empty">No executions{status || symbol || strategy ? ' match' : ' yet'}.</p>
      )}
      {cursor && (
        <button type="button" onClick={() => void loadOlder()}>
          Load older executions
        </button>
      )}
    </section>
  )
}
