import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { DEFAULT_SIM_SYMBOLS } from '../../src/config.js'
import { eventually, FAST_ENV, http, startService, tempDir, type RunningService } from '../support/testService.js'

/**
 * The dashboard in a real browser: Debian's headless Chromium driven by playwright-core, against the
 * real service on the simulated market with a fast clock. One browser for every test. Screenshots of
 * each view go to test/dashboard/screenshots/ (see the dashboard's README).
 */
const CHROMIUM = process.env.ACX_CHROMIUM ?? '/usr/bin/chromium'
const SHOTS = join(import.meta.dirname, 'screenshots')
const TOKEN = 'browser-token-0123456789abcdef'
const auth = { authorization: `Bearer ${TOKEN}` }
const FINAL = ['filled', 'partially_filled', 'failed', 'cancelled']

const chromiumThere = existsSync(CHROMIUM)
if (!chromiumThere && process.env.CI === undefined) {
  console.warn(
    `\n${'!'.repeat(100)}\n!! SKIPPING THE DASHBOARD'S BROWSER TESTS: no Chromium at ${CHROMIUM} ` +
      `(apt-get install -y chromium, or set ACX_CHROMIUM). CI installs it and runs them.\n${'!'.repeat(100)}\n`,
  )
}

describe.skipIf(!chromiumThere && process.env.CI === undefined)('the dashboard in Chromium', () => {
  const tmp = tempDir()
  let svc: RunningService
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const pageErrors: string[] = []

  const submit = async (body: Record<string, string>): Promise<string> => {
    const r = await http(`${svc.url}/v1/orders`, 'POST', body, auth)
    expect(r.status).toBe(202)
    return r.json.executionId as string
  }
  const api = async (path: string) => (await http(`${svc.url}${path}`, 'GET', undefined, auth)).json
  const row = (id: string) => page.locator(`[data-testid="execution-row"][data-execution-id="${id}"]`)
  // the page's own functions are given as source text: this package's types have no DOM
  const cspViolations = () => page.evaluate('window.__csp ?? []')

  beforeAll(async () => {
    if (!chromiumThere)
      throw new Error(`CI must run the browser tests: no Chromium at ${CHROMIUM} (.ci/run installs it)`)
    mkdirSync(SHOTS, { recursive: true })
    svc = await startService({
      ...FAST_ENV,
      ACX_DB_PATH: join(tmp.dir, 'acx.sqlite'),
      ACX_API_TOKEN: TOKEN,
      ACX_LOG_LEVEL: 'warn',
      // walk-the-book (LOW) rests long enough to be cancelled from the page: 3 steps of 300 s at ×100, on
      // a symbol whose 2% spread the random walk does not cross in that time
      WTB_STEP_WAIT_SECONDS: '300',
      ACX_SIM_SYMBOLS: `${DEFAULT_SIM_SYMBOLS},WIDE:100:2`,
      RISK_MAX_ORDER_NOTIONAL: '100000000',
    })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    })
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: svc.url })
    // every Content-Security-Policy violation the page meets, to assert there are none
    await context.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => (window.__csp ??= []).push(e.violatedDirective + ' ' + e.blockedURI))",
    )
    page = await context.newPage()
    page.setDefaultTimeout(15_000)
    page.on('pageerror', (e) => pageErrors.push(e.message))
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await svc?.stop()
    tmp.cleanup()
  })

  it('asks for the token once, then shows an order submitted through the API arriving and filling without a reload', async () => {
    await page.goto(`${svc.url}/`)
    await page.getByTestId('token-input').fill(TOKEN)
    await page.getByTestId('token-submit').click()
    await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 10_000 }).toBe('live')
    await page.evaluate('window.__sameDocument = true')

    const id = await submit({
      side: 'BUY',
      symbol: 'AAPL',
      quantity: '1000',
      urgency: 'MEDIUM',
      correlationId: 'ui-fill-1',
    })
    await row(id).waitFor({ timeout: 10_000 })
    await expect
      .poll(() => row(id).getByTestId('status').textContent(), { timeout: 30_000, interval: 100 })
      .toBe('filled')
    // the same document all along: no reload, no navigation
    expect(await page.evaluate('window.__sameDocument')).toBe(true)

    // the row shows what the API says, in its vocabulary
    const e = await api(`/v1/orders/${id}`)
    const cells = await row(id).locator('td').allTextContents()
    expect(cells.slice(1, 11)).toEqual([
      'filled',
      'AAPL',
      'BUY',
      '1000',
      `${e.fillPercentage}%`,
      e.avgFillPrice,
      `${e.shortfallBps} bps`,
      'almgren_chriss',
      e.startedAt,
      e.expectedFinishAt,
    ])
    // the token lives in the session store, never in the URL
    expect(await page.evaluate("sessionStorage.getItem('acx.apiToken')")).toBe(TOKEN)
    expect(page.url()).not.toContain(TOKEN)
    await page.screenshot({ path: join(SHOTS, 'executions.png') })

    // a phone's width: the page fits, the table scrolls inside its box
    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await page.screenshot({ path: join(SHOTS, 'executions-phone.png') })
    await page.setViewportSize({ width: 1280, height: 800 })
  }, 60_000)

  it('draws the planned holdings against the actual remaining, child orders against bid/ask, the estimate and the journal', async () => {
    const list = await api('/v1/orders?symbol=AAPL')
    const id = list.executions.find((x: { correlationId: string }) => x.correlationId === 'ui-fill-1').executionId
    await row(id).getByRole('link').click()
    const chart = page.getByTestId('holdings-chart')
    await chart.locator('canvas').waitFor({ timeout: 10_000 })
    const e = await api(`/v1/orders/${id}`)
    // FAST_ENV plans 3 slices: 4 points of the plan; the actual ends at 0 shares left
    await expect.poll(() => chart.getAttribute('data-planned-points')).toBe(String(e.plan.slices.length + 1))
    await expect.poll(() => chart.getAttribute('data-actual-remaining')).toBe('0')
    const fills = e.childOrders.reduce((n: number, c: { fills: unknown[] }) => n + c.fills.length, 0)
    expect(Number(await chart.getAttribute('data-actual-points'))).toBeGreaterThanOrEqual(fills + 1)
    // both curves are on the canvas, in their colours
    const drawn = (await page.evaluate(`(() => {
      const canvas = document.querySelector('[data-testid="holdings-chart"] canvas')
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
      const near = (r, g, b) => {
        let n = 0
        for (let i = 0; i < data.length; i += 4)
          if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60 && data[i + 3] > 200) n++
        return n
      }
      return { planned: near(0x1d, 0x4e, 0xd8), actual: near(0xdc, 0x26, 0x26) }
    })()`)) as { planned: number; actual: number }
    expect(drawn.planned).toBeGreaterThan(100)
    expect(drawn.actual).toBeGreaterThan(100)

    const timeline = page.getByTestId('timeline-chart')
    const limits = e.childOrders.filter((c: { limitPrice: string | null }) => c.limitPrice !== null).length
    expect(await timeline.getAttribute('data-limit-orders')).toBe(String(limits))
    expect(Number(await timeline.getAttribute('data-quotes'))).toBeGreaterThanOrEqual(limits)
    expect(await timeline.getAttribute('data-fills')).toBe(String(fills))

    expect(await page.getByTestId('expected-cost').textContent()).toBe(
      `${e.plan.expectedCostBps} bps ± ${e.plan.expectedStdBps}`,
    )
    expect(await page.getByTestId('realised-shortfall').textContent()).toBe(`${e.shortfallBps} bps`)
    await expect
      .poll(() => page.getByTestId('journal').locator('tbody tr').last().textContent())
      .toContain('execution_finished')
    await page.screenshot({ path: join(SHOTS, 'execution.png'), fullPage: true })
  }, 60_000)

  it("computes the paper's frontier in the page — E = $911,227 and √V = $603,430 to the dollar — with no server round trip", async () => {
    await page.goto(
      `${svc.url}/#/frontier?units=model&X=1000000&T=5&N=5&sigma=0.95&eta=2.5e-6&gamma=2.5e-7&eps=0.0625&lambda=1e-6&S0=50&unit=23400`,
    )
    await page.getByTestId('frontier-chart').locator('canvas').waitFor({ timeout: 10_000 })
    const E = page.getByTestId('frontier-expected-cost')
    const sd = page.getByTestId('frontier-std-dev')
    expect(Math.abs(Number(await E.getAttribute('data-dollars')) - 911_227)).toBeLessThan(1)
    expect(Math.abs(Number(await sd.getAttribute('data-dollars')) - 603_430)).toBeLessThan(1)
    expect(await E.textContent()).toBe('$911,226.99 (182.25 bps)')
    expect(await sd.textContent()).toBe('$603,430.67 (120.69 bps)')
    expect(await page.getByTestId('slice-fraction').allTextContents()).toEqual([
      '45.80%',
      '25.21%',
      '14.20%',
      '8.58%',
      '6.21%',
    ])
    await page.screenshot({ path: join(SHOTS, 'frontier.png'), fullPage: true })

    // a new λ: computed here, nothing asked of the service, the URL follows
    const requests: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    await page.getByTestId('param-lambda').fill('2e-6')
    await expect.poll(() => E.getAttribute('data-dollars')).not.toBe('911226.9863037935')
    expect(Number(await E.getAttribute('data-dollars'))).toBeGreaterThan(911_227)
    expect(Number(await sd.getAttribute('data-dollars'))).toBeLessThan(603_430)
    await expect.poll(() => page.url()).toContain('lambda=2e-6')
    expect(requests).toEqual([])

    // a bad value is named, and the numbers go
    await page.getByTestId('param-eta').fill('abc')
    await expect
      .poll(() => page.getByTestId('frontier-errors').textContent())
      .toContain('Temporary impact η: "abc" is not a number')
    expect(await page.getByTestId('param-eta').getAttribute('aria-invalid')).toBe('true')
    expect(await E.textContent()).toBe('–')

    // the small-cap profile, in AC_* units, and its lines copied for the service's environment
    await page.getByTestId('preset').selectOption('small_cap')
    await expect.poll(() => page.getByTestId('ac-lines').textContent()).toContain('AC_NUM_SLICES=7')
    await page.getByTestId('copy-ac-lines').click()
    await expect
      .poll(() => page.evaluate('navigator.clipboard.readText()'))
      .toBe(await page.getByTestId('ac-lines').textContent())
    expect(await page.getByTestId('ac-lines').textContent()).toBe(
      'AC_RISK_AVERSION=0.3\nAC_VOLATILITY=0.02\nAC_TEMP_IMPACT=0.01\nAC_PERM_IMPACT=0\nAC_NUM_SLICES=7\nAC_TOTAL_TIME_SECONDS=450\nAC_TRADING_DAY_SECONDS=23400\n',
    )
    expect(requests).toEqual([])
  }, 60_000)

  it('cancels a running execution from the page, after a confirmation', async () => {
    await page.goto(`${svc.url}/#/`)
    await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 10_000 }).toBe('live')
    const id = await submit({
      side: 'BUY',
      symbol: 'WIDE',
      quantity: '100000',
      urgency: 'LOW',
      correlationId: 'ui-cancel-1',
    })
    await expect.poll(() => row(id).getByTestId('status').textContent(), { timeout: 10_000 }).toBe('running')
    await row(id).getByTestId('cancel').click()
    // nothing is sent before the confirmation
    expect((await api(`/v1/orders/${id}`)).cancelRequested).toBe(false)
    await row(id).getByTestId('confirm-cancel').click()
    const done = await eventually(async () => {
      const d = await api(`/v1/orders/${id}`)
      return FINAL.includes(d.status) ? d : undefined
    }, 20_000)
    expect(done.cancelRequested).toBe(true)
    expect(['cancelled', 'partially_filled']).toContain(done.status)
    expect(done.strategy).toBe('walk_the_book')
    // stopped: its first step's order only, nothing after the cancel
    expect(done.childOrders).toHaveLength(1)
    await expect.poll(() => row(id).getByTestId('status').textContent(), { timeout: 10_000 }).toBe(done.status)
    expect(await row(id).getByTestId('cancel').count()).toBe(0)
    await page.screenshot({ path: join(SHOTS, 'executions-cancelled.png') })
  }, 60_000)

  it("shows the rollout guide's criteria per strategy with figures and samples, and the shortfall distributions", async () => {
    await page.goto(`${svc.url}/#/report?since=1d`)
    const table = page.getByTestId('report-criteria')
    await table.waitFor({ timeout: 10_000 })
    const report = await api('/v1/report?since=1d')
    expect(report.strategies.map((s: { strategy: string }) => s.strategy).sort()).toEqual([
      'almgren_chriss',
      'walk_the_book',
    ])
    for (const s of report.strategies) {
      const cells = table.locator(`tr[data-strategy="${s.strategy}"] td`)
      for (const c of s.criteria) {
        const verdict = c.pass === null ? 'n/a' : c.pass ? 'PASS' : 'FAIL'
        const figure = c.value === null ? 'no sample' : `${c.value} ${c.unit}`
        expect(await cells.filter({ has: page.locator(`[data-testid="criterion-${c.name}"]`) }).count()).toBe(0)
        expect(
          await table.locator(`tr[data-strategy="${s.strategy}"] [data-testid="criterion-${c.name}"]`).textContent(),
        ).toBe(`${verdict} ${figure} n = ${c.sample}`)
      }
    }
    const boxes = page.getByTestId('shortfall-distributions').locator('g.box')
    expect(
      await boxes.evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-strategy'), g.getAttribute('data-count')])),
    ).toEqual(
      report.strategies
        .filter((s: { shortfall: { count: number } }) => s.shortfall.count > 0)
        .map((s: { strategy: string; shortfall: { count: number } }) => [s.strategy, String(s.shortfall.count)]),
    )
    await page.screenshot({ path: join(SHOTS, 'report.png'), fullPage: true })
    expect(await cspViolations()).toEqual([])
    expect(pageErrors).toEqual([])
  }, 60_000)
})
