// `cdk synth` as CI and an operator run it (the CLI, offline, through cdk.json's app command), then
// cfn-lint over the templates of every environment when it is installed (pip install cfn-lint).
import { App } from 'aws-cdk-lib'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { addEnvironmentStack } from '../src/app.js'
import { ENVIRONMENTS } from '../src/environments.js'

const run = promisify(execFile)
const packageDir = join(import.meta.dirname, '..')
/** The aws-cdk CLI this package pins. */
const CDK = join(dirname(createRequire(import.meta.url).resolve('aws-cdk/package.json')), 'bin/cdk')
const out = mkdtempSync(join(tmpdir(), 'acx-cdk-'))

/** cfn-lint's version, or undefined when it is not installed. */
const cfnLint = await run('cfn-lint', ['--version']).then(
  (r) => r.stdout.trim(),
  () => undefined,
)

describe('cdk synth', { timeout: 120_000 }, () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('synthesizes dev offline with the CLI, the bundle as the function code', async () => {
    await run(process.execPath, [CDK, 'synth', '-c', 'env=dev', '--quiet', '--no-notices', '-o', join(out, 'dev')], {
      cwd: packageDir,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    })
    const template = JSON.parse(readFileSync(join(out, 'dev/Acx-dev.template.json'), 'utf8'))
    expect(template.Resources).toBeDefined()
    const assets = JSON.parse(readFileSync(join(out, 'dev/Acx-dev.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging: string } }>
    }
    const code = Object.values(assets.files).find((f) => f.source.packaging === 'zip')!
    expect(readFileSync(join(out, 'dev', code.source.path, 'index.mjs')).length).toBeGreaterThan(100_000)
  })

  it('passes cfn-lint for every environment (skipped when cfn-lint is not installed)', async (ctx) => {
    if (cfnLint === undefined) {
      console.warn('cfn-lint not found: the templates were not linted (pip install cfn-lint)')
      ctx.skip('cfn-lint not found (pip install cfn-lint)')
    }
    const files: string[] = []
    for (const name of Object.keys(ENVIRONMENTS)) {
      const app = new App({ outdir: join(out, `lint-${name}`), context: { env: name } })
      addEnvironmentStack(app)
      app.synth()
      files.push(join(out, `lint-${name}`, `Acx-${name}.template.json`))
    }
    // W3005: CDK writes a DependsOn on the role that a GetAtt already implies; harmless and not ours to change
    const result = await run('cfn-lint', ['--ignore-checks', 'W3005', '--', ...files]).then(
      (r) => ({ code: 0, output: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, output: e.stdout }),
    )
    expect(result).toEqual({ code: 0, output: '' })
  })
})
