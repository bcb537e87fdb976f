import type { AcCoreApi } from '@acx/ac-core-wasm'
import { countLines, parseGridText } from './gridReader.js'
import {
  runFrontierChunk,
  type BadRow,
  type FrontierPoints,
  type GridTextResult,
  type GridTextTask,
} from './frontierRows.js'

const decoder = new TextDecoder('utf-8')

const concat = (parts: readonly Float64Array[]): Float64Array => {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Parses, sweeps and formats a piece of a grid: the work of a frontier worker for `--grid`. */
export function runGridText(core: AcCoreApi, task: GridTextTask): GridTextResult {
  const text = decoder.decode(task.bytes)
  const parts: string[] = []
  const bad: BadRow[] = []
  const points: FrontierPoints[] = []
  let rows = 0
  for (const rc of parseGridText(text, task.layout, task.chunkRows)) {
    const r = runFrontierChunk(core, rc.chunk, task.format, task.wantPoints)
    if (r.text.length > 0) parts.push(r.text)
    const all = rc.parseErrors.length === 0 ? r.bad : [...rc.parseErrors, ...r.bad].sort((a, b) => a.line - b.line)
    for (const b of all) bad.push(b)
    if (r.points) points.push(r.points)
    rows += rc.chunk.rows
  }
  const result = { text: parts.join(task.format === 'csv' ? '\n' : ',\n'), bad, lines: countLines(text), rows }
  if (!task.wantPoints) return result
  return {
    ...result,
    points: {
      riskAversion: concat(points.map((p) => p.riskAversion)),
      expectedCost: concat(points.map((p) => p.expectedCost)),
      stdDev: concat(points.map((p) => p.stdDev)),
    },
  }
}
