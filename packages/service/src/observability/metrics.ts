import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { ExecutionResult } from '@acx/engine'

/** The service's Prometheus metrics, on their own registry (never the global one). */
export interface ServiceMetrics {
  readonly registry: Registry
  readonly executions: Counter<'strategy' | 'status'>
  readonly fillRatio: Histogram<'strategy'>
  readonly executionSeconds: Histogram<'strategy'>
  /** Implementation shortfall against the arrival mid, bps, positive = cost (as in the API and logs). */
  readonly shortfallBps: Histogram<'strategy'>
  readonly marketFallbacks: Counter<'strategy'>
  readonly childOrders: Counter<'type'>
  readonly brokerErrors: Counter<'code'>
  readonly intents: Counter<'outcome'>
  /** Orders the risk limits refused, by the limit (`check`) and where (`intake` or `order`: a child order). */
  readonly riskRefusals: Counter<'check' | 'stage'>
  /** 1 while the store takes writes, 0 while it does not. */
  readonly storeUp: Gauge
  /** 1 while the kill switch is on. */
  readonly halted: Gauge
  /** Executions waiting to start in this process. */
  readonly queueDepth: Gauge
  /** Executions stored `scheduled` because their market was closed (at intake, or stopped at the close). */
  readonly scheduled: Counter
  /** Records a finished execution. */
  executionFinished(result: ExecutionResult, status: string): void
}

export function createMetrics(): ServiceMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'acx_' })
  const executions = new Counter({
    name: 'acx_executions_total',
    help: 'Finished executions by strategy and final status',
    labelNames: ['strategy', 'status'] as const,
    registers: [registry],
  })
  const fillRatio = new Histogram({
    name: 'acx_execution_fill_ratio',
    help: 'Filled quantity over requested quantity per execution (0–1)',
    labelNames: ['strategy'] as const,
    buckets: [0, 0.5, 0.8, 0.9, 0.95, 0.99, 1],
    registers: [registry],
  })
  const executionSeconds = new Histogram({
    name: 'acx_execution_seconds',
    help: 'Execution time from start to finish, seconds (on the execution clock)',
    labelNames: ['strategy'] as const,
    buckets: [1, 10, 30, 60, 120, 300, 450, 600, 900, 1800],
    registers: [registry],
  })
  const shortfallBps = new Histogram({
    name: 'acx_execution_shortfall_bps',
    help: 'Implementation shortfall against the arrival mid per execution, bps; positive = a cost to the trader',
    labelNames: ['strategy'] as const,
    buckets: [-50, -20, -10, -5, -2, 0, 2, 5, 10, 20, 50, 100],
    registers: [registry],
  })
  const marketFallbacks = new Counter({
    name: 'acx_market_fallbacks_total',
    help: 'Executions that sent their remainder as a market order',
    labelNames: ['strategy'] as const,
    registers: [registry],
  })
  const childOrders = new Counter({
    name: 'acx_child_orders_total',
    help: 'Child orders sent to the broker, by order type',
    labelNames: ['type'] as const,
    registers: [registry],
  })
  const brokerErrors = new Counter({
    name: 'acx_broker_errors_total',
    help: 'Broker calls that failed, by broker error code',
    labelNames: ['code'] as const,
    registers: [registry],
  })
  const intents = new Counter({
    name: 'acx_intents_total',
    help: 'Order intents received, by outcome (accepted, duplicate, invalid, refused)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const riskRefusals = new Counter({
    name: 'acx_risk_refusals_total',
    help: 'Orders refused by a risk limit, by limit and stage (intake, order)',
    labelNames: ['check', 'stage'] as const,
    registers: [registry],
  })
  const storeUp = new Gauge({
    name: 'acx_store_up',
    help: '1 while the store takes writes, else 0',
    registers: [registry],
  })
  storeUp.set(1)
  const halted = new Gauge({
    name: 'acx_halted',
    help: '1 while trading is halted (kill switch), else 0',
    registers: [registry],
  })
  halted.set(0)
  const queueDepth = new Gauge({
    name: 'acx_queued_executions',
    help: 'Executions waiting to start in this process',
    registers: [registry],
  })
  const scheduled = new Counter({
    name: 'acx_scheduled_executions_total',
    help: 'Executions scheduled for the next open because their market was closed',
    registers: [registry],
  })
  return {
    registry,
    executions,
    fillRatio,
    executionSeconds,
    shortfallBps,
    marketFallbacks,
    childOrders,
    brokerErrors,
    intents,
    riskRefusals,
    storeUp,
    halted,
    queueDepth,
    scheduled,
    executionFinished(result, status) {
      const strategy = result.executionStrategy
      executions.inc({ strategy, status })
      fillRatio.observe({ strategy }, result.fillPercentage / 100)
      executionSeconds.observe({ strategy }, result.executionTimeSeconds)
      if (result.implementationShortfallBps !== null)
        shortfallBps.observe({ strategy }, result.implementationShortfallBps)
      if (result.marketFallbackUsed) marketFallbacks.inc({ strategy })
    },
  }
}
