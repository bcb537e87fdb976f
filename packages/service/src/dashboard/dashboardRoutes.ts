import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import type { z } from 'zod'
import { Dec, priceText } from '@acx/engine'
import type { DashboardAsset } from '@acx/dashboard'
import { ServiceError } from '../errors.js'
import type { ExecutionManager } from '../executions/executionManager.js'
import type { ExecutionQueries } from '../persistence/executionStore.js'
import { loadReportInputs, parseSince } from '../report/loadReport.js'
import { PAGE_ROUTES, ROUTES, type ApiRoute, type PageRoute } from '../http/routes.js'
import {
  ExecutionIdParams,
  ReportQuery,
  type EventsHead,
  type Out,
  type QuoteTape as QuoteTapeAnswer,
  type Report,
} from '../http/schemas.js'
import { journalHead } from './journalHead.js'
import type { QuoteTape } from './quoteTape.js'
import { reportView } from './reportView.js'

export interface DashboardOptions {
  /**
   * Loads the page's files (`@acx/dashboard`), on the first request for the page, so that a service
   * nobody opens the page of (a worker, the Lambda handler) pays nothing at start. Unset
   * (ACX_DASHBOARD=off): no page, the API routes only.
   */
  readonly assets?: () => Promise<readonly DashboardAsset[]>
  /** What `GET /v1/report` reads. */
  readonly queries: ExecutionQueries
  /** The quotes the engine priced from (`GET /v1/orders/:id/quotes`). */
  readonly quotes: QuoteTape
}

/**
 * The page's policy: its own script, styles and API only; WebAssembly may be compiled (the frontier
 * explorer runs the Almgren–Chriss core in the page) but nothing may be `eval`ed; no frames, forms,
 * plugins or base URL; nothing from any other origin.
 */
const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
} as const

interface ServedAsset {
  readonly asset: DashboardAsset
  readonly body: Buffer
  readonly gzip: Buffer
  readonly etag: string
}

/** Whether the client takes gzip (`Accept-Encoding`, honouring `q=0`). */
function acceptsGzip(header: string | undefined): boolean {
  for (const part of (header ?? '').split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';')
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') continue
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined)
    return q === undefined || Number(q) > 0
  }
  return false
}

function serve(req: FastifyRequest, reply: FastifyReply, served: ServedAsset): FastifyReply {
  const { asset } = served
  void reply
    .headers(SECURITY_HEADERS)
    .header('content-type', asset.contentType)
    .header('etag', served.etag)
    .header('vary', 'accept-encoding')
    // hashed names never change; the page itself is revalidated each time, so a new build shows at once
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
  const match = req.headers['if-none-match']
  if (match !== undefined && match.split(',').some((t) => t.trim() === served.etag || t.trim() === '*'))
    return reply.status(304).send()
  if (acceptsGzip(req.headers['accept-encoding'])) return reply.header('content-encoding', 'gzip').send(served.gzip)
  return reply.send(served.body)
}

/** Executions a report may cover at most; a longer window is refused (400 naming `since`). */
const REPORT_MAX_EXECUTIONS = 20_000

const iso = (ms: number): string => new Date(ms).toISOString()

/** What `buildApp` lends: registering a route of its tables, and parsing a part of a request with its schema (400 listing every problem). */
export interface AppKit {
  readonly on: (route: ApiRoute | PageRoute, handler: RouteHandlerMethod) => void
  readonly parsed: <S extends z.ZodType>(schema: S, value: unknown, where: string) => z.output<S>
}

/**
 * The dashboard's page (`PAGE_ROUTES`: `/` and `/ui/<file>`, with a strict Content-Security-Policy,
 * ETags, gzip, and long caching of the content-hashed files) and the API routes it reads besides the
 * execution routes (in `ROUTES`): `GET /v1/events/head`, `GET /v1/orders/:id/quotes` and `GET /v1/report`.
 */
export function registerDashboard(kit: AppKit, manager: ExecutionManager, options: DashboardOptions): void {
  const { on, parsed } = kit
  const load = options.assets
  if (load) {
    let files: Promise<ReadonlyMap<string, ServedAsset>> | undefined
    // each file gzipped once, when the page is first asked for
    const served = () =>
      (files ??= load().then((assets) => {
        const map = new Map<string, ServedAsset>()
        for (const asset of assets) {
          const body = Buffer.from(asset.body, 'utf8')
          const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
          map.set(asset.name, { asset, body, gzip: gzipSync(body, { level: 9 }), etag })
        }
        if (!map.has('index.html'))
          throw new ServiceError('SERVICE_INVALID_ARGUMENT', 'the dashboard assets have no index.html')
        return map
      }))
    on(PAGE_ROUTES.dashboardPage, async (req, reply) => serve(req, reply, (await served()).get('index.html')!))
    on(PAGE_ROUTES.dashboardFile, async (req, reply) => {
      const name = (req.params as { file: string }).file
      const file = name === 'index.html' ? undefined : (await served()).get(name)
      if (!file) throw new ServiceError('SERVICE_ROUTE_NOT_FOUND', 'No such file of the dashboard')
      return serve(req, reply, file)
    })
  }

  on(ROUTES.eventsHead, async (): Promise<Out<typeof EventsHead>> => ({ lastEventId: await journalHead(manager) }))

  on(ROUTES.orderQuotes, async (req): Promise<Out<typeof QuoteTapeAnswer>> => {
    const { id } = parsed(ExecutionIdParams, req.params, '(path)')
    const detail = await manager.detail(id)
    if (!detail) throw new ServiceError('SERVICE_NOT_FOUND')
    const { progress, record } = detail
    const arrival = progress.arrival
    const from = progress.startedAt
    if (from === null) return { quotes: [], complete: true }
    const to = progress.finishedAt ?? Number.MAX_SAFE_INTEGER
    const tape = options.quotes.between(record.symbol, from, to)
    const quotes = tape.quotes.map((q) => ({
      bid: priceText(q.bid),
      ask: priceText(q.ask),
      mid: priceText(new Dec(q.bid).add(q.ask).div(2)),
      at: iso(q.timestampMs),
    }))
    // the arrival quote is journaled: it is there even when the tape is not
    const arrivalAt = arrival ? iso(arrival.timestampMs) : null
    if (arrival && !quotes.some((q) => q.at === arrivalAt))
      quotes.push({
        bid: priceText(arrival.bid),
        ask: priceText(arrival.ask),
        mid: priceText(arrival.mid),
        at: arrivalAt!,
      })
    quotes.sort((a, b) => a.at.localeCompare(b.at))
    return { quotes, complete: tape.complete }
  })

  on(ROUTES.report, async (req): Promise<Out<typeof Report>> => {
    const query = parsed(ReportQuery, req.query, '(query)')
    const now = new Date(manager.now())
    const text = query.since
    const since = text === undefined || text === '' ? null : parseSince(text, now)
    if (since === null && text !== undefined && text !== '')
      throw new ServiceError('SERVICE_INVALID_REQUEST', 'Invalid request', {
        issues: [{ path: 'since', message: 'expected a duration (30m, 24h, 7d) or an ISO-8601 date or time' }],
      })
    const symbol = query.symbol ?? null
    const inputs = await loadReportInputs(options.queries, {
      since,
      ...(symbol ? { symbol } : {}),
      maxExecutions: REPORT_MAX_EXECUTIONS,
    })
    return reportView(inputs, now, since, symbol)
  })
}
