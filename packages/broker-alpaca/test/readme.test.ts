// Every README example meant to run (a ```ts block) runs as written, here against the fake Alpaca.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeAlpaca, type FakeAlpacaServer } from '@acx/test-utils'
import { writeReadmeExamples } from '../../../scripts/readmeExamples.mjs'

describe('the README examples', () => {
  let server: FakeAlpacaServer
  const saved = { ...process.env }
  beforeAll(async () => {
    server = await startFakeAlpaca({ quotes: { AAPL: { bid: '190.01', ask: '190.03' } } })
    Object.assign(process.env, {
      APCA_API_KEY_ID: server.keyId,
      APCA_API_SECRET_KEY: server.secretKey,
      APCA_API_BASE_URL: server.tradingBaseUrl,
      APCA_DATA_BASE_URL: server.dataBaseUrl,
    })
  })
  afterAll(async () => {
    for (const k of ['APCA_API_KEY_ID', 'APCA_API_SECRET_KEY', 'APCA_API_BASE_URL', 'APCA_DATA_BASE_URL'])
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    await server.close()
  })

  for (const example of writeReadmeExamples(new URL('../README.md', import.meta.url))) {
    it(`run: the block at README.md line ${example.line}`, async () => {
      const before = server.requests.length
      await import(example.file)
      // it really talked to the venue it was pointed at
      expect(server.requests.length).toBeGreaterThan(before)
    })
  }
})
