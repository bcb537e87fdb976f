/**
 * A fake Alpaca on 127.0.0.1 (random port): real HTTP (node:http) for the trading and market-data REST
 * APIs and a real WebSocket (ws) for the trade_updates stream, speaking Alpaca's wire shapes (the
 * payloads in ./fixtures are its templates). Knobs and scripted faults reproduce what the adapter
 * has to survive: partial fills, orders held in pending_cancel, fills racing a cancel, 429 with reset
 * headers, 5xx, slow answers, a POST whose response is dropped after the order was created, auth
 * failures and duplicate client order ids.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Dec, isOnTick } from '@acx/engine'
import type { Decimal } from 'decimal.js'
import { WebSocketServer, type WebSocket } from 'ws'
import { readAlpacaFixture } from './fixtures.js'

const fixture = (name: string): Record<string, unknown> => readAlpacaFixture<{ payload: Record<string, unknown> }>(name).payload

const ORDER_TEMPLATE = fixture('order')
const ASSET_TEMPLATE = fixture('asset')
const POSITION_TEMPLATE = fixture('position')
const ACCOUNT_TEMPLATE = fixture('account')

export const FAKE_KEY_ID = 'PKFAKEKEYID0000000001'
export const FAKE_SECRET_KEY = 'fakeSecretKey/ShouldNeverBeLogged+0000000000'

export interface FakeQuote {
  readonly bid: string
  readonly ask: string
  readonly bidSize?: string
  readonly askSize?: string
  /** Quote time (epoch ms); default: now at each request. */
  readonly tMs?: number
}

export interface FakeAsset {
  readonly tradable?: boolean
  readonly fractionable?: boolean
  readonly status?: 'active' | 'inactive'
}

export interface FakeAlpacaOptions {
  readonly keyId?: string
  readonly secretKey?: string
  /** Clock of every timestamp the server writes (orders, quotes). Default `Date.now`. */
  readonly now?: () => number
  readonly buyingPower?: string
  readonly assets?: Readonly<Record<string, FakeAsset>>
  readonly quotes?: Readonly<Record<string, FakeQuote>>
  /** Long positions by symbol. */
  readonly positions?: Readonly<Record<string, string>>
}

export interface FakeKnobs {
  /** Market orders and marketable limits fill at once at the touch. Default true. */
  fillMarketable: boolean
  /** Fraction of a new resting limit order that fills at once, at its limit price. Default 0. */
  restingFillRatio: number
  /** Number of order GETs that still see `pending_cancel` after a cancel request. Default 0 (cancel at once). */
  pendingCancelPolls: number
  /** Fraction of the leaves that fills (at the limit) between the cancel request and its confirmation. Default 0. */
  fillOnCancelRatio: number
  /** Every request and stream auth is refused (401 / unauthorized). Default false. */
  rejectAuth: boolean
  /** Trade updates are sent on the stream. Default true. */
  streamUpdates: boolean
  /** Delay of every REST answer, ms. Default 0. */
  latencyMs: number
  /** Answer for an unknown symbol's latest quote: 404, or 200 with Go's zero time. Default 404. */
  unknownQuote: '404' | 'zero'
}

export type FakeFault =
  /** Answer with this status and body; nothing is processed. */
  | { readonly kind: 'status'; readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  /** 429 with X-RateLimit-Limit/Remaining/Reset (reset `resetInMs` from now, in unix seconds, rounded up). */
  | { readonly kind: 'rate_limit'; readonly resetInMs: number }
  /** Process the request (e.g. create the order), then answer with this status anyway. */
  | { readonly kind: 'status_after_process'; readonly status: number }
  /** Close the socket without an answer; `process` says whether the request took effect first. */
  | { readonly kind: 'drop'; readonly process: boolean }
  /** Answer after `ms`; `process` before the wait (the order exists meanwhile) or never. */
  | { readonly kind: 'delay'; readonly ms: number; readonly process: 'before' | 'never' }
  /** A 200 whose body is not JSON. */
  | { readonly kind: 'garbage'; readonly process: boolean }

export interface FakeRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly rawBody: string
  readonly body: unknown
  readonly headers: IncomingMessage['headers']
  /** Orders not yet filled, canceled, expired or rejected when the request arrived. */
  readonly openOrders: number
}

