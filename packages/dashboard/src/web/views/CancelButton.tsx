import { useState } from 'preact/hooks'
import type { Api } from '../api.js'
import { isFinal, type ExecutionSummary, type ExecutionView } from '../apiTypes.js'
import { errorText } from './common.js'

/**
 * Cancel, with a confirmation in place (keyboard-usable: the question takes the focus, Escape or "No"
 * goes back). Shown while the execution can still be cancelled.
 */
export function CancelButton(props: {
  api: Api
  execution: ExecutionSummary
  onCancelled: (e: ExecutionView) => void
  onError: (message: string) => void
}) {
  const { execution: e } = props
  const [asking, setAsking] = useState(false)
  const [sending, setSending] = useState(false)
  if (isFinal(e.status) || e.cancelRequested) return null
  if (!asking)
    return (
      <button type="button" class="danger" data-testid="cancel" onClick={() => setAsking(true)}>
        Cancel
      </button>
    )
  const confirm = async () => {
    setSending(true)
    try {
      props.onCancelled(await props.api.post<ExecutionView>(`/v1/orders/${encodeURIComponent(e.executionId)}/cancel`))
    } catch (err) {
      props.onError(`${e.executionId}: ${errorText(err)}`)
    } finally {
      setSending(false)
      setAsking(false)
    }
  }
  return (
    <span
      class="confirm"
      role="group"
      aria-label={`Cancel ${e.executionId}?`}
      onKeyDown={(k) => k.key === 'Escape' && setAsking(false)}
    >
      <span>
        Cancel {e.side} {e.quantity} {e.symbol}?
      </span>{' '}
      <button
        type="button"
        class="danger"
        data-testid="confirm-cancel"
        disabled={sending}
        onClick={() => void confirm()}
      >
        Yes, cancel
      </button>{' '}
      <button type="button" autoFocus onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  )
}
