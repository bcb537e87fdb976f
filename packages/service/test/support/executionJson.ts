/** A fill as the API shows it, inside its child order. */
interface FillJson {
  readonly fillId: string
  readonly quantity: string
  readonly price: string
  readonly at: string
}

/** A child order as the API shows it. */
interface ChildJson {
  readonly clientOrderId: string
  readonly brokerOrderId: string | null
  readonly status: string
  readonly type: string
  readonly quantity: string
  readonly limitPrice: string | null
  readonly filledQuantity: string
  readonly fills: readonly FillJson[]
}

/** An execution as `GET /v1/orders/:id` answers (the fields tests read). */
export interface ExecutionJson {
  readonly executionId: string
  readonly correlationId: string
  readonly status: string
  readonly quantity: string
  readonly side: 'BUY' | 'SELL'
  readonly symbol: string
  readonly resumes: number
  readonly filledQuantity: string
  readonly avgFillPrice: string | null
  readonly childOrders: readonly ChildJson[]
  readonly result: { readonly error?: { readonly code: string; readonly message: string } | null } | null
}

/** Every fill of an execution, each with its child's client order id. */
export const fillsOf = (e: Pick<ExecutionJson, 'childOrders'>) =>
  e.childOrders.flatMap((c) =>
    c.fills.map((f) => ({ fillId: f.fillId, clientOrderId: c.clientOrderId, qty: f.quantity, price: f.price })),
  )
