import type { ExecutionPreview, OrderIntent } from '@acx/engine'
import type { ExecutionDetail } from '../executions/executionManager.js'
import type { ExecutionRecord } from '../persistence/executionStore.js'

/** An execution as the API shows it; with `detail`, its child orders, fills and totals over every run. */
export function executionView(record: ExecutionRecord, detail?: ExecutionDetail) {
  return {
    executionId: record.id,
    correlationId: record.correlationId,
    symbol: record.symbol,
    side: record.side,
    quantity: record.quantity,
    urgency: record.urgency,
    strategy: record.strategy,
    status: record.status,
    cancelRequested: record.cancelRequested,
    resumes: record.resumes,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    result: record.result,
    ...(detail
      ? {
          totals: detail.totals,
          childOrders: detail.childOrders,
          fills: detail.fills,
        }
      : {}),
  }
}

/** The schedule and pre-trade estimate for an intent, decimals as strings. */
export function previewView(intent: OrderIntent, preview: ExecutionPreview) {
  return {
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity.toString(),
    urgency: intent.urgency,
    strategy: preview.strategy,
    kappa: preview.kappa,
    expectedCostBps: preview.expectedCostBps,
    expectedStdBps: preview.expectedStdBps,
    slices: preview.slices.map((s) => ({
      index: s.index,
      startSeconds: s.startSeconds,
      fraction: s.fraction,
      quantity: s.qty.toString(),
    })),
  }
}
