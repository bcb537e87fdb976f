import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { ineffectiveSettings } from '../../src/config/ineffectiveSettings.js'

describe('settings that change nothing', () => {
  it('names the order-fraction η and γ under the participation model, with what to set instead', () => {
    const env = { AC_TEMP_IMPACT: '0.001', AC_PERM_IMPACT: '0' }
    const loaded = loadConfig(env)
    if (!loaded.ok) throw new Error('settings refused')
    expect(loaded.config.engine.impact.model).toBe('participation')
    expect(ineffectiveSettings(env, loaded.config.engine.impact.model)).toEqual([
      {
        variable: 'AC_TEMP_IMPACT',
        message: expect.stringContaining('set AC_IMPACT_ETA, or AC_IMPACT_MODEL=order_fraction'),
      },
      { variable: 'AC_PERM_IMPACT', message: expect.stringContaining('set AC_IMPACT_GAMMA') },
    ])
  })
  it('says nothing when they apply, or are not set', () => {
    expect(ineffectiveSettings({ AC_TEMP_IMPACT: '0.001' }, 'order_fraction')).toEqual([])
    expect(ineffectiveSettings({ AC_TEMP_IMPACT: ' ', AC_IMPACT_ETA: '0.3' }, 'participation')).toEqual([])
  })
})
