import { packageTestConfig } from '../../vitest.shared.js'

export default packageTestConfig({ statements: 85, branches: 75, functions: 80, lines: 88 })
