import { useEffect, useState } from 'preact/hooks'

export type Route =
  | { readonly view: 'executions'; readonly query: URLSearchParams }
  | { readonly view: 'execution'; readonly id: string; readonly query: URLSearchParams }
  | { readonly view: 'frontier'; readonly query: URLSearchParams }
  | { readonly view: 'report'; readonly query: URLSearchParams }
  | { readonly view: 'not_found'; readonly query: URLSearchParams }

/**
 * The page's routes live in the URL's fragment (`#/executions/ex_1`, `#/frontier?lambda=…`), so the
 * service serves one page at `/` and every view, with its parameters, can be shared as a link.
 */
export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#/, '')
  const [path = '', search = ''] = body.split('?', 2) as [string, string?]
  const query = new URLSearchParams(search)
  const parts = path.split('/').filter(Boolean)
  if (parts.length === 0) return { view: 'executions', query }
  if (parts[0] === 'executions' && parts.length === 1) return { view: 'executions', query }
  if (parts[0] === 'executions' && parts.length === 2)
    return { view: 'execution', id: decodeURIComponent(parts[1]!), query }
  if (parts[0] === 'frontier' && parts.length === 1) return { view: 'frontier', query }
  if (parts[0] === 'report' && parts.length === 1) return { view: 'report', query }
  return { view: 'not_found', query }
}

export const executionHref = (id: string): string => `#/executions/${encodeURIComponent(id)}`

/** Changes the URL's query of the current view without a history entry or a re-route. */
export function replaceQuery(path: string, query: string): void {
  history.replaceState(null, '', `#${path}${query ? `?${query}` : ''}`)
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}
