import { packageTestConfig } from '../../vitest.shared.js'

export default packageTestConfig({ statements: 95, branches: 80, functions: 95, lines: 95 })
