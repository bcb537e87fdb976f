import type { BrokerErrorReason, BrokerOrder, BrokerPort, CancelOutcome } from '@acx/engine'
import { describe, expectTypeOf, it } from 'vitest'
import * as api from '../src/index.js'
import type { AlpacaBroker, AlpacaBrokerOptions, PreflightIssueReason } from '../src/index.js'

describe('the public surface', () => {
  it('exports the adapter, its options and its error, and nothing internal', () => {
    expectTypeOf<keyof typeof api>().toEqualTypeOf<
      'createAlpacaBroker' | 'alpacaOptionsFromEnv' | 'ALPACA_ERRORS' | 'AlpacaError' | 'isAlpacaError'
    >()
  })

  it('is a BrokerPort whose order-update subscription is always there', () => {
    expectTypeOf<AlpacaBroker>().toExtend<BrokerPort>()
    expectTypeOf<AlpacaBroker['cancelOrder']>().returns.toEqualTypeOf<Promise<CancelOutcome>>()
    expectTypeOf<AlpacaBroker['subscribeOrderUpdates']>().toEqualTypeOf<
      (listener: (order: BrokerOrder) => void) => () => void
    >()
  })

  it('names preflight issues with the engine’s refusal reasons', () => {
    expectTypeOf<PreflightIssueReason>().toExtend<BrokerErrorReason>()
  })

  it('takes no retry options: the engine retries', () => {
    expectTypeOf<AlpacaBrokerOptions>().not.toHaveProperty('maxRetries')
    expectTypeOf<AlpacaBrokerOptions>().not.toHaveProperty('submitMaxAttempts')
    expectTypeOf<AlpacaBrokerOptions>().not.toHaveProperty('outcomeLookups')
  })
})
