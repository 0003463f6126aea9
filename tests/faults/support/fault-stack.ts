import { execFile } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
const STACK_SH = path.join(ROOT, 'scripts/infra/stack.sh');

/** The shared development instance's ports: the fault suite refuses to touch them. */
const SHARED_PORTS = new Set(['15432', '19092', '19093', '16379']);

export type Component = 'postgres' | 'redis' | 'kafka' | `kafka:${1 | 2 | 3}`;

/**
 * The fault suite's own Kafka / PostgreSQL / Redis (scripts/infra/stack.sh with a data folder
 * and ports of its own, LEDGER_*), which it kills and restarts. `settings` override the LEDGER_*
 * variables scripts/test-faults.sh exported; `external` names the connection variables passed
 * through, so stack.sh leaves those components alone (the cluster shares PostgreSQL and Redis).
 */
export function faultStack(settings: Record<string, string> = {}, external: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...settings };
  for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL'])
    if (!external.includes(name)) delete env[name];
  assertDedicated(env);

  const run = (...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('bash', [STACK_SH, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) =>
        error
          ? reject(new Error(`stack.sh ${args.join(' ')}: ${error.message}\n${stderr}`))
          : resolve(stdout),
      ),
    );

  return {
    /** Starts whatever is stopped and resolves once everything answers (stack.sh up). */
    up: () => run('up'),
    down: () => run('down'),
    /** PostgreSQL: immediate shutdown; Redis and Kafka nodes: kill -9. */
    crash: (component: Component) => run('crash', component),
    /** The connection variables of this instance (KAFKA_BROKERS, DATABASE_URL, REDIS_URL). */
    async connection(): Promise<Record<string, string>> {
      const out = await run('env');
      const vars: Record<string, string> = {};
      for (const [, key, value] of out.matchAll(/^export (\w+)=(.*)$/gm)) vars[key!] = value!;
      return vars;
    },
  };
}

export type FaultStack = ReturnType<typeof faultStack>;

/** Throws unless the settings name a data folder and ports of their own (never the shared instance's). */
function assertDedicated(env: NodeJS.ProcessEnv): void {
  const dataDir = env.LEDGER_DATA_DIR ? path.resolve(env.LEDGER_DATA_DIR) : '';
  if (!dataDir || dataDir === path.join(ROOT, '.data'))
    throw new Error(
      "LEDGER_DATA_DIR must name the fault suite's own folder (run it with npm run test:faults)",
    );
  for (const name of [
    'LEDGER_KAFKA_PORT',
    'LEDGER_KAFKA_CONTROLLER_PORT',
    'LEDGER_PG_PORT',
    'LEDGER_REDIS_PORT',
  ]) {
    const port = env[name];
    if (!port || SHARED_PORTS.has(port))
      throw new Error(`${name} must be set to a port of the fault suite's own`);
  }
}
