import { packageTestConfig } from '../../vitest.shared.js'

export default packageTestConfig({ statements: 90, branches: 85, functions: 90, lines: 93 })
