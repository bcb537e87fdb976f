// The worker thread of `acx frontier` and `acx simulate`: one WebAssembly core per thread. Built as its
// own entry (dist/esm/researchWorker.js); from source it is bundled on the fly (workerPool.ts).
import { parentPort } from 'node:worker_threads'
import { loadAcCoreSync } from '@acx/ac-core-wasm'
import {
  ResultBuilder,
  transferablesOf,
  type BadRow,
  type EncodedResult,
  type FrontierChunk,
  type GridTextTask,
  type OutputFormat,
  type SweepState,
} from './frontierRows.js'
import { runGridText } from './gridText.js'
import { readParquetRows, type ParquetRowsTask } from './parquetRows.js'
import { simulateBlock, type SimulationBlock, type SimulationBlockResult } from './simulation.js'

export type WorkerRequest =
  | {
      readonly kind: 'frontier'
      readonly chunk: FrontierChunk
      /** Rows the reader could not use (empty cells of a columnar grid), reported in order with the rest. */
      readonly parseErrors?: readonly BadRow[]
      readonly format: OutputFormat
      readonly wantPoints: boolean
    }
  | { readonly kind: 'grid'; readonly task: GridTextTask }
  | {
      readonly kind: 'parquet'
      readonly task: ParquetRowsTask
      readonly format: OutputFormat
      readonly wantPoints: boolean
    }
  | { readonly kind: 'simulate'; readonly block: SimulationBlock }

export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly value: EncodedResult | SimulationBlockResult }
  | { readonly id: number; readonly ok: false; readonly error: string }

const core = loadAcCoreSync()
const state: SweepState = {}

/** Does one request on this thread's core: what the worker runs for each message (tests call it in-thread). */
export async function handleRequest(m: WorkerRequest): Promise<EncodedResult | SimulationBlockResult> {
  if (m.kind === 'grid') return runGridText(core, state, m.task)
  if (m.kind === 'frontier' || m.kind === 'parquet') {
    const chunks = m.kind === 'parquet' ? await readParquetRows(m.task) : [m]
    const rows = chunks.reduce((n, c) => n + c.chunk.rows, 0)
    const out = new ResultBuilder(m.format, m.wantPoints, rows * 160) // about a CSV row each
    for (const { chunk, parseErrors } of chunks) out.add(core, state, chunk, parseErrors)
    return out.finish()
  }
  return simulateBlock(m.block, core)
}

const port = parentPort
if (port !== null) {
  port.on('message', (m: WorkerRequest & { id: number }) => {
    handleRequest(m).then(
      (value) => {
        const transfer = m.kind === 'simulate' ? [] : transferablesOf(value as EncodedResult)
        port.postMessage({ id: m.id, ok: true, value } satisfies WorkerResponse, transfer)
      },
      (e: unknown) => {
        port.postMessage({
          id: m.id,
          ok: false,
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        } satisfies WorkerResponse)
      },
    )
  })
}
