// Every README example meant to run (a ```ts block) runs as written.
import { describe, it } from 'vitest'
import { writeReadmeExamples } from '../../../scripts/readmeExamples.mjs'

describe('the README examples', () => {
  for (const example of writeReadmeExamples(new URL('../README.md', import.meta.url))) {
    it(`run: the block at README.md line ${example.line}`, async () => {
      await import(example.file)
    })
  }
})
