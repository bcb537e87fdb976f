import { loadAcCore, type WasmAcCore } from '@acx/ac-core-wasm'
import { useEffect, useMemo, useState } from 'preact/hooks'
import type uPlot from 'uplot'
import { Chart } from '../charts/Chart.js'
import { computeFrontier, type FrontierResult } from '../frontier/compute.js'
import {
  PRESETS,
  acLines,
  defaultState,
  fieldsFor,
  parseState,
  stateFromQuery,
  stateToQuery,
  type ExplorerState,
  type Units,
} from '../frontier/model.js'
import { axisDollars, computedBps, dollarsText, fractionPct, sig } from '../format.js'
import { replaceQuery } from '../router.js'

let corePromise: Promise<WasmAcCore> | undefined
/** The WebAssembly core, compiled once for the page. */
const loadCore = () => (corePromise ??= loadAcCore())

const FRONTIER_COLOR = '#1d4ed8'
const CHOSEN_COLOR = '#dc2626'

function FrontierChart(props: { result: FrontierResult }) {
  const { result } = props
  const data = useMemo(() => {
    // x = √V ascending (λ descending), y = E; the chosen point as its own series
    const n = result.riskAversion.length
    const order = Array.from({ length: n }, (_, i) => n - 1 - i)
    const xs = order.map((i) => result.stdDevDollars[i] as number)
    const ys = order.map((i) => result.expectedCostDollars[i] as number)
    const chosen = order.map((i) =>
      result.riskAversion[i] === result.chosen.riskAversion ? (result.expectedCostDollars[i] as number) : null,
    )
    return [xs, ys, chosen] as uPlot.AlignedData
  }, [result])
  const options = useMemo(
    (): Omit<uPlot.Options, 'width' | 'height'> => ({
      scales: { x: { time: false } },
      legend: { show: false },
      series: [
        { label: '√V ($)', value: (_u, v) => (v === null ? '–' : dollarsText(v)) },
        { label: 'E ($)', stroke: FRONTIER_COLOR, width: 2, value: (_u, v) => (v === null ? '–' : dollarsText(v)) },
        {
          label: 'chosen λ',
          stroke: CHOSEN_COLOR,
          paths: () => null,
          points: { show: true, size: 11, fill: CHOSEN_COLOR, stroke: CHOSEN_COLOR },
          value: (_u, v) => (v === null ? '–' : dollarsText(v)),
        },
      ],
      axes: [
        { label: 'standard deviation of cost √V ($)', size: 50, values: (_u, vs) => vs.map(axisDollars) },
        { label: 'expected cost E ($)', size: 90, values: (_u, vs) => vs.map(axisDollars) },
      ],
    }),
    [],
  )
  return (
    <Chart
      testId="frontier-chart"
      label="The efficient frontier: expected cost against its standard deviation, the chosen risk aversion marked"
      shape="frontier"
      options={options}
      data={data}
      height={320}
      attrs={{ points: result.riskAversion.length }}
    />
  )
}

/**
 * The Almgren–Chriss efficient frontier, computed in the page by the WebAssembly core as the inputs
 * change: E against √V over the risk aversions, the chosen λ marked with its schedule, E and √V in
 * dollars and bps, and the `AC_*` lines that give the same trajectory. The inputs live in the URL.
 */
