// Runs inside an empty project that installed the packed tarballs: the CommonJS build, the real SDK, one request.
const { createServer } = require('node:http')
const { createAlpacaBroker } = require('@acx/broker-alpaca')

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ symbol: 'AAPL', status: 'active', tradable: true, fractionable: false }))
})
server.listen(0, '127.0.0.1', async () => {
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
    if (!asset.tradable || asset.fractionable) throw new Error(`unexpected asset ${JSON.stringify(asset)}`)
    await broker.close()
  } catch (e) {
    process.exitCode = 1
    console.error(e)
  } finally {
    server.close()
  }
})
