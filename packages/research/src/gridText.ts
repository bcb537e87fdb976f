import type { WasmAcCore } from '@acx/ac-core-wasm'
import { ChunkBuilder } from './chunkBuilder.js'
import { parseGridBytes } from './gridBytes.js'
import { ResultBuilder, type EncodedResult, type GridTextTask, type SweepState } from './frontierRows.js'

/**
 * This thread's chunk arrays, reused piece after piece: a piece is parsed, swept and encoded to the end
 * before `runGridText` returns, and nothing it returns refers to them. Allocated per piece (a few MB of
 * typed arrays each), they made V8 run a full collection every 100,000 rows or so.
 */
let reused: ChunkBuilder | undefined

/** Parses, sweeps and encodes a piece of a grid: the work of a frontier worker for a CSV grid. */
export function runGridText(core: WasmAcCore, state: SweepState, task: GridTextTask): EncodedResult {
  const withText = task.format === 'csv'
  if (reused === undefined || !reused.fits(task.chunkRows, withText))
    reused = new ChunkBuilder(task.chunkRows, withText, true)
  // CSV output is each input line and about four numbers more
  const expansion = task.layout.expand?.length ?? 1
  const out = new ResultBuilder(task.format, task.wantPoints, Math.ceil(task.bytes.length * 2.5 * expansion) + 4096)
  const chunks = parseGridBytes(task.bytes, task.layout, reused)
  for (;;) {
    const next = chunks.next()
    if (next.done === true) return out.finish(next.value)
    out.add(core, state, next.value.chunk, next.value.parseErrors)
  }
}
