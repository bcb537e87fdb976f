import { Dec } from '@acx/engine'

/** Why a body is not acceptable JSON; `at` is the character offset. */
class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError'
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(`${message} at character ${at}`)
  }
}

/** How deep objects and arrays may nest: an intent is flat; this only stops stack exhaustion. */
const MAX_DEPTH = 32

const NUMBER_RE = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y
const WS_RE = /[ \t\n\r]*/y

/**
 * JSON.parse, stricter where a money API needs it:
 * - a duplicate key in an object is refused (JSON.parse keeps the last one silently, so two layers can
 *   disagree about what was asked);
 * - a number whose value a double cannot hold (`1e9000000000000000` → Infinity,
 *   `9007199254740993` → …992) is refused instead of rounded: quantities travel as strings;
 * - `__proto__` and other keys become own data properties, never a prototype.
 * Everything else follows RFC 8259 (no comments, no trailing commas, no lone surrogates check beyond JSON.parse's).
 */
export function parseStrictJson(text: string): unknown {
  let i = 0
  const skip = (): void => {
    WS_RE.lastIndex = i
    WS_RE.exec(text)
    i = WS_RE.lastIndex
  }
  const fail = (message: string): never => {
    throw new StrictJsonError(message, i)
  }

  const string = (): string => {
    const start = i
    i++ // opening quote
    for (;;) {
      const c = text.charCodeAt(i)
      if (Number.isNaN(c)) fail('unterminated string')
      if (c === 0x22) break
      if (c === 0x5c) i += 2
      else if (c < 0x20) fail('control character in string')
      else i++
    }
    i++
    try {
      return JSON.parse(text.slice(start, i)) as string
    } catch {
      return fail('bad escape in string')
    }
  }

  const number = (): number => {
    NUMBER_RE.lastIndex = i
    const m = NUMBER_RE.exec(text)
    if (!m) return fail('unexpected character')
    const source = m[0]
    const value = Number(source)
    // exact: the decimal written equals the decimal of the double it became
    if (!Number.isFinite(value) || !new Dec(source).eq(new Dec(value.toString()))) {
      fail(
        `the number ${source.length > 40 ? `${source.slice(0, 40)}…` : source} cannot be held exactly; send it as a string`,
      )
    }
    i = NUMBER_RE.lastIndex
    return value
  }

  const literal = (word: string, value: unknown): unknown => {
    if (text.startsWith(word, i)) {
      i += word.length
      return value
    }
    return fail('unexpected character')
  }

  const value = (depth: number): unknown => {
    skip()
    const c = text[i]
    if (c === '{') return object(depth + 1)
    if (c === '[') return array(depth + 1)
    if (c === '"') return string()
    if (c === 't') return literal('true', true)
    if (c === 'f') return literal('false', false)
    if (c === 'n') return literal('null', null)
    if (c === undefined) return fail('unexpected end of input')
    return number()
  }

  const object = (depth: number): Record<string, unknown> => {
    if (depth > MAX_DEPTH) fail('nested too deeply')
    i++
    const out: Record<string, unknown> = {}
    const seen = new Set<string>()
    skip()
    if (text[i] === '}') {
      i++
      return out
    }
    for (;;) {
      skip()
      if (text[i] !== '"') fail('expected a key')
      const keyAt = i
      const key = string()
      if (seen.has(key)) {
        i = keyAt
        fail(`duplicate key "${key.length > 40 ? `${key.slice(0, 40)}…` : key}"`)
      }
      seen.add(key)
      skip()
      if (text[i] !== ':') fail('expected ":"')
      i++
      Object.defineProperty(out, key, { value: value(depth), enumerable: true, writable: true, configurable: true })
      skip()
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === '}') {
        i++
        return out
      }
      fail('expected "," or "}"')
    }
  }

  const array = (depth: number): unknown[] => {
    if (depth > MAX_DEPTH) fail('nested too deeply')
    i++
    const out: unknown[] = []
    skip()
    if (text[i] === ']') {
      i++
      return out
    }
    for (;;) {
      out.push(value(depth))
      skip()
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === ']') {
        i++
        return out
      }
      fail('expected "," or "]"')
    }
  }

  const result = value(0)
  skip()
  if (i !== text.length) fail('unexpected data after the JSON value')
  return result
}
