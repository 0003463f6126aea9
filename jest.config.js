/** Unit tests sit beside the code (*.test.ts); integration tests live in tests/ and talk to the
 *  real Kafka, PostgreSQL and Redis that scripts/test.sh provisions. The fault-injection suite
 *  (tests/faults) kills its own infrastructure and runs apart: npm run test:faults. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.tools/', '<rootDir>/tests/faults/'],
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