export function FrontierView(props: { query: URLSearchParams }) {
  const queryText = props.query.toString()
  const [state, setState] = useState<ExplorerState>(() => stateFromQuery(props.query))
  const [core, setCore] = useState<WasmAcCore | null>(null)
  const [coreError, setCoreError] = useState<string | null>(null)
  const [copied, setCopied] = useState<string | null>(null)

  // a new link (hash change) replaces the state; typing only rewrites the URL
  useEffect(() => setState(stateFromQuery(new URLSearchParams(queryText))), [queryText])
  useEffect(() => replaceQuery('/frontier', stateToQuery(state)), [state])
  useEffect(() => {
    loadCore().then(setCore, (err: unknown) => setCoreError(`The WebAssembly core did not load: ${String(err)}`))
  }, [])

  const parsed = useMemo(() => parseState(state), [state])
  const computed = useMemo(() => {
    if (!core || !parsed.ok) return null
    try {
      return { ok: true as const, result: computeFrontier(core, parsed.inputs) }
    } catch (err) {
      return { ok: false as const, message: (err as Error).message }
    }
  }, [core, parsed])
  const lines = parsed.ok ? acLines(parsed.inputs) : null
  const problems = parsed.ok ? [] : parsed.problems
  const badKeys = new Set(problems.map((p) => p.key))

  const setValue = (key: string, value: string) => {
    setCopied(null)
    setState((s) => ({ ...s, values: { ...s.values, [key]: value } }))
  }
  const setUnits = (units: Units) => setState(defaultState(units))
  const copy = async () => {
    if (!lines) return
    try {
      await navigator.clipboard.writeText(lines)
      setCopied('Copied to the clipboard.')
    } catch {
      const pre = document.querySelector('[data-testid="ac-lines"]')
      if (pre) getSelection()?.selectAllChildren(pre)
      setCopied('The clipboard is not available here: the lines are selected, copy them with Ctrl+C.')
    }
  }

  const chosen = computed?.ok ? computed.result.chosen : null
  const qty = parsed.ok ? parsed.inputs.values[parsed.inputs.units === 'ac' ? 'qty' : 'X'] : undefined
  const timeUnit = state.units === 'ac' ? 's' : 'time units'
  return (
    <section aria-labelledby="frontier-title">
      <h1 id="frontier-title">Frontier explorer</h1>
      <p class="note">
        Computed in this page by the WebAssembly core (<code>@acx/ac-core-wasm</code>); nothing is sent to the service.
        The inputs are in the link: share it to share the view.
      </p>
      <div class="frontier">
        <form class="params" onSubmit={(e) => e.preventDefault()} aria-label="Model parameters">
          <fieldset>
            <legend>Units</legend>
            <label>
              <input
                type="radio"
                name="units"
                checked={state.units === 'ac'}
                data-testid="units-ac"
                onChange={() => setUnits('ac')}
              />{' '}
              the service's AC_* settings
            </label>
            <label>
              <input
                type="radio"
                name="units"
                checked={state.units === 'model'}
                data-testid="units-model"
                onChange={() => setUnits('model')}
              />{' '}
              model units (the paper: shares, $, days)
            </label>
          </fieldset>
          <label>
            Preset{' '}
            <select
              data-testid="preset"
              value=""
              onChange={(e) => {
                const preset = PRESETS.find((p) => p.id === (e.target as HTMLSelectElement).value)
                if (preset) setState(preset.state)
              }}
            >
              <option value="">choose…</option>
              {PRESETS.map((p) => (
                <option value={p.id}>{p.label}</option>
              ))}
            </select>
          </label>
          {fieldsFor(state.units).map((f) => (
            <label class="field" key={`${state.units}-${f.key}`}>
              <span class="field-name">
                {f.label} {f.symbol && <i>{f.symbol}</i>}
                {f.env && <code>{f.env}</code>}
              </span>
              <input
                inputMode="decimal"
                name={f.key}
                data-testid={`param-${f.key}`}
                value={state.values[f.key] ?? ''}
                aria-invalid={badKeys.has(f.key)}
                aria-describedby={`unit-${f.key}`}
                onInput={(e) => setValue(f.key, (e.target as HTMLInputElement).value)}
              />
              <span class="unit" id={`unit-${f.key}`}>
                {f.unit}
              </span>
            </label>
          ))}
        </form>
        <div class="results">
          <div role="alert" data-testid="frontier-errors">
            {coreError && <p class="error">{coreError}</p>}
            {problems.map((p) => (
              <p class="error" key={p.key}>
                {p.message}
              </p>
            ))}
            {computed && !computed.ok && <p class="error">The model refuses these parameters: {computed.message}</p>}
          </div>
          {computed?.ok && <FrontierChart result={computed.result} />}
          <dl class="readout" aria-live="polite">
            <div>
              <dt>Expected cost E</dt>
              <dd
                data-testid="frontier-expected-cost"
                data-dollars={chosen ? String(chosen.expectedCostDollars) : ''}
                data-bps={chosen ? String(chosen.expectedCostBps) : ''}
              >
                {chosen ? `${dollarsText(chosen.expectedCostDollars)} (${computedBps(chosen.expectedCostBps)})` : '–'}
              </dd>
            </div>
            <div>
              <dt>Standard deviation √V</dt>
              <dd
                data-testid="frontier-std-dev"
                data-dollars={chosen ? String(chosen.stdDevDollars) : ''}
                data-bps={chosen ? String(chosen.stdDevBps) : ''}
              >
                {chosen ? `${dollarsText(chosen.stdDevDollars)} (${computedBps(chosen.stdDevBps)})` : '–'}
              </dd>
            </div>
            <div>
              <dt>Risk aversion λ</dt>
              <dd>{chosen ? sig(chosen.riskAversion) : '–'}</dd>
            </div>
            <div>
              <dt>Urgency κ, κT</dt>
              <dd data-testid="frontier-kappa">
                {chosen
                  ? `${sig(chosen.kappa)} per ${state.units === 'ac' ? 'second' : 'time unit'}, κT = ${sig(chosen.kappaT, 4)}`
                  : '–'}
              </dd>
            </div>
          </dl>
          {chosen && (
            <div class="table-wrap">
              <table data-testid="frontier-schedule">
                <caption>Schedule at the chosen λ</caption>
                <thead>
                  <tr>
                    <th scope="col">Slice</th>
                    <th scope="col" class="num">
                      Starts ({timeUnit})
                    </th>
                    <th scope="col" class="num">
                      Held before
                    </th>
                    <th scope="col" class="num">
                      Trades
                    </th>
                    <th scope="col" class="num">
                      Shares
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {chosen.slices.map((s) => (
                    <tr key={s.index}>
                      <td>{s.index}</td>
                      <td class="num">{sig(s.start)}</td>
                      <td class="num">{fractionPct(s.heldBefore)}</td>
                      <td class="num" data-testid="slice-fraction">
                        {fractionPct(s.fraction)}
                      </td>
                      <td class="num">{qty === undefined ? '–' : sig(s.fraction * qty, 8)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h2>For the service's environment</h2>
          <pre data-testid="ac-lines">{lines ?? '–'}</pre>
          <button type="button" data-testid="copy-ac-lines" disabled={!lines} onClick={() => void copy()}>
            Copy AC_* lines
          </button>{' '}
          <span role="status">{copied}</span>
        </div>
      </div>
    </section>
  )
}
