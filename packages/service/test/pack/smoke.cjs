// Runs inside an empty project with the packed tarballs installed (scripts/checkPackage.mjs).
const { ConfigSchema, SERVICE_ERRORS } = require('@acx/service')

if (SERVICE_ERRORS.SERVICE_DRAINING.status !== 503) throw new Error('error table')
if (!ConfigSchema.safeParse({ ACX_PORT: '99999' }).error) throw new Error('port 99999 accepted')
