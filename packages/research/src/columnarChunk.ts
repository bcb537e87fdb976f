import type { GridLayout } from './gridReader.js'
import type { ReadChunk } from './chunkBuilder.js'
import { chunkColumnsFor, INPUT_COLUMNS, PARSE_ERROR, type BadRow, type InputColumn } from './frontierRows.js'

/**
 * The rows of a columnar grid (Parquet, Arrow) as a chunk to sweep: each grid column into its input
 * column, the values of columns the grid lacks, every row repeated over the risk aversions when the grid
 * has none, and a row with an empty cell marked as a parse error naming its empty columns.
 * `targets[f]`/`nulls[f]` hold grid field f (`layout.fieldColumns` order, named `names[f]` in the file)
 * for rows `firstRow`… (1-based).
 */
export function columnarChunk(
  layout: GridLayout,
  names: readonly string[],
  targets: readonly Float64Array[],
  nulls: readonly Uint8Array[],
  n: number,
  firstRow: number,
): ReadChunk {
  const expand = layout.expand
  const k = expand?.length ?? 1
  const rows = n * k
  const columns = chunkColumnsFor(rows)
  const parseError = new Uint8Array(rows)
  const lines = new Float64Array(rows)
  const parseErrors: BadRow[] = []
  INPUT_COLUMNS.forEach((c, j) => {
    const base = layout.base[j] as number
    if (!Number.isNaN(base)) columns[c].fill(base)
  })
  const fields = layout.fieldColumns.length
  for (let f = 0; f < fields; f++) {
    const col = columns[INPUT_COLUMNS[layout.fieldColumns[f] as number] as InputColumn]
    const t = targets[f] as Float64Array
    if (k === 1) col.set(t.subarray(0, n))
    else for (let i = 0; i < n; i++) col.fill(t[i] as number, i * k, (i + 1) * k)
  }
  if (expand !== null) for (let i = 0; i < n; i++) columns.risk_aversion.set(expand, i * k)
  if (k === 1) for (let i = 0; i < n; i++) lines[i] = firstRow + i
  else for (let i = 0; i < n; i++) lines.fill(firstRow + i, i * k, (i + 1) * k)
  // Most grids have no empty cell: look row by row only in columns that have one.
  const withNulls = nulls.flatMap((z, f) => (z.subarray(0, n).includes(1) ? [f] : []))
  if (withNulls.length > 0)
    for (let i = 0; i < n; i++) {
      const empty = withNulls.filter((f) => (nulls[f] as Uint8Array)[i] === 1)
      if (empty.length === 0) continue
      parseError.fill(1, i * k, (i + 1) * k)
      parseErrors.push({
        line: firstRow + i,
        status: PARSE_ERROR,
        message: `empty ${empty.map((f) => names[f]).join(', ')}`,
      })
    }
  return { chunk: { rows, columns, parseError, lines }, parseErrors }
}
