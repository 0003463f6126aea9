import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createLogger } from '../../platform/logger';
import { migrate } from '../../platform/migrate';
import { createPool } from '../../platform/postgres';
import { startContainers } from './containers';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Makes sure real Kafka, PostgreSQL and Redis are there and migrated, once for the whole run:
 * the ones named by KAFKA_BROKERS / DATABASE_URL / REDIS_URL (scripts/test.sh sets them), else
 * containers where a Docker engine answers, else the project's local stack.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.DATABASE_URL || !process.env.KAFKA_BROKERS || !process.env.REDIS_URL) {
    const started = await startContainers().catch(() => undefined);
    if (started) Object.assign(process.env, started);
    else {
      execFileSync('bash', [path.join(ROOT, 'scripts/infra/stack.sh'), 'up'], { stdio: 'inherit' });
      const env = execFileSync('bash', [path.join(ROOT, 'scripts/infra/stack.sh'), 'env'], {
        encoding: 'utf8',
      });
      for (const [, key, value] of env.matchAll(/^export (\w+)=(.*)$/gm)) process.env[key!] ??= value;
      process.env.DATABASE_URL = process.env.DATABASE_URL!.replace(/\/ledger$/, '/ledger_test');
      process.env.REDIS_URL = `${process.env.REDIS_URL!.replace(/\/$/, '')}/1`;
    }
  }
  // Every topic a test file makes starts with this, so that global-teardown.ts deletes this run's
  // topics, and only them (other runs may share the broker).
  process.env.TEST_TOPIC_RUN ??= `t-${randomUUID().slice(0, 6)}-`;
  process.env.LOG_LEVEL ??= 'silent';
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const pool = createPool({ url: process.env.DATABASE_URL!, max: 1, applicationName: 'test-setup' });
  try {
    await migrate(pool, createLogger({ service: 'test-setup', level: 'warn', pretty: false }));
  } finally {
    await pool.end();
  }
}
