/**
 * The DynamoDB store: the SQLite store's contract over one table, for several workers side by side.
 *
 * Single-table design (key attributes are strings; `pad(n)` is n zero-padded to 15 digits):
 *
 * | item | pk | sk | what |
 * |---|---|---|---|
 * | execution | `EX#<id>` | `EXECUTION` | the record, its lease, `started_at`/`arrival_mid` (runStart), GSI keys |
 * | correlation guard | `CID#<correlationId>` | `CORRELATION` | `execution_id` and a copy of the initial execution item |
 * | child order | `EX#<id>` | `CHILD#<clientOrderId>` | upserted on `child_order_created` / `child_order_status` |
 * | fill | `EX#<id>` | `FILL#<fillId>` | put with `attribute_not_exists(pk)`: once per fill id |
 * | journal entry | `EX#<id>` | `J#<pad(atMs)>#<writer>#<seq>` | every entry as JSON, by time then write order |
 * | kill switch | `CONTROL#halt` | `CONTROL` | present while trading is halted: `reason`, `since_ms` |
 * | write probe | `PROBE#<writer>` | `PROBE` | rewritten by each readiness probe |
 *
 * GSIs (projection ALL, eventually consistent), sorted by `gsiNsk = <pad(createdAt)>#<id>`: `byCreated`
 * (`gsi1pk = EXECUTIONS`), `bySymbol` (`gsi2pk = SYMBOL#<symbol>`), `byStatus` (`gsi3pk = STATUS#<status>`).
 * Only execution items carry GSI keys. Decimals are strings, times epoch-ms numbers.
 *
 * No transactions (dynalite, the local server of the tests, has none, and none are needed):
 * - Create: the correlation guard is put first with `attribute_not_exists(pk)`, so of two workers racing on
 *   one correlation id exactly one wins; the winner then puts the execution item. A creator that dies in
 *   between leaves the guard alone: the next create of that correlation id writes the execution item from
 *   the guard's copy (the identical item, so winner and repairer cannot disagree) and returns it with
 *   `created: false`; it is `queued` with no lease, so `orphaned()` reports it and a worker takes it over.
 * - Append: the projection (execution, child or fill item) and the journal item are written in parallel;
 *   the call returns once both are. Recovery reads the projections.
 * - Leases: conditional updates of the execution item
 *   (`attribute_not_exists(lease_owner) OR lease_owner = :me OR lease_expires_at <= :now`).
 *
 * Costs: a lease renewal or status change also writes the three GSIs (projection ALL keeps a list to one
 * query). `byCreated` has one partition key: fine for thousands of executions a day, a hot partition for
 * far more. `unfinished`/`orphaned` query two `byStatus` partitions, never scan. Items stay far below
 * DynamoDB's 400 KB (the largest is the execution item with its result JSON).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb'
import { randomBytes } from 'node:crypto'
import type { JournalEntry, OrderIntent } from '@acx/engine'
import {
  DYNAMO_INDEXES,
  DYNAMO_TTL_ATTRIBUTE,
  assertDynamoTableName,
  dynamoClientFor,
  type DynamoConnection,
} from './dynamoTable.js'
import type {
  ChildOrderRecord,
  ExecutionFilter,
  ExecutionRecord,
  ExecutionStore,
  FillRecord,
  HaltRecord,
  Json,
  ServiceExecutionStatus,
} from './executionStore.js'
import { FINAL_STATUSES, storedOrderStatus } from './executionStore.js'
import { ServiceError } from '../errors.js'

export interface DynamoStoreOptions extends DynamoConnection {
  readonly tableName: string
  /**
   * Items expire this many days after their last write (the table's TTL attribute, `expires_at`);
   * 0 or unset: never. Executions and their child orders, fills and journal are rewritten up to their
   * finish, so they go about this long after it (DynamoDB deletes within a few days of the time).
   */
  readonly retentionDays?: number
  /** Wall-clock epoch ms for the TTL stamps (DynamoDB's own clock decides when they pass); default Date.now. */
  readonly nowMs?: () => number
}

type Item = Record<string, unknown>

