import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../src/cli.js'

export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `acx …` in-process, capturing what it writes to stdout and stderr. */
export async function acx(...argv: string[]): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const stdoutWrite = process.stdout.write
  const stderrWrite = process.stderr.write
  const saved = process.exitCode
  process.exitCode = undefined
  const text = (s: string | Uint8Array): string => (typeof s === 'string' ? s : Buffer.from(s).toString('utf8'))
  process.stdout.write = ((s: string | Uint8Array) => (out.push(text(s)), true)) as typeof process.stdout.write
  process.stderr.write = ((s: string | Uint8Array) => (err.push(text(s)), true)) as typeof process.stderr.write
  try {
    const code = await runCli(argv)
    return { code, stdout: out.join(''), stderr: err.join('') }
  } finally {
    process.stdout.write = stdoutWrite
    process.stderr.write = stderrWrite
    process.exitCode = saved
  }
}

export function scratchDir(): {
  readonly dir: string
  readonly file: (name: string) => string
  readonly cleanup: () => void
} {
  const dir = mkdtempSync(join(tmpdir(), 'acx-research-'))
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Parses CSV output into header and rows of cells. */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.trimEnd().split('\n')
  return { header: (lines[0] ?? '').split(','), rows: lines.slice(1).map((l) => l.split(',')) }
}
