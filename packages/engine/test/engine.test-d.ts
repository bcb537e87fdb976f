import { expectTypeOf, test } from 'vitest'
import type { Decimal } from 'decimal.js'
import type {
  AcConfig,
  AcConfigInput,
  BrokerOrder,
  BrokerOrderId,
  BrokerPort,
  CancelOutcome,
  IntentAssessment,
  RiskCheckCode,
  RiskRefusal,
  ClientOrderId,
  Engine,
  ExecutionResult,
  JournalEntry,
  OrderIntent,
  Validation,
} from '../src/index.js'
import { createAcConfig, parseOrderIntent } from '../src/index.js'

test('execute returns Decimals for money and a number for the percentage', () => {
  expectTypeOf<ExecutionResult['totalFilled']>().toEqualTypeOf<Decimal>()
  expectTypeOf<ExecutionResult['avgFillPrice']>().toEqualTypeOf<Decimal>()
  expectTypeOf<ExecutionResult['fillPercentage']>().toEqualTypeOf<number>()
  expectTypeOf<Engine['execute']>().returns.resolves.toEqualTypeOf<ExecutionResult>()
})

test('ids are branded and not interchangeable', () => {
  expectTypeOf<string>().not.toMatchTypeOf<ClientOrderId>()
  expectTypeOf<ClientOrderId>().not.toMatchTypeOf<BrokerOrderId>()
  expectTypeOf<BrokerPort['getOrder']>().parameter(0).toEqualTypeOf<BrokerOrderId>()
})

test('parseOrderIntent has the safeParse shape', () => {
  expectTypeOf(parseOrderIntent).returns.toEqualTypeOf<Validation<OrderIntent>>()
})

test('journal entries are discriminated on type', () => {
  expectTypeOf<JournalEntry['type']>().toEqualTypeOf<
    | 'execution_started'
    | 'arrival_quote'
    | 'child_order_created'
    | 'child_order_status'
    | 'execution_planned'
    | 'fill'
    | 'risk_check_failed'
    | 'execution_finished'
  >()
})

test('configuration is typed data: every field optional in, every field present out', () => {
  expectTypeOf(createAcConfig).parameter(0).toEqualTypeOf<AcConfigInput | undefined>()
  expectTypeOf(createAcConfig).returns.toEqualTypeOf<AcConfig>()
  expectTypeOf<AcConfig['risk']['maxOrderNotional']>().toEqualTypeOf<Decimal>()
  expectTypeOf<Record<never, never>>().toMatchTypeOf<AcConfigInput>()
})

test('the broker port answers a cancel and may push order updates', () => {
  expectTypeOf<BrokerPort['cancelOrder']>().returns.resolves.toEqualTypeOf<CancelOutcome>()
  expectTypeOf<CancelOutcome>().toEqualTypeOf<'requested' | 'already_final'>()
  expectTypeOf<BrokerPort['subscribeOrderUpdates']>().toEqualTypeOf<
    ((listener: (order: BrokerOrder) => void) => () => void) | undefined
  >()
})

test('a risk refusal names its limit', () => {
  expectTypeOf<Engine['assess']>().returns.resolves.toEqualTypeOf<IntentAssessment>()
  expectTypeOf<RiskRefusal['code']>().toEqualTypeOf<RiskCheckCode>()
  expectTypeOf<'RISK_MAX_ORDER_NOTIONAL'>().toMatchTypeOf<RiskCheckCode>()
})
