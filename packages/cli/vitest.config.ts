import { packageTestConfig } from '../../vitest.shared.js'

export default packageTestConfig({ statements: 80, branches: 70, functions: 80, lines: 80 })
