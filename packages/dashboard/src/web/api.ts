/** Where the API token lives: the browser session only (gone when the tab's session ends). */
const TOKEN_KEY = 'acx.apiToken'

/** An answer of the API other than 2xx, in its error shape `{ error, message, issues? }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }> = [],
  ) {
    super(message)
  }
}

/** A request's options, its headers a plain record. */
type Init = Omit<RequestInit, 'headers'> & { readonly headers?: Record<string, string> }

/** What the page asks the person for when the service wants a token; resolves with it. */
export type TokenPrompt = (reason: 'missing' | 'refused') => Promise<string>

/** The little a session store needs (sessionStorage in the page, a Map in tests). */
export interface TokenStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/**
 * The service's HTTP API from the page: JSON in and out, `Authorization: Bearer <token>` on every
 * request once a token is known. The token is asked for once (on the first 401), kept in the session
 * store, and never put in a URL or logged; a refused token is forgotten and asked for again.
 */
export class Api {
  private asking: Promise<string> | undefined

  constructor(
    private readonly prompt: TokenPrompt,
    private readonly store: TokenStore,
    private readonly fetchFn: typeof fetch = (...a) => fetch(...a),
  ) {}

  get token(): string | null {
    return this.store.getItem(TOKEN_KEY)
  }

  forgetToken(): void {
    this.store.removeItem(TOKEN_KEY)
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const token = this.token
    return token ? { ...extra, authorization: `Bearer ${token}` } : extra
  }

  /** One prompt at a time, however many requests were refused together. */
  private newToken(reason: 'missing' | 'refused'): Promise<string> {
    this.asking ??= this.prompt(reason).then(
      (token) => {
        this.store.setItem(TOKEN_KEY, token)
        this.asking = undefined
        return token
      },
      (err: unknown) => {
        this.asking = undefined
        throw err
      },
    )
    return this.asking
  }

  /** A request that asks for the token on 401 and tries again with it. */
  async send(path: string, init: Init = {}): Promise<Response> {
    for (;;) {
      const sent = this.token
      const res = await this.fetchFn(path, { ...init, headers: this.headers(init.headers ?? {}) })
      if (res.status !== 401) return res
      await res.body?.cancel()
      if (sent !== null && this.token === sent) this.forgetToken()
      // another request may have got a new token meanwhile
      if (this.token === null || this.token === sent) await this.newToken(sent === null ? 'missing' : 'refused')
    }
  }

  async json<T>(path: string, init: Init = {}): Promise<T> {
    const res = await this.send(path, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } })
    const text = await res.text()
    let body: unknown
    try {
      body = text === '' ? null : JSON.parse(text)
    } catch {
      throw new ApiError(res.status, 'BAD_RESPONSE', `${path}: the service answered ${res.status} with no JSON`)
    }
    if (!res.ok) {
      const e = (body ?? {}) as { error?: string; message?: string; issues?: Array<{ path: string; message: string }> }
      throw new ApiError(res.status, e.error ?? `HTTP_${res.status}`, e.message ?? `HTTP ${res.status}`, e.issues)
    }
    return body as T
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>(path)
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>(path, {
      method: 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    })
  }

  /** Opens an event stream from `lastEventId` (the `fetchStream` of `runEventStream`). */
  stream(path: string, lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    return this.send(path, {
      signal,
      cache: 'no-store',
      headers: { accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
    })
  }
}

/** A query string from the set values only (`?a=1&b=x`), or ''. */
export function queryString(params: Readonly<Record<string, string | number | undefined | null>>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}
