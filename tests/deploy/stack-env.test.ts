import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * `stack.sh env` prints what `npm run up` (scripts/lib.sh `provision`) exports to the services and
 * to scripts/ensure-topics.ts. Computed without starting anything: an empty data folder, and no
 * connection variables set, as on a fresh clone.
 */
function stackEnv(settings: Record<string, string>): Record<string, string> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LEDGER_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'stack-env-')),
  };
  for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL', 'KAFKA_REPLICATION_FACTOR'])
    delete env[name];
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/infra/stack.sh'), 'env'], {
    env: { ...env, ...settings },
    encoding: 'utf8',
  });
  return Object.fromEntries(
    [...out.matchAll(/^export (\w+)=(.*)$/gm)].map(([, key, value]) => [key!, value!]),
  );
}

describe('the local stack’s connection variables', () => {
  it('with LEDGER_KAFKA_NODES=3, name the three brokers and have the services replicate their topics three times', () => {
    const vars = stackEnv({ LEDGER_KAFKA_NODES: '3' });
    expect(vars.KAFKA_BROKERS).toBe('127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096');
    // ensureTopics gives topics of factor 3 min.insync.replicas 2, as the brokers' own config.
    expect(vars.KAFKA_REPLICATION_FACTOR).toBe('3');
  });

  it('with one broker, keep one replica, and never override a factor set by the operator', () => {
    expect(stackEnv({}).KAFKA_REPLICATION_FACTOR).toBe('1');
    expect(
      stackEnv({ LEDGER_KAFKA_NODES: '3', KAFKA_REPLICATION_FACTOR: '2' }).KAFKA_REPLICATION_FACTOR,
    ).toBe('2');
  });
});
