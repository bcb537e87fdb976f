import type { WasmAcCore } from '@acx/ac-core-wasm'
import { countLines, parseGridText } from './gridReader.js'
import { ResultBuilder, type EncodedResult, type GridTextTask, type SweepState } from './frontierRows.js'

const decoder = new TextDecoder('utf-8')

/** Parses, sweeps and encodes a piece of a grid: the work of a frontier worker for a CSV grid. */
export function runGridText(core: WasmAcCore, state: SweepState, task: GridTextTask): EncodedResult {
  const text = decoder.decode(task.bytes)
  const out = new ResultBuilder(task.format, task.wantPoints)
  for (const rc of parseGridText(text, task.layout, task.chunkRows)) out.add(core, state, rc.chunk, rc.parseErrors)
  return out.finish(countLines(text))
}
