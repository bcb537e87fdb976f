// The README examples that are meant to run, as files a test can import: every fenced block whose info
// string is exactly `ts` (a block marked `ts fragment` is a signature or an excerpt and is not run).
// Each is written under the package's .readme-examples/ (ignored by git) so that its imports resolve
// as the package's own tests do.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** @param {string} markdown */
export function runnableBlocks(markdown) {
  const blocks = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end].trim() !== '```') end++
    blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') })
    i = end
  }
  return blocks
}

/**
 * Writes the runnable blocks of a package's README to files; returns them with the line each starts on.
 * @param {string | URL} readme the README's path or file URL
 */
export function writeReadmeExamples(readme) {
  const path = readme instanceof URL ? fileURLToPath(readme) : readme
  const dir = join(dirname(path), '.readme-examples')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return runnableBlocks(readFileSync(path, 'utf8')).map((b) => {
    const file = join(dir, `line-${b.line}.ts`)
    writeFileSync(file, `${b.code}\n`)
    return { line: b.line, file }
  })
}
