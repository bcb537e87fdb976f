import { packageTestConfig } from '../../vitest.shared.js'

export default packageTestConfig({ statements: 90, branches: 84, functions: 94, lines: 93 })
