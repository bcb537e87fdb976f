import { useMemo, useState } from 'preact/hooks'
import { Api } from './api.js'
import { useRoute } from './router.js'
import { ExecutionsView } from './views/ExecutionsView.js'
import { ExecutionView } from './views/ExecutionView.js'
import { FrontierView } from './views/FrontierView.js'
import { ReportView } from './views/ReportView.js'

interface TokenRequest {
  readonly reason: 'missing' | 'refused'
  readonly resolve: (token: string) => void
}

/** Asks for the API token once; it is kept for this browser session only (sessionStorage). */
function TokenDialog(props: { request: TokenRequest }) {
  const [value, setValue] = useState('')
  return (
    <div class="overlay">
      <div class="token-dialog" role="dialog" aria-modal="true" aria-labelledby="token-title">
        <form
          onSubmit={(e) => {
            e.preventDefault()
            if (value.trim() !== '') props.request.resolve(value.trim())
          }}
        >
          <h2 id="token-title">API token</h2>
          <p>
            {props.request.reason === 'refused'
              ? 'The service refused that token. Enter the value of ACX_API_TOKEN.'
              : 'The service asks for a token (ACX_API_TOKEN). It is kept for this browser session only.'}
          </p>
          <label>
            Token{' '}
            <input
              type="password"
              autoComplete="off"
              autoFocus
              data-testid="token-input"
              value={value}
              onInput={(e) => setValue((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit" data-testid="token-submit">
            Use token
          </button>
        </form>
      </div>
    </div>
  )
}

const NAV: ReadonlyArray<readonly [string, string, string]> = [
  ['#/', 'Executions', 'executions'],
  ['#/frontier', 'Frontier explorer', 'frontier'],
  ['#/report', 'Report', 'report'],
]

export function App() {
  const route = useRoute()
  const [tokenRequest, setTokenRequest] = useState<TokenRequest | null>(null)
  const api = useMemo(
    () =>
      new Api(
        (reason) =>
          new Promise<string>((resolve) =>
            setTokenRequest({
              reason,
              resolve: (token) => {
                setTokenRequest(null)
                resolve(token)
              },
            }),
          ),
        sessionStorage,
      ),
    [],
  )
  const current = route.view === 'execution' ? 'executions' : route.view
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault()
          document.getElementById('main')?.focus()
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">acx</span>
        <nav aria-label="Views">
          {NAV.map(([href, label, view]) => (
            <a href={href} aria-current={current === view ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {route.view === 'executions' && <ExecutionsView api={api} query={route.query} />}
        {route.view === 'execution' && <ExecutionView api={api} id={route.id} />}
        {route.view === 'frontier' && <FrontierView query={route.query} />}
        {route.view === 'report' && <ReportView api={api} query={route.query} />}
        {route.view === 'not_found' && (
          <p role="alert">
            No such view. Go to the <a href="#/">executions</a>.
          </p>
        )}
      </main>
      {tokenRequest && <TokenDialog request={tokenRequest} />}
    </>
  )
}
