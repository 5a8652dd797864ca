/**
 * One jest run over every package. Tests import sources directly (no build needed):
 * `@stratum-relay/<pkg>` maps to `packages/<pkg>/src`. Type errors are `tsc -b`'s job.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
    // trace-view's browser assets are plain ES modules; its node tests import them as CommonJS.
    '/packages/trace-view/assets/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@stratum-relay/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
};
