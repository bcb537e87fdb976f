import { expectTypeOf, test } from 'vitest'
import type { Decimal } from 'decimal.js'
import type {
  BrokerOrderId,
  BrokerPort,
  ClientOrderId,
  Engine,
  ExecutionResult,
  JournalEntry,
  OrderIntent,
  Validation,
} from '../src/index.js'
import { parseOrderIntent } from '../src/index.js'

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
    'execution_started' | 'arrival_quote' | 'child_order_created' | 'child_order_status' | 'fill' | 'risk_check_failed' | 'execution_finished'
  >()
})
