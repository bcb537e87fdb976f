import { packageTestConfig } from '../../vitest.shared.js'

export default packageTestConfig({ statements: 91, branches: 85, functions: 95, lines: 92 })
