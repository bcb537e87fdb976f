import type { Report, ReportRow } from './buildReport.js'

const COLUMNS: ReadonlyArray<readonly [keyof ReportRow, string]> = [
  ['symbol', 'symbol'],
  ['strategy', 'strategy'],
  ['executions', 'executions'],
  ['fillRatePct', 'fill_rate_pct'],
  ['avgExecutionSeconds', 'avg_execution_seconds'],
  ['shortfallBps', 'shortfall_bps'],
  ['shortfallStdErrBps', 'shortfall_stderr_bps'],
  ['marketFallbackRatePct', 'market_fallback_rate_pct'],
  ['usagePct', 'strategy_usage_pct'],
]

const cell = (v: unknown): string => (v === null || v === undefined ? '' : String(v))

export function formatReportCsv(report: Report): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  return (
    [
      COLUMNS.map(([, h]) => h).join(','),
      ...report.rows.map((r) => COLUMNS.map(([k]) => quote(cell(r[k]))).join(',')),
    ].join('\n') + '\n'
  )
}

export function formatReportTable(report: Report): string {
  const header = COLUMNS.map(([, h]) => h)
  const body = report.rows.map((r) => COLUMNS.map(([k]) => cell(r[k]) || '–'))
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const verdict = (p: boolean | null) => (p === null ? 'n/a ' : p ? 'PASS' : 'FAIL')
  return [
    `acx execution report — ${report.since ? `since ${report.since}` : 'all time'} (generated ${report.generatedAt})`,
    '',
    line(header),
    ...body.map(line),
    '',
    'Success criteria (Almgren–Chriss, all symbols):',
    ...report.criteria.map(
      (c) => `  ${verdict(c.pass)}  ${c.name.padEnd(26)} target ${c.target.padEnd(38)} actual ${c.actual}`,
    ),
    '',
  ].join('\n')
}
