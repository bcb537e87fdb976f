import { reference } from '@acx/ac-core-wasm'
import type { AcConfig } from '../../src/config/acConfig.js'
import { createAcConfig, type AcConfigInput } from '../../src/config/createAcConfig.js'
import type { OrderIntentInput } from '../../src/domain/orderIntent.js'
import { createEngine, type Engine } from '../../src/engine.js'
import { createVirtualClock, type VirtualClock } from '../../src/ports/clock.js'
import { createInMemoryJournal, type InMemoryJournal } from '../../src/ports/executionJournal.js'
import { createMemoryLogger, type MemoryLogger } from '../../src/ports/logger.js'
import {
  createSimulatedMarket,
  type SimulatedMarket,
  type SimulatedMarketOptions,
} from '../../src/sim/simulatedMarket.js'

let n = 0

/** An order intent with sensible defaults: BUY 1000 AAPL, MEDIUM, a fresh correlation id. */
export const anIntent = (overrides: Partial<OrderIntentInput> = {}): OrderIntentInput => ({
  side: 'BUY',
  symbol: 'AAPL',
  quantity: '1000',
  urgency: 'MEDIUM',
  correlationId: `corr-${++n}`,
  ...overrides,
})

export interface Harness {
  readonly clock: VirtualClock
  readonly market: SimulatedMarket
  readonly engine: Engine
  readonly journal: InMemoryJournal
  readonly logger: MemoryLogger
  readonly config: AcConfig
}

/** A virtual clock, a simulated market (AAPL at 190, spread 0.02 by default) and an engine on them. */
export function aHarness(
  opts: {
    readonly config?: AcConfigInput
    readonly market?: Partial<Omit<SimulatedMarketOptions, 'clock'>>
    /** Virtual clock start, epoch ms (default a Monday's US open). */
    readonly startMs?: number
  } = {},
): Harness {
  const clock = createVirtualClock(opts.startMs === undefined ? {} : { startMs: opts.startMs })
  const market = createSimulatedMarket({
    seed: 7,
    symbols: {
      AAPL: { price: '190', spread: '0.02', position: '5000' },
      PENNY: { price: '0.5123', spread: '0.0004' },
      FRAC: { price: '50', spread: '0.02', fractionable: true },
      HALT: { price: '10', spread: '0.01', tradable: false },
      'BTC/USD': { price: '60000', spread: '1', fractionable: true },
    },
    ...opts.market,
    clock,
  })
  const config = createAcConfig(opts.config)
  const journal = createInMemoryJournal()
  const logger = createMemoryLogger()
  const engine = createEngine({ broker: market, clock, config, logger, journal, core: reference })
  return { clock, market, engine, journal, logger, config }
}
