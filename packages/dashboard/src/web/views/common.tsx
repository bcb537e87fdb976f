import { ApiError } from '../api.js'
import type { StreamState } from '../sse.js'

export const errorText = (err: unknown): string =>
  err instanceof ApiError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err)

export function LiveBadge(props: { state: StreamState }) {
  const label = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', ended: 'ended' }[props.state]
  return (
    <span class={`live live-${props.state}`} role="status" data-testid="live-state">
      {label}
    </span>
  )
}
