import { readFileSync } from 'node:fs'

/**
 * A documented Alpaca payload from ./fixtures (each file notes its docs.alpaca.markets source):
 * `account`, `asset`, `calendar`, `clock`, `cryptoAsset`, `cryptoLatestQuotes`, `errors`, `latestQuote`, `order`,
 * `position`,
 * `tradeUpdateFill`.
 */
export function readAlpacaFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as T
}
