import { z } from 'zod'
import { SERVICE_ERRORS, type ServiceErrorCode } from '../errors.js'
import { API_ROUTES, routeErrors, type ApiRoute, type RouteAnswer } from './routes.js'
import { apiDocs, ErrorBody, EVENT_TYPES, requestComponents, responseComponents } from './schemas.js'

type Json = Record<string, unknown>

const componentRef = (id: string): string => `#/components/schemas/${id}`

const CONVERSION = { target: 'draft-2020-12', metadata: apiDocs, unrepresentable: 'throw', cycles: 'throw' } as const

/** The registered request (input side) and response (output side) schemas as OpenAPI components. */
function componentSchemas(): Record<string, Json> {
  const out: Record<string, Json> = {}
  for (const [registry, io] of [
    [requestComponents, 'input'],
    [responseComponents, 'output'],
  ] as const) {
    const { schemas } = z.toJSONSchema(registry, { ...CONVERSION, io, uri: componentRef })
    for (const [id, schema] of Object.entries(schemas)) {
      // a schema used twice without an id would land in `__shared`: give it an id instead
      if (id in out || id === '__shared') throw new Error(`OpenAPI: component ${id} is defined twice or has no id`)
      const { $schema: _dialect, $id: _id, ...body } = schema as Json
      out[id] = body
    }
  }
  return out
}

/** The `$ref` of a schema registered as a component (every body and answer is one). */
function refTo(schema: z.ZodType): Json {
  const id = requestComponents.get(schema)?.id ?? responseComponents.get(schema)?.id
  if (id === undefined) throw new Error('OpenAPI: a request or response body schema is not a registered component')
  return { $ref: componentRef(id) }
}

/** An inline schema (a parameter's), without the dialect marker. */
function inline(schema: z.ZodType): Json {
  const { $schema: _dialect, ...body } = z.toJSONSchema(schema, { ...CONVERSION, io: 'input' }) as Json
  return body
}

/** `last-event-id` → `Last-Event-ID`: header names as they are usually written (HTTP compares them case-insensitively). */
const headerName = (name: string): string =>
  name
    .split('-')
    .map((w) => (w === 'id' ? 'ID' : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('-')

function parameters(route: ApiRoute): Json[] {
  const parts = [
    ['path', route.params],
    ['query', route.query],
    ['header', route.headers],
  ] as const
  return parts.flatMap(([where, object]) =>
    object === undefined
      ? []
      : Object.entries(object.shape as Record<string, z.ZodType>).map(([name, schema]) => {
          const { description, ...body } = inline(schema)
          return {
            name: where === 'header' ? headerName(name) : name,
            in: where,
            required: where === 'path' || !schema.safeParse(undefined).success,
            ...(typeof description === 'string' ? { description } : {}),
            schema: body,
          }
        }),
  )
}

const RETRY_AFTER = {
  'Retry-After': {
    description: 'When to try again, seconds (a full queue, an unwritable store or venue, too many streams)',
    schema: { type: 'integer', minimum: 0 },
  },
}

function answerContent(answer: RouteAnswer): Json {
  if ('json' in answer) return { 'application/json': { schema: refTo(answer.json) } }
  if ('text' in answer) return { [answer.text]: { schema: { type: 'string' } } }
  // Server-Sent Events: described the way OpenAPI 3.2's `itemSchema` does, as an extension for 3.1 readers
  return {
    'text/event-stream': {
      schema: {
        type: 'string',
        description: 'Server-Sent Events (text/event-stream); each event is described by x-itemSchema',
      },
      'x-itemSchema': {
        type: 'object',
        required: ['id', 'event', 'data'],
        properties: {
          id: { type: 'string', description: 'The event id; send it back as Last-Event-ID to resume after it' },
          event: { type: 'string', enum: [...EVENT_TYPES] },
          data: {
            type: 'string',
            contentMediaType: 'application/json',
            contentSchema: refTo(answer.events),
          },
        },
      },
    },
  }
}

/** The route's answers by status: its own, then its errors grouped by the status each code maps to. */
function responses(route: ApiRoute, withContent: boolean): Json {
  const out: Record<string, Json> = {}
  for (const [status, answer] of Object.entries(route.answers)) {
    out[status] = { description: answer.description, ...(withContent ? { content: answerContent(answer) } : {}) }
  }
  const byStatus = new Map<number, ServiceErrorCode[]>()
  for (const code of routeErrors(route)) {
    const status = (SERVICE_ERRORS[code] as { readonly status?: number }).status
    if (status === undefined) throw new Error(`OpenAPI: ${code} is not an answer to a request`)
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    if (String(status) in out)
      throw new Error(`OpenAPI: ${route.operationId} answers ${status} both with a body and an error`)
    out[String(status)] = {
      description: codes.map((c) => `\`${c}\`: ${SERVICE_ERRORS[c].message}`).join('; '),
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      ...(withContent
        ? {
            content: {
              'application/json': {
                // the error body, narrowed to the codes this route answers with this status
                schema: { ...refTo(ErrorBody), type: 'object', properties: { error: { enum: codes } } },
              },
            },
          }
        : {}),
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => Number(a) - Number(b)))
}

function operation(route: ApiRoute, head: boolean): Json {
  const params = parameters(route)
  return {
    operationId: head ? `${route.operationId}Head` : route.operationId,
    summary: head ? `${route.summary} (headers only)` : route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(route.public ? { security: [] } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: refTo(route.body) } } } }
      : {}),
    responses: responses(route, !head),
  }
}

/** `/v1/orders/:id` → `/v1/orders/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

const DESCRIPTION = `The acx placement service: order intents executed on the Almgren–Chriss model (or TWAP, walk-the-book, market), followed as they run.

Conventions, everywhere: times are ISO-8601 UTC with milliseconds (\`2026-01-02T14:30:00.000Z\`); prices and quantities are decimal strings (no exponent; prices at the instrument's precision: 4 decimals at $1 and above, 6 below); costs are in basis points of arrival notional, positive = a cost to the trader.

Requests: bodies are JSON (\`application/json\`, any charset; anything else is 415), at most ACX_BODY_LIMIT_BYTES (413), parsed strictly (a duplicate key, a number a double cannot hold exactly, trailing garbage: 400); headers at most 16 KB (431). Every error answer has the \`Error\` body — the framework's own (an unknown route: 404 \`SERVICE_ROUTE_NOT_FOUND\`; a malformed request: 400) included.

Authentication: with ACX_API_TOKEN set, every route but the public ones (\`security: []\`) requires \`Authorization: Bearer <token>\`, and so does any path no route matches; without it everything is open.`

/**
 * The OpenAPI 3.1 description of the HTTP API, generated from the route table and the schemas the server
 * parses with and its views are typed by. Each GET route also answers HEAD (the same status and headers).
 */
export function buildOpenApiDocument(): Json {
  const paths: Record<string, Record<string, Json>> = {}
  for (const route of API_ROUTES) {
    const item = (paths[openApiPath(route.url)] ??= {})
    item[route.method.toLowerCase()] = operation(route, false)
    if (route.method === 'GET') item.head = operation(route, true)
  }
  return {
    openapi: '3.1.0',
    info: { title: 'acx placement service', version: '1', description: DESCRIPTION },
    tags: [
      { name: 'orders', description: 'Submit, preview, follow and cancel executions' },
      { name: 'events', description: 'Server-Sent Event streams of execution journals' },
      { name: 'admin', description: 'The kill switch' },
      { name: 'operations', description: 'Probes, metrics and this document' },
    ],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'The value of ACX_API_TOKEN; required only when it is set',
        },
      },
    },
  }
}
