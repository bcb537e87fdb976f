/** The execution (parent order) id: the service's execution id, by default the correlation id. */
export type ParentOrderId = string & { readonly __brand: 'ParentOrderId' }
/** Our id for a child order, sent to the broker (Alpaca `client_order_id`) for idempotent retries. */
export type ClientOrderId = string & { readonly __brand: 'ClientOrderId' }
/** The broker's id for an order. */
export type BrokerOrderId = string & { readonly __brand: 'BrokerOrderId' }
/** A fill's id: the broker's execution id, or one derived from the order's cumulative fill. */
export type FillId = string & { readonly __brand: 'FillId' }

export const parentOrderId = (s: string): ParentOrderId => s as ParentOrderId
export const brokerOrderId = (s: string): BrokerOrderId => s as BrokerOrderId
export const fillId = (s: string): FillId => s as FillId

/** Longest client order id brokers accept (Alpaca: 128). */
export const MAX_CLIENT_ORDER_ID_LENGTH = 128
/**
 * Longest correlation id: leaves room for `-s{k}-a{attempt}` with k and attempt up to 4 digits each
 * (12 characters), so every client order id stays within 128.
 */
export const MAX_CORRELATION_ID_LENGTH = MAX_CLIENT_ORDER_ID_LENGTH - 12

/** `{correlationId}-s{k}-a{attempt}`: deterministic, so a retried send reuses the same id. */
export const clientOrderIdFor = (correlationId: string, slice: number, attempt: number): ClientOrderId =>
  `${correlationId}-s${slice}-a${attempt}` as ClientOrderId
