import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createVirtualClock, Dec, type ClientOrderId } from '@acx/engine'
import { createSimBroker } from '../src/index.js'
import { configFor, tempDir } from './support/testService.js'

const buy = (id: string) =>
  ({
    clientOrderId: id as ClientOrderId,
    symbol: 'AAPL',
    side: 'BUY',
    qty: new Dec(5),
    type: 'market',
    timeInForce: 'day',
  }) as const

describe('createSimBroker', () => {
  let tmp: ReturnType<typeof tempDir> | undefined
  afterEach(() => tmp?.cleanup())

  it('keeps the venue in a file named after ACX_DB_PATH by default, across a close and a reopen', async () => {
    tmp = tempDir()
    const config = configFor({ ACX_DB_PATH: join(tmp.dir, 'db', 'acx.sqlite') })
    const clock = createVirtualClock()
    const a = createSimBroker(config, clock)
    const first = await a.submitOrder(buy('d-1'))
    await a.close()
    expect(existsSync(join(tmp.dir, 'db', 'acx.sim-venue.sqlite'))).toBe(true)
    const b = createSimBroker(config, clock)
    expect(await b.getOrderByClientId('d-1' as ClientOrderId)).toEqual(first)
    expect((await b.getPosition('AAPL'))?.qty.toString()).toBe('5')
    expect((await b.submitOrder(buy('d-2'))).id).toBe(first.id.replace(/-1$/, '-2'))
    await b.close()
  })

  it('uses ACX_SIM_STATE_PATH when set, and keeps nothing with :memory:', async () => {
    tmp = tempDir()
    const path = join(tmp.dir, 'elsewhere', 'venue.sqlite')
    const clock = createVirtualClock()
    const named = createSimBroker(
      configFor({ ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'), ACX_SIM_STATE_PATH: path }),
      clock,
    )
    await named.submitOrder(buy('n-1'))
    await named.close()
    expect(existsSync(path)).toBe(true)
    expect(existsSync(join(tmp.dir, 'acx.sim-venue.sqlite'))).toBe(false)
    const memory = configFor({ ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'), ACX_SIM_STATE_PATH: ':memory:' })
    const m1 = createSimBroker(memory, clock)
    await m1.submitOrder(buy('m-1'))
    await m1.close()
    const m2 = createSimBroker(memory, clock)
    expect(await m2.getOrderByClientId('m-1' as ClientOrderId)).toBeNull()
    await m2.close()
    expect(existsSync(join(tmp.dir, 'acx.sim-venue.sqlite'))).toBe(false)
  })
})
