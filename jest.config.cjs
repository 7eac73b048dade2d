// One jest run for the whole workspace. Tests load the packages through their
// built ESM and CJS entry points (see test/support/builds.ts), so `pnpm build`
// runs first.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/test/**/*.test.ts'],
  // .cache/ holds scratch folders, e.g. the README snippets test/readme.test.ts
  // writes; .otel3/ is the OTel 3.x copy of the workspace (scripts/otel3.mjs).
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/.cache/', '<rootDir>/.otel3/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/.*/package.json', '<rootDir>/.cache/', '<rootDir>/.otel3/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
