// `npm start`: the placement service (see README for its settings).
import { serve } from './serve.js'

serve().catch((err: unknown) => {
  process.stderr.write(`acx: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
