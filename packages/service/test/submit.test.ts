// `acx submit` end to end (the service's part; @acx/cli only maps its flags onto these options): against a
// running service (HTTP, with its bearer token) and against an SQS queue (local-aws-sqs), and the refusals
// that send nothing.
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { submitCommand, type SubmitCommandOptions } from '../src/commands.js'
import { startLocalSqs, type LocalSqs } from './support/localAws.js'
import { FAST_ENV, startService, tempDir, type RunningService } from './support/testService.js'

const TOKEN = 'submit-test-token-0123456789'
const FLAGS = { side: 'BUY', symbol: 'AAPL', quantity: '10', urgency: 'MEDIUM' }

/** What `acx submit` prints and its exit code. */
async function submit(opts: Omit<SubmitCommandOptions, 'url'> & { url?: string }) {
  const { output, exitCode } = await submitCommand({ url: 'http://127.0.0.1:9', ...opts })
  return { code: exitCode, stdout: output }
}

describe('acx submit over HTTP', () => {
  const tmp = tempDir()
  let svc: RunningService
  beforeAll(async () => {
    svc = await startService({ ...FAST_ENV, ACX_DB_PATH: `${tmp.dir}/acx.sqlite`, ACX_API_TOKEN: TOKEN })
  })
  afterAll(async () => {
    await svc.stop()
    tmp.cleanup()
  })

  it('sends the intent with the token and prints the API answer; the same again is a duplicate', async () => {
    const first = await submit({ ...FLAGS, correlationId: 'test-ac-001', url: svc.url, token: TOKEN })
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({ correlationId: 'test-ac-001', status: 'queued', created: true })
    const executionId = JSON.parse(first.stdout).executionId as string
    expect(executionId).toMatch(/^ex_/)
    process.env.ACX_API_TOKEN = TOKEN // the token from the environment this time
    try {
      const again = await submit({ ...FLAGS, correlationId: 'test-ac-001', url: svc.url })
      expect(again.code).toBe(0)
      expect(JSON.parse(again.stdout)).toMatchObject({ executionId, created: false })
    } finally {
      delete process.env.ACX_API_TOKEN
    }
    expect(first.stdout).not.toContain(TOKEN)
  })

  it('prints the service refusal and exits 1, never echoing the token', async () => {
    const wrong = 'wrong-token-but-long-enough'
    const r = await submit({ ...FLAGS, correlationId: 'test-ac-002', url: svc.url, token: wrong })
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'SERVICE_UNAUTHORIZED' })
    expect(r.stdout).not.toContain(wrong)
  })

  it('refuses an invalid intent with the API error shape, sending nothing (exit 2)', async () => {
    const r = await submit({
      side: 'HOLD',
      symbol: 'AAPL',
      quantity: '-3',
      urgency: 'MEDIUM',
      correlationId: 'test-ac-003',
      url: svc.url,
      token: TOKEN,
    })
    expect(r.code).toBe(2)
    const answer = JSON.parse(r.stdout)
    expect(answer.error).toBe('SERVICE_INVALID_REQUEST')
    expect(answer.issues.map((i: { path: string }) => i.path).sort()).toEqual(['quantity', 'side'])
    expect(await svc.service.store.getExecutionByCorrelationId('test-ac-003')).toBeNull()
    const dup = await submit({ json: '{"side":"BUY","side":"SELL"}', url: svc.url })
    expect(dup.code).toBe(2)
    expect(JSON.parse(dup.stdout)).toMatchObject({
      error: 'SERVICE_INVALID_REQUEST',
      message: expect.stringContaining('--json'),
    })
  })
})

describe('acx submit onto the intake queue', () => {
  let sqs: LocalSqs
  beforeAll(async () => {
    sqs = await startLocalSqs([{ QueueName: 'intents' }])
    process.env.AWS_ACCESS_KEY_ID ??= 'x'
    process.env.AWS_SECRET_ACCESS_KEY ??= 'x'
  })
  afterAll(() => sqs.stop())

  it('puts the intent on the queue as the Lambda reads it, and prints the message id', async () => {
    const intent = { side: 'SELL', symbol: 'MSFT', quantity: '5', urgency: 'LOW', correlationId: 'q-1' }
    const r = await submit({
      json: JSON.stringify(intent),
      queueUrl: sqs.queueUrl('intents'),
      endpoint: sqs.endpoint,
      region: 'us-east-1',
    })
    expect(r.code).toBe(0)
    const answer = JSON.parse(r.stdout)
    expect(answer).toMatchObject({ queued: true, correlationId: 'q-1', queueUrl: sqs.queueUrl('intents') })
    const got = await sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl('intents'), WaitTimeSeconds: 1 }),
    )
    expect(got.Messages?.map((m) => [m.MessageId, JSON.parse(m.Body!)])).toEqual([[answer.messageId, intent]])
  })
})
