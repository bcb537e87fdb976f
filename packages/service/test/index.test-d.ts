import { expectTypeOf, test } from 'vitest'
import type { Logger } from 'pino'
import type {
  ConfigResult,
  ExecutionQueries,
  ExecutionStore,
  Readiness,
  Service,
  ServiceConfig,
  ServiceErrorCode,
} from '../src/index.js'
import { createService, createSqliteStore, loadConfig, ServiceError } from '../src/index.js'

test('the service is built from a checked configuration and a pino logger', () => {
  expectTypeOf(loadConfig).returns.toEqualTypeOf<ConfigResult>()
  expectTypeOf(createService).parameters.toMatchTypeOf<[ServiceConfig, Logger, ...unknown[]]>()
  expectTypeOf(createService).returns.resolves.toEqualTypeOf<Service>()
  expectTypeOf<Service['manager']['readiness']>().returns.toEqualTypeOf<Readiness>()
})

test('a store is every part; a reader may take only the queries', () => {
  expectTypeOf(createSqliteStore).returns.toEqualTypeOf<ExecutionStore>()
  expectTypeOf<ExecutionStore>().toMatchTypeOf<ExecutionQueries>()
  expectTypeOf<ExecutionQueries>().not.toMatchTypeOf<ExecutionStore>()
})

test('errors carry codes from their tables', () => {
  expectTypeOf<ServiceError['code']>().toEqualTypeOf<ServiceErrorCode>()
  expectTypeOf<'SERVICE_RISK_LIMIT'>().toMatchTypeOf<ServiceErrorCode>()
  expectTypeOf<'SERVICE_STORE_CORRUPT'>().toMatchTypeOf<ServiceErrorCode>()
  expectTypeOf<'SERVICE_NOPE'>().not.toMatchTypeOf<ServiceErrorCode>()
})
