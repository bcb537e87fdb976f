import { packageTestConfig } from '../../vitest.shared.js'

export default packageTestConfig({ lines: 0, branches: 0, functions: 0, statements: 0 })
