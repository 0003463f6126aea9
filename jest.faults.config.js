/** The fault-injection suite (npm run test:faults): it kills and restarts its own Kafka,
 *  PostgreSQL, Redis and the services, so it runs alone, one file at a time, on the instance
 *  scripts/test-faults.sh provisions. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/tests/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.tools/'],
  globalSetup: '<rootDir>/tests/faults/support/global-setup.ts',
  testTimeout: 240_000,
  maxWorkers: 1,
};