export interface FakeFill {
  readonly orderId: string
  readonly clientOrderId: string
  readonly qty: Decimal
  readonly price: Decimal
  readonly afterCancelRequest: boolean
}

interface FakeOrder {
  readonly id: string
  readonly clientOrderId: string
  readonly symbol: string
  readonly side: 'buy' | 'sell'
  readonly type: 'market' | 'limit'
  readonly qty: Decimal
  readonly limitPrice: Decimal | null
  status: string
  filledQty: Decimal
  notional: Decimal
  readonly createdAtMs: number
  updatedAtMs: number
  pendingCancelPollsLeft: number
  cancelRequested: boolean
}

export interface FakeAlpacaServer {
  readonly tradingBaseUrl: string
  readonly dataBaseUrl: string
  readonly streamUrl: string
  readonly keyId: string
  readonly secretKey: string
  readonly knobs: FakeKnobs
  /** Every REST request received, in order. */
  readonly requests: FakeRequest[]
  /** Every fill, in order. */
  readonly fills: FakeFill[]
  /** Queues a fault for the next `times` requests matching `method` and the path (prefix string or RegExp). */
  inject(match: { readonly method?: string; readonly path?: string | RegExp }, fault: FakeFault, times?: number): void
  /** Drops every fault not yet used. */
  clearFaults(): void
  setQuote(symbol: string, quote: FakeQuote): void
  setAsset(symbol: string, asset: FakeAsset): void
  setPosition(symbol: string, qty: string): void
  setBuyingPower(value: string): void
  /** Creates an order directly (as if sent earlier), returning its id. */
  seedOrder(order: { clientOrderId: string; symbol: string; side: 'buy' | 'sell'; type: 'market' | 'limit'; qty: string; limitPrice?: string }): string
  /** Fills `qty` of an open order at `price` (default its limit, else the touch). */
  fill(orderId: string, qty: string, price?: string): void
  /** Wire view of an order, or undefined. */
  order(id: string): Record<string, unknown> | undefined
  orders(): Record<string, unknown>[]
  positionQty(symbol: string): Decimal
  /** Requests of one method/path prefix. */
  count(method: string, pathPrefix: string): number
  /** Connected, authenticated, listening stream clients. */
  streamListeners(): number
  /** Stream connections accepted so far. */
  streamConnections(): number
  /** Terminates every stream connection (the client should reconnect). */
  dropStreamConnections(): void
  close(): Promise<void>
}

const DEFAULT_KNOBS: FakeKnobs = {
  fillMarketable: true,
  restingFillRatio: 0,
  pendingCancelPolls: 0,
  fillOnCancelRatio: 0,
  rejectAuth: false,
  streamUpdates: true,
  latencyMs: 0,
  unknownQuote: '404',
}

const TERMINAL = new Set(['filled', 'canceled', 'expired', 'rejected', 'done_for_day', 'replaced'])
const DECIMAL = /^\d+(\.\d+)?$/

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '123Z') // microsecond-style precision, as Alpaca

