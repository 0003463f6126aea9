/**
 * The one place for the environment tests run the services with, in process or as child
 * processes: their own topics and consumer groups (under `prefix`), every port anywhere free
 * (several instances side by side), and rate limits far above any test's load (a test of rate
 * limits sets its own on top). Anything a test needs beyond these it passes as overrides.
 */
export function testServiceEnv(prefix: string): Record<string, string> {
  return {
    KAFKA_TOPIC_PREFIX: prefix,
    PROCESSOR_GROUP_ID: `${prefix}processor`,
    WEBHOOK_DISPATCHER_GROUP_ID: `${prefix}webhooks`,
    API_PORT: '0',
    API_OPS_PORT: '0',
    PROCESSOR_OPS_PORT: '0',
    WEBHOOK_OPS_PORT: '0',
    RATE_LIMIT_SIGNUP_PER_IP: '100000/60',
    RATE_LIMIT_READS_PER_KEY: '100000/1',
    RATE_LIMIT_WRITES_PER_KEY: '100000/1',
    RATE_LIMIT_READS_PER_TENANT: '100000/1',
    RATE_LIMIT_WRITES_PER_TENANT: '100000/1',
  };
}

/**
 * Where the tests reach Kafka and PostgreSQL: the environment (the global setup points
 * DATABASE_URL at the test database), else the local stack's ports (scripts/infra/stack.sh) and
 * the `ledger_test` database. Read when called, so that whatever set the environment first wins.
 */
export const testKafkaBrokers = (): string => process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
export const testDatabaseUrl = (): string =>
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:15432/ledger_test';

/** The local PostgreSQL's TCP listener (it listens on a Unix socket too): for a proxy a test can cut. */
export const postgresTcp = () => ({ host: '127.0.0.1', port: Number(process.env.LEDGER_PG_PORT ?? 15432) });

/** What a test that sends webhooks to its own receiver adds: plain http to 127.0.0.1. */
export const LOCAL_WEBHOOKS_ENV = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' };
