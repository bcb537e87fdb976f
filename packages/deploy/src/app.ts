import { App } from 'aws-cdk-lib'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { AcxStack } from './acxStack.js'
import { ENVIRONMENTS, type EnvironmentConfig } from './environments.js'
import { DeployError } from './errors.js'

/** Where `npm run bundle -w @acx/service` writes the Lambda artefact (found through the package, wherever this runs from). */
const LAMBDA_BUNDLE_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@acx/service/package.json')),
  'build/lambda',
)

/**
 * The stack of the environment `-c env=NAME` names (one stack per environment, `Acx-<name>`). An unknown
 * or missing name, a missing bundle or settings the service would refuse stop the synth with a
 * `DeployError` saying what to change.
 */
export function addEnvironmentStack(
  app: App,
  environments: Readonly<Record<string, EnvironmentConfig>> = ENVIRONMENTS,
  lambdaBundleDir = LAMBDA_BUNDLE_DIR,
): AcxStack {
  const name: unknown = app.node.tryGetContext('env')
  const config = typeof name === 'string' && Object.hasOwn(environments, name) ? environments[name] : undefined
  if (typeof name !== 'string' || config === undefined)
    throw new DeployError(
      'DEPLOY_UNKNOWN_ENVIRONMENT',
      `-c env=${String(name ?? '')}: pass -c env=${Object.keys(environments).join('|')} (src/environments.ts)`,
    )
  if (!existsSync(join(lambdaBundleDir, 'index.mjs')))
    throw new DeployError(
      'DEPLOY_BUNDLE_MISSING',
      `${lambdaBundleDir}/index.mjs is missing: run npm run bundle -w @acx/service`,
    )
  return new AcxStack(app, `Acx-${name}`, {
    environment: name,
    config,
    lambdaBundleDir,
    env: { region: config.region, ...(config.account ? { account: config.account } : {}) },
    description: `acx ${name}: SQS intake, Lambda executor, DynamoDB store, alarms on the rollout's success criteria`,
  })
}
