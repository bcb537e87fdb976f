// Runs inside an empty project that installed the packed tarballs: the ESM build, the real SDK, one request.
import { createServer } from 'node:http'
import { createAlpacaBroker, isAlpacaError } from '@acx/broker-alpaca'

const server = createServer((req, res) => {
  const ok = req.headers['apca-api-key-id'] === 'PKSMOKE' && req.url === '/v2/assets/AAPL'
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify(
      ok
        ? { symbol: 'AAPL', status: 'active', tradable: true, fractionable: true }
        : { code: 40410000, message: 'not found' },
    ),
  )
})
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${server.address().port}`
try {
  const broker = createAlpacaBroker({
    keyId: 'PKSMOKE',
    secretKey: 'smoke-secret',
    tradingBaseUrl: url,
    dataBaseUrl: url,
    tradeUpdates: false,
  })
  const asset = await broker.getAsset('AAPL')
  if (!asset.tradable || !asset.fractionable) throw new Error(`unexpected asset ${JSON.stringify(asset)}`)
  await broker.close()
  try {
    createAlpacaBroker({ keyId: '', secretKey: '' })
    throw new Error('expected a config error')
  } catch (e) {
    if (!isAlpacaError(e)) throw e
  }
} finally {
  server.close()
}
