import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/index.js'

describe('loadConfig', () => {
  it('runs on the simulated market with no settings at all', () => {
    const r = loadConfig({})
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.config).toMatchObject({
      ACX_HOST: '127.0.0.1',
      ACX_PORT: 8080,
      ACX_BROKER: 'sim',
      ACX_DB_PATH: './data/acx.sqlite',
      ACX_RECOVERY: 'resume',
      ACX_MAX_CONCURRENT_EXECUTIONS: 16,
      ACX_SIM_TIME_SCALE: 1,
      APCA_API_BASE_URL: 'https://paper-api.alpaca.markets',
    })
    expect(r.config.ACX_SIM_SYMBOLS.AAPL).toEqual({ price: '190', spread: '0.02' })
    expect(r.config.engine.routing).toBeDefined()
  })

  it('names every bad variable at once, engine settings included', () => {
    const r = loadConfig({
      ACX_PORT: '99999',
      ACX_BROKER: 'ib',
      ACX_RECOVERY: 'maybe',
      ACX_SIM_TIME_SCALE: '-2',
      ACX_MAX_CONCURRENT_EXECUTIONS: '1.5',
      ACX_SIM_SYMBOLS: 'AAPL=190',
      AC_NUM_SLICES: 'ten',
      AC_RISK_AVERSION: '-1',
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    const named = r.problems.map((p) => p.variable)
    for (const v of [
      'ACX_PORT',
      'ACX_BROKER',
      'ACX_RECOVERY',
      'ACX_SIM_TIME_SCALE',
      'ACX_MAX_CONCURRENT_EXECUTIONS',
      'ACX_SIM_SYMBOLS',
      'AC_NUM_SLICES',
      'AC_RISK_AVERSION',
    ]) {
      expect(named).toContain(v)
    }
  })

  it('requires the Alpaca keys only when ACX_BROKER=alpaca, and never echoes values', () => {
    const r = loadConfig({ ACX_BROKER: 'alpaca', APCA_API_KEY_ID: 'PKTESTKEY' })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.problems).toEqual([
      { variable: 'APCA_API_SECRET_KEY', message: 'required when ACX_BROKER=alpaca (or set ACX_ALPACA_SECRET_ARN)' },
    ])
    expect(JSON.stringify(r.problems)).not.toContain('PKTESTKEY')
  })

  it('treats empty strings as unset', () => {
    const r = loadConfig({ ACX_PORT: '', ACX_API_TOKEN: ' ' })
    expect(r.ok && r.config.ACX_PORT).toBe(8080)
  })

  it('refuses a short API token', () => {
    const r = loadConfig({ ACX_API_TOKEN: 'short' })
    expect(r.ok).toBe(false)
  })

  it('says what is wrong with each value: its range, the words it accepts, the format it needs', () => {
    const problem = (env: Record<string, string>) => {
      const r = loadConfig(env)
      return r.ok ? 'ok' : r.problems.map((p) => `${p.variable}: ${p.message}`).join('; ')
    }
    expect(problem({ ACX_PORT: '-1' })).toBe('ACX_PORT: must be between 0 and 65535')
    expect(problem({ ACX_PORT: 'eighty' })).toBe('ACX_PORT: must be a number')
    expect(problem({ ACX_PORT: '80.5' })).toBe('ACX_PORT: must be a whole number')
    expect(problem({ ACX_OUTSIDE_HOURS: 'later' })).toBe('ACX_OUTSIDE_HOURS: must be one of queue, reject')
    expect(problem({ AC_MARKET_FALLBACK: 'maybe' })).toBe(
      'AC_MARKET_FALLBACK: must be one of true, false, 1, 0, yes, no, on, off',
    )
    expect(problem({ ACX_SIM_SESSION: '9:30-16:00 America/New_York' })).toMatch(
      /^ACX_SIM_SESSION: must be HH:MM-HH:MM followed by a time zone/,
    )
    expect(problem({ ACX_SIM_SESSION: '09:30-16:00 Mars/Base' })).toMatch(/unknown time zone Mars\/Base/)
    expect(problem({ ACX_SIM_SESSION: '16:00-09:30 America/New_York' })).toMatch(/must be after its open/)
    expect(problem({ AC_CLOSE_MARGIN_SECONDS: '-5' })).toMatch(/^AC_CLOSE_MARGIN_SECONDS: /)
  })

  it('reads the trading-session settings', () => {
    const r = loadConfig({ ACX_SIM_SESSION: '09:30-16:00 America/New_York', AC_CLOSE_MARGIN_SECONDS: '120' })
    expect(r.ok && r.config.ACX_SIM_SESSION).toEqual({ open: '09:30', close: '16:00', timeZone: 'America/New_York' })
    expect(r.ok && r.config.engine.execution.closeMarginSeconds).toBe(120)
    expect(r.ok && r.config.ACX_OUTSIDE_HOURS).toBe('queue')
    const always = loadConfig({ ACX_SIM_SESSION: 'always' })
    expect(always.ok && always.config.ACX_SIM_SESSION).toBeUndefined()
  })
})
