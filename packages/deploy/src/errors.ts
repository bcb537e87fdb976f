/** What stops a synth: a configuration the service would refuse, or one the deployment cannot run. */
const DEPLOY_ERRORS = {
  DEPLOY_UNKNOWN_ENVIRONMENT: 'No such environment: pass -c env=NAME with a name from src/environments.ts',
  DEPLOY_INVALID_SETTINGS: "The environment's settings are invalid",
  DEPLOY_EXECUTION_TOO_LONG: "An execution cannot finish inside Lambda's 15 minutes",
  DEPLOY_BUNDLE_MISSING: 'The Lambda bundle is not built: run npm run bundle -w @acx/service',
} as const
type DeployErrorCode = keyof typeof DEPLOY_ERRORS

export class DeployError extends Error {
  override readonly name = 'DeployError'
  constructor(
    readonly code: DeployErrorCode,
    message?: string,
    opts?: { cause?: unknown },
  ) {
    super(message ?? DEPLOY_ERRORS[code], opts)
  }
}
