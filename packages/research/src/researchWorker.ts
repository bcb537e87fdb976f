// The worker thread of `acx frontier` and `acx simulate`: one WebAssembly core per thread. Built as its
// own entry (dist/esm/research/researchWorker.js); from source it is bundled on the fly (workerPool.ts).
import { parentPort } from 'node:worker_threads'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import {
  runFrontierChunk,
  type FrontierChunk,
  type FrontierChunkResult,
  type GridTextResult,
  type GridTextTask,
  type OutputFormat,
} from './frontierRows.js'
import { runGridText } from './gridText.js'
import { simulateBlock, type SimulationBlock, type SimulationBlockResult } from './simulation.js'

export type WorkerRequest =
  | {
      readonly kind: 'frontier'
      readonly chunk: FrontierChunk
      readonly format: OutputFormat
      readonly wantPoints: boolean
    }
  | { readonly kind: 'grid'; readonly task: GridTextTask }
  | { readonly kind: 'simulate'; readonly block: SimulationBlock }

export type WorkerResponse =
  | {
      readonly id: number
      readonly ok: true
      readonly value: FrontierChunkResult | GridTextResult | SimulationBlockResult
    }
  | { readonly id: number; readonly ok: false; readonly error: string }

const core = loadAcCoreSync()
const port = parentPort

if (port !== null) {
  port.on('message', (m: WorkerRequest & { id: number }) => {
    void (async () => {
      try {
        if (m.kind === 'frontier' || m.kind === 'grid') {
          const value =
            m.kind === 'frontier' ? runFrontierChunk(core, m.chunk, m.format, m.wantPoints) : runGridText(core, m.task)
          const transfer = value.points
            ? [
                value.points.riskAversion.buffer as ArrayBuffer,
                value.points.expectedCost.buffer as ArrayBuffer,
                value.points.stdDev.buffer as ArrayBuffer,
              ]
            : []
          port.postMessage({ id: m.id, ok: true, value } satisfies WorkerResponse, transfer)
        } else {
          const value = await simulateBlock(m.block, core)
          port.postMessage({ id: m.id, ok: true, value } satisfies WorkerResponse)
        }
      } catch (e) {
        port.postMessage({
          id: m.id,
          ok: false,
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        } satisfies WorkerResponse)
      }
    })()
  })
}