const EXECUTION_SK = 'EXECUTION'
const GUARD_SK = 'CORRELATION'
const exKey = (id: string) => ({ pk: `EX#${id}`, sk: EXECUTION_SK })
const guardKey = (correlationId: string) => ({ pk: `CID#${correlationId}`, sk: GUARD_SK })
const pad = (n: number): string => String(Math.max(0, Math.floor(n))).padStart(15, '0')
const createdKey = (createdAt: number, id: string) => `${pad(createdAt)}#${id}`

/** `#name` tokens in an expression, mapped to themselves (so reserved words such as `status` are safe). */
function names(...expressions: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of expressions) for (const m of e.matchAll(/#(\w+)/g)) out[m[0]] = m[1]!
  return out
}

const isConditionFailed = (err: unknown): boolean =>
  err instanceof ConditionalCheckFailedException ||
  (err instanceof Error && err.name === 'ConditionalCheckFailedException')

const json = (v: unknown): string => JSON.stringify(v)
const str = (v: { toString(): string } | undefined | null): string | null => (v == null ? null : v.toString())

const HALT_KEY = { pk: 'CONTROL#halt', sk: 'CONTROL' }

function executionItem(
  id: string,
  intent: OrderIntent,
  nowMs: number,
  referencePrice: string | null,
  notBefore: number | null,
): Item {
  const sk = createdKey(nowMs, id)
  const status: ServiceExecutionStatus = notBefore === null ? 'queued' : 'scheduled'
  return {
    ...exKey(id),
    kind: 'execution',
    id,
    correlation_id: intent.correlationId,
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity.toString(),
    urgency: intent.urgency,
    strategy: intent.strategy ?? null,
    status,
    not_before: notBefore,
    intent_json: json(intent),
    result_json: null,
    reference_price: referencePrice,
    resumes: 0,
    cancel_requested: false,
    created_at: nowMs,
    updated_at: nowMs,
    gsi1pk: 'EXECUTIONS',
    gsi1sk: sk,
    gsi2pk: `SYMBOL#${intent.symbol}`,
    gsi2sk: sk,
    gsi3pk: `STATUS#${status}`,
    gsi3sk: sk,
  }
}

const toExecution = (r: Item): ExecutionRecord => ({
  id: r.id as string,
  correlationId: r.correlation_id as string,
  symbol: r.symbol as string,
  side: r.side as 'BUY' | 'SELL',
  quantity: r.quantity as string,
  urgency: r.urgency as 'LOW' | 'MEDIUM' | 'HIGH',
  strategy: (r.strategy as string | null | undefined) ?? null,
  status: r.status as ServiceExecutionStatus,
  intent: JSON.parse(r.intent_json as string) as Json,
  result: r.result_json == null ? null : (JSON.parse(r.result_json as string) as Json),
  referencePrice: (r.reference_price as string | null | undefined) ?? null,
  notBefore: r.not_before == null ? null : Number(r.not_before),
  resumes: Number(r.resumes ?? 0),
  cancelRequested: r.cancel_requested === true,
  leaseOwner: (r.lease_owner as string | null | undefined) ?? null,
  leaseExpiresAt: r.lease_expires_at == null ? null : Number(r.lease_expires_at),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})

const toChild = (r: Item): ChildOrderRecord => ({
  clientOrderId: r.client_order_id as string,
  executionId: r.execution_id as string,
  brokerOrderId: (r.broker_order_id as string | null | undefined) ?? null,
  sliceIndex: Number(r.slice_index),
  attempt: Number(r.attempt),
  type: r.type as 'market' | 'limit',
  side: r.side as 'BUY' | 'SELL',
  qty: r.qty as string,
  limitPrice: (r.limit_price as string | null | undefined) ?? null,
  status: storedOrderStatus(r.status, r.client_order_id as string),
  filledQty: r.filled_qty as string,
  avgPx: r.avg_px as string,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
})

const toFill = (r: Item): FillRecord => ({
  fillId: r.fill_id as string,
  executionId: r.execution_id as string,
  clientOrderId: r.client_order_id as string,
  brokerOrderId: r.broker_order_id as string,
  qty: r.qty as string,
  price: r.price as string,
  tsEvent: Number(r.ts_event),
  tsInit: Number(r.ts_init),
})

const byCreatedThenId = (a: ExecutionRecord, b: ExecutionRecord) =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * The store over DynamoDB (see the table design above). Reads of single items are strongly
 * consistent; list queries go through GSIs and are eventually consistent (a just-created execution may
 * be missing from `listExecutions` for a moment).
 */
export function createDynamoStore(options: DynamoStoreOptions): ExecutionStore {
  assertDynamoTableName(options.tableName)
  const TableName = options.tableName
  const { client, owned } = dynamoClientFor(options)
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  })
  // orders journal items of one writer within one millisecond
  const writer = randomBytes(4).toString('hex')
  const retentionSeconds = Math.max(0, options.retentionDays ?? 0) * 86_400
  const nowMs = options.nowMs ?? Date.now
  /** The TTL stamp for an item written now (`{}` without retention). */
  const expiry = (): Item =>
    retentionSeconds > 0 ? { [DYNAMO_TTL_ATTRIBUTE]: Math.floor(nowMs() / 1000) + retentionSeconds } : {}
  /** `SET …` with the TTL stamp added (and its value), for updates of items that expire. */
  const withExpiry = (expression: string, values: Item): [string, Item] => {
    const stamp = expiry()
    if (!(DYNAMO_TTL_ATTRIBUTE in stamp) || !expression.startsWith('SET ')) return [expression, values]
    const name = `#${DYNAMO_TTL_ATTRIBUTE}`
    return [
      `SET ${name} = :${DYNAMO_TTL_ATTRIBUTE}, ${expression.slice(4)}`,
      { ...values, [`:${DYNAMO_TTL_ATTRIBUTE}`]: stamp[DYNAMO_TTL_ATTRIBUTE] },
    ]
  }
  let journalSeq = 0

  const get = async (key: Item): Promise<Item | null> =>
    ((await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))).Item as Item | undefined) ?? null

  /**
   * An update; by default only of an existing item (`condition: null` upserts). Resolves to false
   * (not a throw) when the condition fails; with `returnItem`, to the item as updated.
   */
  async function update(
    key: Item,
    expression: string,
    values: Item,
    {
      condition = 'attribute_exists(pk)',
      returnItem = false,
    }: { condition?: string | null; returnItem?: boolean } = {},
  ): Promise<Item | boolean> {
    ;[expression, values] = withExpiry(expression, values)
    try {
      const out = await doc.send(
        new UpdateCommand({
          TableName,
          Key: key,
          UpdateExpression: expression,
          ...(condition !== null ? { ConditionExpression: condition } : {}),
          ExpressionAttributeNames: names(expression, condition ?? ''),
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: returnItem ? 'ALL_NEW' : 'NONE',
        }),
      )
      return returnItem ? ((out.Attributes as Item | undefined) ?? {}) : true
    } catch (err) {
      if (isConditionFailed(err)) return false
      throw err
    }
  }

  async function putIfAbsent(item: Item): Promise<boolean> {
    try {
      await doc.send(
        new PutCommand({ TableName, Item: { ...item, ...expiry() }, ConditionExpression: 'attribute_not_exists(pk)' }),
      )
      return true
    } catch (err) {
      if (isConditionFailed(err)) return false
      throw err
    }
  }

  /** The items of a query, page after page, until `limit` items matched or the pages ran out. */
  async function query(input: Omit<QueryCommandInput, 'TableName'>, limit = Infinity): Promise<Item[]> {
    const items: Item[] = []
    let ExclusiveStartKey: Item | undefined
    do {
      const page = await doc.send(
        new QueryCommand({
          ...input,
          TableName,
          // pages of at most 1000: a huge limit (a report over everything) still pages
          ...(Number.isFinite(limit) ? { Limit: Math.min(Math.max(limit - items.length, 1), 1000) } : {}),
          ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
        }),
      )
      items.push(...((page.Items as Item[] | undefined) ?? []))
      ExclusiveStartKey = page.LastEvaluatedKey as Item | undefined
    } while (ExclusiveStartKey && items.length < limit)
    return items.slice(0, limit)
  }

  /** Executions in `queued` or `running`, oldest first, optionally filtered. */
  async function unfinishedWhere(
    filter?: { expression: string; values: Item },
    statuses: readonly { status: ServiceExecutionStatus; filter?: { expression: string; values: Item } }[] = [
      { status: 'queued' },
      { status: 'running' },
    ],
  ): Promise<ExecutionRecord[]> {
    const idx = DYNAMO_INDEXES.byStatus
    const pages = await Promise.all(
      statuses.map(({ status, filter: extra }) => {
        const key = `#${idx.pk} = :status`
        const expression = [filter?.expression, extra?.expression]
          .filter(Boolean)
          .map((e) => `(${e})`)
          .join(' AND ')
        return query({
          IndexName: idx.name,
          KeyConditionExpression: key,
          ExpressionAttributeNames: names(key, expression),
          ExpressionAttributeValues: { ':status': `STATUS#${status}`, ...filter?.values, ...extra?.values },
          ...(expression ? { FilterExpression: expression } : {}),
        })
      }),
    )
    return pages.flat().map(toExecution).sort(byCreatedThenId)
  }

  const setExecutionStatus = (id: string, status: ServiceExecutionStatus, extra: string, values: Item) =>
    update(exKey(id), `SET #status = :status, #gsi3pk = :gsi3pk, #updated_at = :now${extra}`, {
      ':status': status,
      ':gsi3pk': `STATUS#${status}`,
      ...values,
    })

  /** The projection of one journal entry (as the SQLite store's). */
  async function project(entry: JournalEntry): Promise<void> {
    const id: string = entry.executionId
    switch (entry.type) {
      case 'execution_started':
        // a fresh (not resumed) start begins the run chain runStart reads: an execution stopped before it
        // sent anything (the market was closed) and scheduled again starts from scratch
        await setExecutionStatus(
          id,
          'running',
          entry.resumed
            ? ', #strategy = :strategy, #started_at = if_not_exists(#started_at, :now)'
            : ', #strategy = :strategy, #started_at = :now REMOVE #arrival_mid',
          { ':strategy': entry.strategy, ':now': entry.atMs },
        )
        return
      case 'arrival_quote':
        // runStart reads the first arrival's mid; a first arrival without a quote stays null
        await update(exKey(id), 'SET #arrival_mid = if_not_exists(#arrival_mid, :mid)', {
          ':mid': entry.quote ? entry.quote.mid.toString() : null,
        })
        return
      case 'child_order_created':
      case 'child_order_status': {
        const o = entry.order
        const expression =
          'SET #broker_order_id = :broker_order_id, #status = :status, #filled_qty = :filled_qty, #avg_px = :avg_px, ' +
          '#updated_at = :updated_at, #kind = if_not_exists(#kind, :kind), ' +
          '#client_order_id = if_not_exists(#client_order_id, :client_order_id), ' +
          '#execution_id = if_not_exists(#execution_id, :execution_id), ' +
          '#slice_index = if_not_exists(#slice_index, :slice_index), #attempt = if_not_exists(#attempt, :attempt), ' +
          '#type = if_not_exists(#type, :type), #side = if_not_exists(#side, :side), #qty = if_not_exists(#qty, :qty), ' +
          '#limit_price = if_not_exists(#limit_price, :limit_price), #created_at = if_not_exists(#created_at, :created_at)'
        await update(
          { pk: `EX#${id}`, sk: `CHILD#${o.clientOrderId}` },
          expression,
          {
            ':broker_order_id': o.brokerOrderId ?? null,
            ':status': o.status,
            ':filled_qty': o.filledQty.toString(),
            ':avg_px': o.avgPx.toString(),
            ':updated_at': o.updatedAt,
            ':kind': 'child_order',
            ':client_order_id': o.clientOrderId,
            ':execution_id': id,
            ':slice_index': o.sliceIndex,
            ':attempt': o.attempt,
            ':type': o.type,
            ':side': o.side,
            ':qty': o.qty.toString(),
            ':limit_price': str(o.limitPrice),
            ':created_at': o.createdAt,
          },
          { condition: null },
        )
        return
      }
      case 'fill': {
        const f = entry.fill
        // a fill id already stored is ignored
        await putIfAbsent({
          pk: `EX#${id}`,
          sk: `FILL#${f.fillId}`,
          kind: 'fill',
          fill_id: f.fillId,
          execution_id: id,
          client_order_id: f.clientOrderId,
          broker_order_id: f.brokerOrderId,
          qty: f.qty.toString(),
          price: f.price.toString(),
          ts_event: f.tsEvent,
          ts_init: f.tsInit,
        })
        return
      }
      case 'execution_finished': {
        await setExecutionStatus(id, entry.status, ', #result_json = :result', {
          ':result': json(entry.result),
          ':now': entry.atMs,
        })
        // the correlation guard expires with its execution, not with its creation
        const item = retentionSeconds > 0 ? await get(exKey(id)) : null
        if (item)
          await update(
            guardKey(String(item.correlation_id)),
            'SET #execution_id = :id',
            { ':id': id },
            {
              condition: '#execution_id = :id',
            },
          )
        return
      }
    }
  }

  async function journal(entry: JournalEntry): Promise<void> {
    journalSeq += 1
    await doc.send(
      new PutCommand({
        TableName,
        Item: {
          pk: `EX#${entry.executionId}`,
          sk: `J#${pad(entry.atMs)}#${writer}#${String(journalSeq).padStart(12, '0')}`,
          kind: 'journal',
          execution_id: entry.executionId,
          type: entry.type,
          at_ms: entry.atMs,
          entry_json: json(entry),
          ...expiry(),
        },
      }),
    )
  }

  async function getExecution(id: string): Promise<ExecutionRecord | null> {
    const item = await get(exKey(id))
    return item ? toExecution(item) : null
  }

  return {
    async append(entry) {
      await Promise.all([project(entry), journal(entry)])
    },

    async createExecution({ id, intent, nowMs, referencePrice, notBefore }) {
      const item = executionItem(id, intent, nowMs, referencePrice ?? null, notBefore ?? null)
      const guard = { ...guardKey(intent.correlationId), kind: 'correlation', execution_id: id, execution: item }
      if (await putIfAbsent(guard)) {
        if (await putIfAbsent(item)) return { record: toExecution(item), created: true }
        // someone repaired it from our guard (identical item), or the id was taken by another execution
        const existing = await get(exKey(id))
        if (existing && existing.correlation_id === intent.correlationId)
          return { record: toExecution(existing), created: true }
        await doc
          .send(
            new DeleteCommand({
              TableName,
              Key: guardKey(intent.correlationId),
              ConditionExpression: '#execution_id = :id',
              ExpressionAttributeNames: names('#execution_id'),
              ExpressionAttributeValues: { ':id': id },
            }),
          )
          .catch(() => {})
        throw new ServiceError('SERVICE_STORE_CORRUPT', `execution id ${id} is already used by another correlation id`)
      }
      // the correlation id is taken: return its execution, writing it from the guard if its creator died
      const stored = await get(guardKey(intent.correlationId))
      if (!stored)
        throw new ServiceError(
          'SERVICE_STORE_UNAVAILABLE',
          `correlation guard for ${intent.correlationId} vanished (retry)`,
        )
      const existingId = stored.execution_id as string
      if (existingId === id) {
        // our own guard: the SDK retried a put whose first attempt had landed (the same id is never reused)
        await putIfAbsent(stored.execution as Item)
        const mine = await get(exKey(id))
        if (mine) return { record: toExecution(mine), created: true }
      }
      let existing = await get(exKey(existingId))
      if (!existing) {
        await putIfAbsent(stored.execution as Item)
        existing = await get(exKey(existingId))
      }
      if (!existing)
        throw new ServiceError(
          'SERVICE_STORE_CORRUPT',
          `execution ${existingId} for correlation id ${intent.correlationId} is missing`,
        )
      return { record: toExecution(existing), created: false }
    },

    getExecution,

    async getExecutionByCorrelationId(correlationId) {
      const guard = await get(guardKey(correlationId))
      if (!guard) return null
      const item = await get(exKey(guard.execution_id as string))
      return item && item.correlation_id === correlationId ? toExecution(item) : null
    },

    async listExecutions(filter: ExecutionFilter = {}) {
      const limit = filter.limit === undefined ? 50 : filter.limit < 0 ? Infinity : Math.floor(filter.limit)
      if (limit === 0) return []
      const idx =
        filter.status !== undefined
          ? DYNAMO_INDEXES.byStatus
          : filter.symbol !== undefined
            ? DYNAMO_INDEXES.bySymbol
            : DYNAMO_INDEXES.byCreated
      const pk =
        filter.status !== undefined
          ? `STATUS#${filter.status}`
          : filter.symbol !== undefined
            ? `SYMBOL#${filter.symbol}`
            : 'EXECUTIONS'
      const values: Item = { ':pk': pk }
      const filters: string[] = []
      let range = ''
      if (filter.after !== undefined) values[':after_key'] = createdKey(filter.after.createdAt, filter.after.id)
      if (filter.sinceMs !== undefined && filter.after !== undefined) {
        // BETWEEN includes the cursor itself; a filter on a key attribute is refused, so drop it by id
        range = ` AND #${idx.sk} BETWEEN :since_key AND :after_key`
        values[':after_id'] = filter.after.id
        filters.push('#id <> :after_id')
      } else if (filter.sinceMs !== undefined) range = ` AND #${idx.sk} >= :since_key`
      else if (filter.after !== undefined) range = ` AND #${idx.sk} < :after_key`
      const key = `#${idx.pk} = :pk${range}`
      if (filter.sinceMs !== undefined) {
        values[':since_key'] = pad(filter.sinceMs)
        values[':since'] = filter.sinceMs
        filters.push('#created_at >= :since')
      }
      if (filter.status !== undefined && filter.symbol !== undefined) {
        values[':symbol'] = filter.symbol
        filters.push('#symbol = :symbol')
      }
      const filterExpression = filters.join(' AND ')
      const items = await query(
        {
          IndexName: idx.name,
          KeyConditionExpression: key,
          ExpressionAttributeNames: names(key, filterExpression),
          ExpressionAttributeValues: values,
          ...(filterExpression ? { FilterExpression: filterExpression } : {}),
          ScanIndexForward: false,
        },
        limit,
      )
      return items.map(toExecution)
    },

    async childOrders(executionId) {
      const items = await query({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `EX#${executionId}`, ':prefix': 'CHILD#' },
        ConsistentRead: true,
      })
      return items
        .map(toChild)
        .sort((a, b) => a.createdAt - b.createdAt || a.sliceIndex - b.sliceIndex || a.attempt - b.attempt)
    },

    async fills(executionId) {
      const items = await query({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `EX#${executionId}`, ':prefix': 'FILL#' },
        ConsistentRead: true,
      })
      return items
        .map(toFill)
        .sort((a, b) => a.tsInit - b.tsInit || (a.fillId < b.fillId ? -1 : a.fillId > b.fillId ? 1 : 0))
    },

    async runStart(id) {
      const item = await get(exKey(id))
      if (!item || item.started_at == null) return null
      return { startedAt: Number(item.started_at), arrivalMid: (item.arrival_mid as string | null | undefined) ?? null }
    },

    unfinished: () => unfinishedWhere(),

    async reschedule(entry, notBefore) {
      await setExecutionStatus(entry.executionId, 'scheduled', ', #not_before = :not_before', {
        ':now': entry.atMs,
        ':not_before': notBefore,
      })
      await journal(entry)
    },

    async setStatus(id, status, nowMs, notBefore) {
      await setExecutionStatus(id, status, ', #not_before = :not_before', {
        ':now': nowMs,
        ':not_before': status === 'scheduled' ? (notBefore ?? null) : null,
      })
    },

    async requestCancel(id, nowMs) {
      await update(exKey(id), 'SET #cancel_requested = :yes, #updated_at = :now', { ':yes': true, ':now': nowMs })
    },

    async markResumed(id, nowMs) {
      const item = await update(
        exKey(id),
        'SET #updated_at = :now ADD #resumes :one',
        { ':now': nowMs, ':one': 1 },
        {
          returnItem: true,
        },
      )
      return typeof item === 'object' ? Number(item.resumes) : 0
    },

    async acquireLease(id, owner, nowMs, ttlMs) {
      return (
        (await update(
          exKey(id),
          'SET #lease_owner = :owner, #lease_expires_at = :until',
          { ':owner': owner, ':until': nowMs + ttlMs, ':now': nowMs },
          {
            condition:
              'attribute_exists(pk) AND (attribute_not_exists(#lease_owner) OR #lease_owner = :owner OR #lease_expires_at <= :now)',
          },
        )) === true
      )
    },

    async renewLease(id, owner, nowMs, ttlMs) {
      return (
        (await update(
          exKey(id),
          'SET #lease_expires_at = :until',
          { ':owner': owner, ':until': nowMs + ttlMs, ':now': nowMs },
          { condition: '#lease_owner = :owner AND #lease_expires_at > :now' },
        )) === true
      )
    },

    async releaseLease(id, owner) {
      await update(
        exKey(id),
        'REMOVE #lease_owner, #lease_expires_at',
        { ':owner': owner },
        { condition: '#lease_owner = :owner' },
      )
    },

    orphaned: (nowMs, marketNowMs = nowMs) =>
      unfinishedWhere(
        {
          expression: 'attribute_not_exists(#lease_owner) OR #lease_expires_at <= :now',
          values: { ':now': nowMs },
        },
        [
          { status: 'queued' },
          { status: 'running' },
          {
            status: 'scheduled',
            filter: { expression: '#not_before <= :market_now', values: { ':market_now': marketNowMs } },
          },
        ],
      ),

    // one partition per execution: no global order to page through
    journalAfter: async () => null,

    async journal(executionId, options = {}) {
      const types = options.types ?? []
      const typeFilter = types.length ? `#type IN (${types.map((_, i) => `:t${i}`).join(', ')})` : ''
      const items = await query({
        KeyConditionExpression:
          options.afterId === undefined ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: {
          ':pk': `EX#${executionId}`,
          ...(options.afterId === undefined ? { ':prefix': 'J#' } : { ':after': options.afterId }),
          ...Object.fromEntries(types.map((t, i) => [`:t${i}`, t])),
        },
        ...(typeFilter ? { FilterExpression: typeFilter, ExpressionAttributeNames: names(typeFilter) } : {}),
        ConsistentRead: true,
      })
      return items
        .filter((i) => String(i.sk).startsWith('J#'))
        .map((i) => ({
          id: String(i.sk),
          executionId,
          type: String(i.type),
          atMs: Number(i.at_ms),
          entry: JSON.parse(String(i.entry_json)) as Json,
        }))
    },

    async getHalt() {
      const item = await get(HALT_KEY)
      return item ? { reason: item.reason as string, sinceMs: Number(item.since_ms) } : null
    },

    async setHalt(halt: HaltRecord | null) {
      if (halt === null) await doc.send(new DeleteCommand({ TableName, Key: HALT_KEY }))
      else
        await doc.send(
          new PutCommand({
            TableName,
            Item: { ...HALT_KEY, kind: 'control', reason: halt.reason, since_ms: halt.sinceMs },
          }),
        )
    },

    async prune(beforeMs, limit) {
      const idx = DYNAMO_INDEXES.byStatus
      const key = `#${idx.pk} = :status AND #${idx.sk} < :before`
      const pages = await Promise.all(
        [...FINAL_STATUSES].map((status) =>
          query(
            {
              IndexName: idx.name,
              KeyConditionExpression: key,
              FilterExpression: '#updated_at < :before_ms',
              ExpressionAttributeNames: names(key, '#updated_at'),
              ExpressionAttributeValues: {
                ':status': `STATUS#${status}`,
                ':before': pad(beforeMs),
                ':before_ms': beforeMs,
              },
            },
            limit,
          ),
        ),
      )
      const victims = pages.flat().map(toExecution).sort(byCreatedThenId).slice(0, limit)
      for (const ex of victims) {
        const items = await query({
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `EX#${ex.id}` },
          ConsistentRead: true,
        })
        // the execution item goes last: a prune cut short is finished by the next one
        const rest = items.filter((i) => i.sk !== EXECUTION_SK)
        for (let k = 0; k < rest.length; k += 25) {
          await Promise.all(
            rest.slice(k, k + 25).map((i) => doc.send(new DeleteCommand({ TableName, Key: { pk: i.pk, sk: i.sk } }))),
          )
        }
        await doc
          .send(
            new DeleteCommand({
              TableName,
              Key: guardKey(ex.correlationId),
              ConditionExpression: '#execution_id = :id',
              ExpressionAttributeNames: names('#execution_id'),
              ExpressionAttributeValues: { ':id': ex.id },
            }),
          )
          .catch((err: unknown) => {
            if (!isConditionFailed(err)) throw err
          })
        await doc.send(new DeleteCommand({ TableName, Key: exKey(ex.id) }))
      }
      return victims.length
    },

    async probe(nowMs) {
      const key = { pk: `PROBE#${writer}`, sk: 'PROBE' }
      await doc.send(new PutCommand({ TableName, Item: { ...key, kind: 'probe', at_ms: nowMs } }))
      if (Number((await get(key))?.at_ms) !== nowMs)
        throw new ServiceError('SERVICE_STORE_UNAVAILABLE', 'probe write not read back')
    },

    async close() {
      if (owned) client.destroy()
    },
  }
}
