import type { ApiEvent } from './apiTypes.js'

type Json = Record<string, unknown>
const o = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {})
const s = (v: unknown): string => (v === null || v === undefined ? '–' : String(v))

/** One line saying what a journal entry (an event of the API) records, in the API's own figures. */
export function describeEvent(e: ApiEvent): string {
  switch (e.type) {
    case 'execution_started':
      return `strategy ${s(e.strategy)}${e.resumed === true ? ' (resumed)' : ''}`
    case 'arrival_quote': {
      const q = o(e.quote)
      return e.quote ? `bid ${s(q.bid)} ask ${s(q.ask)} mid ${s(q.mid)}` : 'no usable quote'
    }
    case 'execution_planned': {
      const p = o(e.plan)
      const slices = Array.isArray(p.slices) ? p.slices.length : 0
      const estimate =
        p.expectedCostBps === null || p.expectedCostBps === undefined
          ? ''
          : `, expected ${s(p.expectedCostBps)} bps ± ${s(p.expectedStdBps)}`
      return `${s(p.strategy)}: ${slices} slice${slices === 1 ? '' : 's'} over ${s(p.horizonSeconds)} s${estimate}`
    }
    case 'child_order_created': {
      const c = o(e.order)
      const limit = c.limitPrice ? ` limit ${s(c.limitPrice)}` : ''
      return `${s(c.clientOrderId)}: ${s(c.type)} ${s(c.side)} ${s(c.quantity)}${limit}`
    }
    case 'child_order_status': {
      const c = o(e.order)
      return `${s(e.clientOrderId)}: ${s(e.from)} → ${s(e.to)}, filled ${s(c.filledQuantity)}`
    }
    case 'fill': {
      const f = o(e.fill)
      return `${s(f.quantity)} at ${s(f.price)} (${s(f.clientOrderId)})`
    }
    case 'risk_check_failed':
      return `${s(e.code)}: ${s(e.message)}`
    case 'execution_finished': {
      const error = o(o(e.result).error)
      return `${s(e.status)}${error.message ? `: ${s(error.code)} ${s(error.message)}` : ''}`
    }
    default:
      return ''
  }
}
