import { ResearchError } from './researchError.js'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker, type TransferListItem } from 'node:worker_threads'
import type { WorkerRequest, WorkerResponse } from './researchWorker.js'

/** A fixed set of worker threads running `researchWorker`, each with its own WebAssembly core. */
export interface WorkerPool {
  readonly size: number
  /** Runs a task on the least busy worker. */
  run<T>(request: WorkerRequest, transfer?: readonly TransferListItem[]): Promise<T>
  close(): Promise<void>
}

export const defaultWorkers = (): number => Math.max(1, availableParallelism())

let entryPromise: Promise<URL> | undefined

/**
 * Where the worker's JavaScript is. Built: `researchWorker.js` beside the bundle (`dist/esm/index.js`),
 * which the package build emits from the `src/researchWorker.ts` entry.
 * From TypeScript source (vitest, or a script bundled by scripts/runTs.mjs), there is no such file:
 * the worker source is bundled once with esbuild (a dev dependency) into
 * `node_modules/.cache/acx-research/` of this package, sibling `@acx/*` packages from source, like runTs does.
 */
function researchWorkerEntry(): Promise<URL> {
  entryPromise ??= locateEntry()
  return entryPromise
}

async function locateEntry(): Promise<URL> {
  // import.meta is empty in the CommonJS build; __filename is defined there instead.
  const here = typeof import.meta.url === 'string' ? import.meta.url : pathToFileURL(__filename).href
  if (!here.endsWith('.ts')) {
    for (const rel of ['./researchWorker.js']) {
      const url = new URL(rel, here)
      if (existsSync(url)) return url
    }
  }
  const source = here.endsWith('.ts')
    ? fileURLToPath(new URL('./researchWorker.ts', here))
    : join(dirname(createRequire(here).resolve('@acx/research/package.json')), 'src/researchWorker.ts')
  if (!existsSync(source))
    throw new ResearchError(
      'RESEARCH_WORKER',
      `acx research worker not found (no built researchWorker.js, no ${source})`,
    )
  return compileFromSource(source)
}

async function compileFromSource(source: string): Promise<URL> {
  const packageDir = join(dirname(source), '..')
  // from TypeScript source we run inside the repository: its one esbuild recipe is at the root
  const recipe = join(packageDir, '../../scripts/bundleNode.mjs')
  if (!existsSync(recipe))
    throw new ResearchError('RESEARCH_WORKER', `acx research worker: no built worker and no ${recipe} to bundle one`)
  const { bundleNode } = (await import(pathToFileURL(recipe).href)) as typeof import('../../../scripts/bundleNode.mjs')
  const code = await bundleNode({ entry: source })
  if (code === undefined) throw new ResearchError('RESEARCH_WORKER', 'esbuild produced no worker bundle')
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16)
  const dir = join(packageDir, 'node_modules/.cache/acx-research')
  const file = join(dir, `researchWorker.${hash}.mjs`)
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, code)
    renameSync(tmp, file) // atomic: parallel test processes never see half a file
  }
  return pathToFileURL(file)
}

interface Slot {
  readonly worker: Worker
  busy: number
  readonly pending: Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>
}

/** Starts `size` workers (each loads its own WebAssembly instance). */
export async function createWorkerPool(size: number): Promise<WorkerPool> {
  if (!Number.isInteger(size) || size < 1)
    throw new ResearchError('RESEARCH_BAD_INPUT', `workers must be an integer ≥ 1 (got ${size})`)
  const entry = await researchWorkerEntry()
  let nextId = 0
  let closed = false
  const slots: Slot[] = Array.from({ length: size }, () => {
    const slot: Slot = { worker: new Worker(entry), busy: 0, pending: new Map() }
    slot.worker.on('message', (m: WorkerResponse) => {
      const p = slot.pending.get(m.id)
      if (!p) return
      slot.pending.delete(m.id)
      slot.busy--
      if (m.ok) p.resolve(m.value)
      else p.reject(new ResearchError('RESEARCH_WORKER', `research worker: ${m.error}`))
    })
    const failAll = (e: unknown): void => {
      for (const p of slot.pending.values()) p.reject(e)
      slot.pending.clear()
      slot.busy = 0
    }
    slot.worker.on('error', failAll)
    slot.worker.on('exit', (code) => {
      if (!closed) failAll(new ResearchError('RESEARCH_WORKER', `research worker exited with code ${code}`))
    })
    return slot
  })
  return {
    size,
    run<T>(request: WorkerRequest, transfer: readonly TransferListItem[] = []): Promise<T> {
      if (closed) return Promise.reject(new ResearchError('RESEARCH_WORKER', 'worker pool is closed'))
      let slot = slots[0] as Slot
      for (const s of slots) if (s.busy < slot.busy) slot = s
      const id = nextId++
      slot.busy++
      return new Promise<T>((resolve, reject) => {
        slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        slot.worker.postMessage({ ...request, id }, [...transfer])
      })
    },
    async close() {
      closed = true
      await Promise.all(slots.map((s) => s.worker.terminate()))
    },
  }
}