export async function startFakeAlpaca(options: FakeAlpacaOptions = {}): Promise<FakeAlpacaServer> {
  const keyId = options.keyId ?? FAKE_KEY_ID
  const secretKey = options.secretKey ?? FAKE_SECRET_KEY
  const now = options.now ?? Date.now
  const knobs: FakeKnobs = { ...DEFAULT_KNOBS }
  const requests: FakeRequest[] = []
  const fills: FakeFill[] = []
  const faults: { method?: string; path?: string | RegExp; fault: FakeFault; left: number }[] = []
  const quotes = new Map<string, FakeQuote>(Object.entries(options.quotes ?? {}))
  const assets = new Map<string, FakeAsset>(Object.entries(options.assets ?? {}))
  const positions = new Map<string, Decimal>(Object.entries(options.positions ?? {}).map(([s, q]) => [s, new Dec(q)]))
  let buyingPower = new Dec(options.buyingPower ?? '1000000')
  const orders = new Map<string, FakeOrder>()
  const byClientId = new Map<string, FakeOrder>()
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const listeners = new Set<WebSocket>()
  let connections = 0

  // ---- market ---------------------------------------------------------------------------------------

  const touch = (symbol: string): { bid: Decimal; ask: Decimal } | undefined => {
    const q = quotes.get(symbol)
    return q ? { bid: new Dec(q.bid), ask: new Dec(q.ask) } : undefined
  }

  const wire = (o: FakeOrder): Record<string, unknown> => ({
    ...ORDER_TEMPLATE,
    id: o.id,
    client_order_id: o.clientOrderId,
    created_at: iso(o.createdAtMs),
    updated_at: iso(o.updatedAtMs),
    submitted_at: iso(o.createdAtMs),
    filled_at: o.status === 'filled' ? iso(o.updatedAtMs) : null,
    canceled_at: o.status === 'canceled' ? iso(o.updatedAtMs) : null,
    asset_id: `asset-${o.symbol}`,
    symbol: o.symbol,
    notional: null,
    qty: o.qty.toFixed(),
    filled_qty: o.filledQty.toFixed(),
    filled_avg_price: o.filledQty.gt(0) ? o.notional.div(o.filledQty).toFixed() : null,
    order_type: o.type,
    type: o.type,
    side: o.side,
    time_in_force: 'day',
    limit_price: o.limitPrice?.toFixed() ?? null,
    status: o.status,
  })

  const emit = (event: string, o: FakeOrder, extra: Record<string, unknown> = {}): void => {
    if (!knobs.streamUpdates) return
    const frame = JSON.stringify({
      stream: 'trade_updates',
      data: { event, timestamp: iso(now()), order: wire(o), ...extra },
    })
    // Alpaca's trading stream sends binary frames.
    for (const ws of listeners) ws.send(Buffer.from(frame), { binary: true })
  }

  const book = (o: FakeOrder, qty: Decimal, price: Decimal): void => {
    if (!qty.gt(0)) return
    const q = Dec.min(qty, o.qty.sub(o.filledQty))
    o.filledQty = o.filledQty.add(q)
    o.notional = o.notional.add(q.mul(price))
    o.updatedAtMs = now()
    if (o.filledQty.eq(o.qty)) o.status = 'filled'
    else if (o.status !== 'pending_cancel') o.status = 'partially_filled'
    const signed = o.side === 'buy' ? q : q.neg()
    positions.set(o.symbol, (positions.get(o.symbol) ?? new Dec(0)).add(signed))
    buyingPower = buyingPower.sub(signed.mul(price))
    fills.push({ orderId: o.id, clientOrderId: o.clientOrderId, qty: q, price, afterCancelRequest: o.cancelRequested })
    emit(o.status === 'filled' ? 'fill' : 'partial_fill', o, {
      execution_id: randomUUID(),
      price: price.toFixed(),
      qty: q.toFixed(),
      position_qty: (positions.get(o.symbol) as Decimal).toFixed(),
    })
  }

  const lot = (o: FakeOrder, qty: Decimal): Decimal => {
    const fractionable = assets.get(o.symbol)?.fractionable ?? false
    return fractionable ? qty.toDecimalPlaces(9, 1) : qty.floor()
  }

  const finalizeCancel = (o: FakeOrder): void => {
    if (o.status !== 'pending_cancel') return
    if (knobs.fillOnCancelRatio > 0 && o.limitPrice) {
      const leaves = o.qty.sub(o.filledQty)
      book(o, Dec.max(lot(o, leaves.mul(knobs.fillOnCancelRatio)), Dec.min(leaves, 1)), o.limitPrice)
    }
    if ((o.status as string) === 'filled') return // book() may have completed it
    o.status = 'canceled'
    o.updatedAtMs = now()
    emit('canceled', o)
  }

  const openSellLeaves = (symbol: string): Decimal => {
    let sum = new Dec(0)
    for (const o of orders.values()) if (o.symbol === symbol && o.side === 'sell' && !TERMINAL.has(o.status)) sum = sum.add(o.qty.sub(o.filledQty))
    return sum
  }

  const createOrder = (body: unknown): FakeOrder => {
    if (typeof body !== 'object' || body === null) throw new HttpError(400, 40010000, 'request body format is invalid')
    const b = body as Record<string, unknown>
    for (const k of ['qty', 'limit_price', 'notional']) {
      if (b[k] !== undefined && typeof b[k] !== 'string') {
        // Alpaca takes numbers too; this fake insists on strings, as the adapter must send them.
        throw new HttpError(422, 40010001, `${k} must be a decimal string (fake server strictness)`)
      }
    }
    const symbol = String(b['symbol'] ?? '')
    const clientOrderId = String(b['client_order_id'] ?? randomUUID())
    if (clientOrderId.length > 128) throw new HttpError(422, 40010001, 'client_order_id must be no more than 128 characters')
    if (byClientId.has(clientOrderId)) throw new HttpError(422, 40010001, 'client_order_id must be unique')
    const side = b['side']
    const type = b['type']
    if (side !== 'buy' && side !== 'sell') throw new HttpError(422, 40010001, 'side must be buy or sell')
    if (type !== 'market' && type !== 'limit') throw new HttpError(422, 40010001, 'type must be market or limit in this fake')
    if (b['time_in_force'] !== 'day') throw new HttpError(422, 40010001, 'time_in_force must be day in this fake')
    const asset = assets.get(symbol)
    if (!asset) throw new HttpError(422, 40010001, `asset ${symbol} not found`)
    if (!(asset.tradable ?? true) || asset.status === 'inactive') throw new HttpError(422, 42210000, `asset ${symbol} is not tradable`)
    if (typeof b['qty'] !== 'string' || !DECIMAL.test(b['qty']) || !new Dec(b['qty']).gt(0)) throw new HttpError(422, 40010001, 'qty must be > 0')
    const qty = new Dec(b['qty'])
    if (!qty.isInteger() && !(asset.fractionable ?? false)) throw new HttpError(422, 42210000, `asset ${symbol} is not fractionable`)
    let limitPrice: Decimal | null = null
    if (type === 'limit') {
      if (typeof b['limit_price'] !== 'string' || !DECIMAL.test(b['limit_price'])) throw new HttpError(422, 40010001, 'limit_price is required')
      limitPrice = new Dec(b['limit_price'])
      if (!isOnTick(limitPrice)) {
        throw new HttpError(422, 42210000, `invalid limit_price ${b['limit_price']}. sub-penny increment does not fulfill minimum pricing criteria`)
      }
    }
    const t = touch(symbol)
    if (side === 'buy') {
      const px = limitPrice ?? t?.ask
      if (px && px.mul(qty).gt(buyingPower)) throw new HttpError(403, 40310000, 'insufficient buying power')
    } else {
      const available = (positions.get(symbol) ?? new Dec(0)).sub(openSellLeaves(symbol))
      if (available.lt(qty)) throw new HttpError(403, 40310000, `insufficient qty available for order (requested: ${qty.toFixed()}, available: ${available.toFixed()})`)
    }
    const at = now()
    const o: FakeOrder = {
      id: randomUUID(),
      clientOrderId,
      symbol,
      side,
      type,
      qty,
      limitPrice,
      status: 'new',
      filledQty: new Dec(0),
      notional: new Dec(0),
      createdAtMs: at,
      updatedAtMs: at,
      pendingCancelPollsLeft: 0,
      cancelRequested: false,
    }
    orders.set(o.id, o)
    byClientId.set(clientOrderId, o)
    emit('new', o)
    if (t && knobs.fillMarketable) {
      const far = side === 'buy' ? t.ask : t.bid
      if (type === 'market') book(o, qty, far)
      else if (limitPrice && (side === 'buy' ? limitPrice.gte(t.ask) : limitPrice.lte(t.bid))) book(o, qty, far)
    }
    if (type === 'limit' && o.status === 'new' && knobs.restingFillRatio > 0 && limitPrice) {
      book(o, lot(o, qty.mul(knobs.restingFillRatio)), limitPrice)
    }
    return o
  }

  const cancel = (id: string): void => {
    const o = orders.get(id)
    if (!o) throw new HttpError(404, 40410000, 'order not found')
    if (TERMINAL.has(o.status)) throw new HttpError(422, 42210000, 'order is not cancelable')
    if (o.status === 'pending_cancel') return
    o.cancelRequested = true
    o.status = 'pending_cancel'
    o.updatedAtMs = now()
    o.pendingCancelPollsLeft = knobs.pendingCancelPolls
    emit('pending_cancel', o)
    if (o.pendingCancelPollsLeft <= 0) {
      const timer = setTimeout(() => {
        timers.delete(timer)
        finalizeCancel(o)
      }, 0)
      timers.add(timer)
    }
  }

  const readOrder = (o: FakeOrder): Record<string, unknown> => {
    if (o.status === 'pending_cancel' && o.pendingCancelPollsLeft > 0) {
      o.pendingCancelPollsLeft--
      const snapshot = wire(o)
      if (o.pendingCancelPollsLeft === 0) finalizeCancel(o)
      return snapshot
    }
    return wire(o)
  }

  // ---- HTTP -------------------------------------------------------------------------------------------

  type Handler = (req: FakeRequest) => { status: number; body?: unknown }

  const routes: { method: string; pattern: RegExp; handler: (req: FakeRequest, m: RegExpExecArray) => { status: number; body?: unknown } }[] = [
    { method: 'POST', pattern: /^\/v2\/orders$/, handler: (req) => ({ status: 200, body: wire(createOrder(req.body)) }) },
    {
      method: 'GET',
      pattern: /^\/v2\/orders:by_client_order_id$/,
      handler: (req) => {
        const o = byClientId.get(req.query['client_order_id'] ?? '')
        if (!o) throw new HttpError(404, 40410000, 'order not found')
        return { status: 200, body: readOrder(o) }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/orders\/([^/]+)$/,
      handler: (_req, m) => {
        const o = orders.get(decodeURIComponent(m[1] as string))
        if (!o) throw new HttpError(404, 40410000, 'order not found')
        return { status: 200, body: readOrder(o) }
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/v2\/orders\/([^/]+)$/,
      handler: (_req, m) => {
        cancel(decodeURIComponent(m[1] as string))
        return { status: 204 }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/positions\/([^/]+)$/,
      handler: (_req, m) => {
        const symbol = decodeURIComponent(m[1] as string)
        const qty = positions.get(symbol)
        if (!qty || qty.isZero()) throw new HttpError(404, 40410000, 'position does not exist')
        return {
          status: 200,
          body: {
            ...POSITION_TEMPLATE,
            symbol,
            qty: qty.toFixed(),
            qty_available: qty.sub(openSellLeaves(symbol)).toFixed(),
            side: qty.lt(0) ? 'short' : 'long',
          },
        }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/account$/,
      handler: () => ({ status: 200, body: { ...ACCOUNT_TEMPLATE, buying_power: buyingPower.toFixed(2) } }),
    },
    {
      method: 'GET',
      pattern: /^\/v2\/assets\/([^/]+)$/,
      handler: (_req, m) => {
        const symbol = decodeURIComponent(m[1] as string)
        const a = assets.get(symbol)
        if (!a) throw new HttpError(404, 40410000, 'asset not found')
        return {
          status: 200,
          body: { ...ASSET_TEMPLATE, symbol, status: a.status ?? 'active', tradable: a.tradable ?? true, fractionable: a.fractionable ?? false },
        }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v2\/stocks\/([^/]+)\/quotes\/latest$/,
      handler: (_req, m) => {
        const symbol = decodeURIComponent(m[1] as string)
        const q = quotes.get(symbol)
        if (!q) {
          if (knobs.unknownQuote === '404') throw new HttpError(404, 40410000, 'not found')
          return { status: 200, body: { symbol, quote: { t: '0001-01-01T00:00:00Z', ax: '', ap: 0, as: 0, bx: '', bp: 0, bs: 0, c: null, z: '' } } }
        }
        return {
          status: 200,
          body: {
            symbol,
            quote: {
              t: new Date(q.tMs ?? now()).toISOString().replace('Z', '055031Z'),
              ax: 'V',
              ap: Number(q.ask),
              as: Number(q.askSize ?? '3'),
              bx: 'V',
              bp: Number(q.bid),
              bs: Number(q.bidSize ?? '2'),
              c: ['R'],
              z: 'C',
            },
          },
        }
      },
    },
  ]

  const takeFault = (method: string, path: string): FakeFault | undefined => {
    const i = faults.findIndex(
      (f) =>
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? path.startsWith(f.path) : f.path.test(path))),
    )
    if (i < 0) return undefined
    const f = faults[i] as (typeof faults)[number]
    if (--f.left <= 0) faults.splice(i, 1)
    return f.fault
  }

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    if (res.destroyed) return
    if (status === 204 || body === undefined) {
      res.writeHead(status, headers).end()
      return
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'x-request-id': randomUUID(), ...headers }).end(text)
  }

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const rawBody = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://fake')
    const method = req.method ?? 'GET'
    let body: unknown = undefined
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody)
      } catch {
        body = rawBody
      }
    }
    const openOrders = [...orders.values()].filter((o) => !TERMINAL.has(o.status)).length
    const request: FakeRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), rawBody, body, headers: req.headers, openOrders }
    requests.push(request)
    if (knobs.latencyMs > 0) await wait(knobs.latencyMs)

    const run: Handler = (r) => {
      if (knobs.rejectAuth || r.headers['apca-api-key-id'] !== keyId || r.headers['apca-api-secret-key'] !== secretKey) {
        throw new HttpError(401, 40110000, 'request is not authorized')
      }
      for (const route of routes) {
        if (route.method !== method) continue
        const m = route.pattern.exec(r.path)
        if (m) return route.handler(r, m)
      }
      throw new HttpError(404, 40410000, `no route ${method} ${r.path}`)
    }
    const process = (): { status: number; body?: unknown; headers?: Record<string, string> } => {
      try {
        return run(request)
      } catch (e) {
        if (e instanceof HttpError) return { status: e.status, body: { code: e.code, message: e.message } }
        return { status: 500, body: { code: 50010000, message: `fake server bug: ${(e as Error).message}` } }
      }
    }

    const fault = takeFault(method, url.pathname)
    switch (fault?.kind) {
      case undefined: {
        const out = process()
        return send(res, out.status, out.body, out.headers)
      }
      case 'status':
        return send(res, fault.status, fault.body ?? { code: fault.status * 100000 + 10000, message: `injected ${fault.status}` }, { ...fault.headers })
      case 'rate_limit': {
        const reset = Math.ceil((Date.now() + fault.resetInMs) / 1000)
        return send(res, 429, { code: 42910000, message: 'rate limit exceeded' }, {
          'x-ratelimit-limit': '200',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(reset),
        })
      }
      case 'status_after_process':
        process()
        return send(res, fault.status, { code: fault.status * 100000 + 10000, message: 'internal server error occurred' })
      case 'drop':
        if (fault.process) process()
        req.socket.destroy()
        return
      case 'delay': {
        const out = fault.process === 'before' ? process() : undefined
        await wait(fault.ms)
        if (!out) {
          req.socket.destroy()
          return
        }
        return send(res, out.status, out.body, out.headers)
      }
      case 'garbage':
        if (fault.process) process()
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>502 Bad Gateway</html>')
        return
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { code: 50010000, message: String(e) }))
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })

  // ---- WebSocket (trade_updates) -------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://fake').pathname !== '/stream') {
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  wss.on('connection', (ws: WebSocket) => {
    connections++
    let authed = false
    const reply = (msg: unknown): void => ws.send(Buffer.from(JSON.stringify(msg)), { binary: true })
    ws.on('message', (data) => {
      let msg: Record<string, unknown>
      try {
        msg = JSON.parse(data.toString()) as Record<string, unknown>
      } catch {
        reply({ stream: 'authorization', data: { status: 'unauthorized', action: 'authenticate' } })
        return
      }
      const d = (msg['data'] ?? {}) as Record<string, unknown>
      if (msg['action'] === 'auth' || msg['action'] === 'authenticate') {
        const k = msg['key'] ?? d['key_id']
        const s = msg['secret'] ?? d['secret_key']
        if (knobs.rejectAuth || k !== keyId || s !== secretKey) {
          reply({ stream: 'authorization', data: { status: 'unauthorized', action: 'authenticate' } })
          ws.close()
          return
        }
        authed = true
        reply({ stream: 'authorization', data: { status: 'authorized', action: 'authenticate' } })
      } else if (msg['action'] === 'listen') {
        if (!authed) {
          reply({ stream: 'authorization', data: { status: 'unauthorized', action: 'listen' } })
          return
        }
        const streams = Array.isArray(d['streams']) ? (d['streams'] as unknown[]) : []
        if (streams.includes('trade_updates')) listeners.add(ws)
        else listeners.delete(ws)
        reply({ stream: 'listening', data: { streams: streams.filter((s) => s === 'trade_updates') } })
      }
    })
    ws.on('close', () => listeners.delete(ws))
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`

  return {
    tradingBaseUrl: origin,
    dataBaseUrl: origin,
    streamUrl: `ws://127.0.0.1:${port}/stream`,
    keyId,
    secretKey,
    knobs,
    requests,
    fills,
    inject(match, fault, times = 1) {
      faults.push({ ...match, fault, left: times })
    },
    clearFaults() {
      faults.length = 0
    },
    setQuote: (symbol, q) => void quotes.set(symbol, q),
    setAsset: (symbol, a) => void assets.set(symbol, a),
    setPosition: (symbol, qty) => void positions.set(symbol, new Dec(qty)),
    setBuyingPower(value) {
      buyingPower = new Dec(value)
    },
    seedOrder(o) {
      return createOrder({
        client_order_id: o.clientOrderId,
        symbol: o.symbol,
        side: o.side,
        type: o.type,
        qty: o.qty,
        time_in_force: 'day',
        ...(o.limitPrice === undefined ? {} : { limit_price: o.limitPrice }),
      }).id
    },
    fill(orderId, qty, price) {
      const o = orders.get(orderId)
      if (!o) throw new Error(`no order ${orderId}`)
      const t = touch(o.symbol)
      const px = price ? new Dec(price) : (o.limitPrice ?? (o.side === 'buy' ? t?.ask : t?.bid))
      if (!px) throw new Error('no price to fill at')
      book(o, new Dec(qty), px)
    },
    order: (id) => {
      const o = orders.get(id)
      return o ? wire(o) : undefined
    },
    orders: () => [...orders.values()].map(wire),
    positionQty: (symbol) => positions.get(symbol) ?? new Dec(0),
    count: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    streamListeners: () => listeners.size,
    streamConnections: () => connections,
    dropStreamConnections() {
      for (const ws of wss.clients) ws.terminate()
    },
    async close() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
