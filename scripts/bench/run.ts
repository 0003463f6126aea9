import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { z } from 'zod';
import { baseConfigShape, env, loadConfig } from '../../platform/config';
import {
  createOrderedProducer,
  createKafka,
  deleteTopics,
  ensureTopics,
  topicsFor,
} from '../../platform/kafka';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { createLogger } from '../../platform/logger';
import { migrate } from '../../platform/migrate';
import { createPool } from '../../platform/postgres';
import { outcomeStats } from './measure';
import { PROFILES, profileNamed, type BenchContext } from './profiles';
import { seedTenant } from './seed';
import { startService, type Service } from './services';
import { zipfSampler } from './zipf';
import { sleep } from '../../platform/retry';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const benchConfig = z.object({
  ...baseConfigShape,
  REDIS_URL: env.url('Redis URL', 'redis://127.0.0.1:16379'),
  BENCH_ACCOUNTS: env.int('accounts the load is spread over (Zipf)', 10_000, 10, 1_000_000),
  BENCH_COMMANDS: env.int('commands per processor profile', 100_000, 1_000, 10_000_000),
  BENCH_API_SECONDS: env.int('duration of the API profile, s', 15, 1, 600),
  BENCH_API_CONNECTIONS: env.int('concurrent HTTP connections of the API profile', 64, 1, 10_000),
  BENCH_E2E_RATE: env.int('submissions per second of the end-to-end profile', 1_000, 1, 100_000),
  BENCH_E2E_SECONDS: env.int('duration of the end-to-end profile, s', 30, 1, 600),
  BENCH_API_WORKERS: env.int('API worker processes', 2, 1, 64),
  BENCH_PROCESSORS: env.int('processor processes (one consumer group) in the processor profiles', 2, 1, 8),
  BENCH_API_PORT: env.int('API port during the bench', 3100, 1, 65_535),
  BENCH_TIMEOUT_MS: env.int('longest a profile may take to drain, ms', 600_000, 1_000, 3_600_000),
  BENCH_API_RATE_LIMITS: z
    .enum(['both', 'all', 'paired', 'on', 'off'])
    .default('paired')
    .describe(
      'API profile with rate limiting (limits above the load) paired: on and off at the same time, two API services sharing the system, half the connections each, 4 rounds swapping places (default); both: 4 runs of each, one after the other in a balanced order (off on on off on off off on); all: off, on, on without leases, in memory with Redis unreachable, each twice, balanced; on or off: that one',
    ),
  BENCH_METRICS: z
    .enum(['both', 'on', 'off'])
    .default('on')
    .describe(
      'processor and API profiles with metrics on, off (METRICS_ENABLED=false), or both: two runs of each in a balanced order (off on on off), means compared; the API profile then runs with rate limits on only',
    ),
  BENCH_PROFILES: z
    .string()
    .default(PROFILES.map((p) => p.name).join(','))
    .transform((v) => v.split(',').map((entry) => entry.trim()))
    .pipe(
      z
        .array(z.string().refine((entry) => profileNamed(entry) !== undefined, 'a profile name or number'))
        .min(1),
    )
    .transform((entries) => new Set(entries.map((entry) => profileNamed(entry)!)))
    .describe(
      `profiles to run, comma-separated, by name (${PROFILES.map((p) => p.name).join(', ')}) or number (${PROFILES.map((p) => `${p.alias}: ${p.name}`).join(', ')})`,
    ),
});

async function main(): Promise<void> {
  const config = loadConfig(benchConfig);
  const logger = createLogger({ service: 'bench', level: 'warn', pretty: false });
  const prefix = `bench-${Date.now()}.`;
  const topics = topicsFor(prefix);
  const pool = createPool({ url: config.DATABASE_URL, max: 4, applicationName: 'bench' });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'bench', logger });
  await migrate(pool, logger);
  await ensureTopics(kafka, topics);
  mkdirSync(path.join(ROOT, '.data', 'logs'), { recursive: true });

  const say = (line: string) => console.error(`[bench] ${line}`);
  say(`seeding ${config.BENCH_ACCOUNTS} accounts`);
  const seeded = await seedTenant(pool, config.BENCH_ACCOUNTS, 10n ** 12n);
  const accounts = seeded.accounts;
  const zipf = zipfSampler(accounts.length);
  const uniform = () => Math.floor(Math.random() * accounts.length);
  const amount = () => BigInt(1 + Math.floor(Math.random() * 1_000));
  const otherThan = (i: number) => {
    const j = uniform();
    return j === i ? (j + 1) % accounts.length : j;
  };
  const url = `http://127.0.0.1:${config.BENCH_API_PORT}`;
  let counter = 0;
  const submit = (label: string) =>
    ({
      method: 'POST',
      path: '/v1/transfers',
      setupRequest: (req: autocannon.Request) => {
        const s = zipf();
        return {
          ...req,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${seeded.apiKey}`,
            'idempotency-key': `${label}-${counter++}`,
          },
          body: JSON.stringify({
            source_account_id: accounts[s],
            destination_account_id: accounts[otherThan(s)],
            amount: String(amount()),
            currency: 'USD',
          }),
        };
      },
    }) as autocannon.Request;

  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    // The same bounded heap as `npm run up` gives the services.
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=192 --max-semi-space-size=16`,
    KAFKA_TOPIC_PREFIX: prefix,
    PROCESSOR_GROUP_ID: `${prefix}processor`,
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    API_PORT: String(config.BENCH_API_PORT),
    API_WORKERS: String(config.BENCH_API_WORKERS),
    // Several processors run side by side: each takes a free ops port.
    PROCESSOR_OPS_PORT: '0',
    API_OPS_PORT: '0',
    WEBHOOK_OPS_PORT: '0',
    // Limiting on, as in production, with limits far above the load: the bench measures its cost,
    // never its refusals (the api profile also runs with it off, side by side).
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_SIGNUP_PER_IP: '1000000/1',
    RATE_LIMIT_READS_PER_KEY: '1000000/1',
    RATE_LIMIT_WRITES_PER_KEY: '1000000/1',
    RATE_LIMIT_READS_PER_TENANT: '1000000/1',
    RATE_LIMIT_WRITES_PER_TENANT: '1000000/1',
  };
  const services: Service[] = [];
  const start = (name: string, entry: string, env: NodeJS.ProcessEnv = serviceEnv) => {
    const s = startService(name, entry, env);
    services.push(s);
    return s;
  };
  const startProcessors = (name: string, metrics = true) =>
    Array.from({ length: config.BENCH_PROCESSORS }, (_, i) =>
      start(config.BENCH_PROCESSORS === 1 ? name : `${name}-${i + 1}`, 'processor/src/main.js', {
        ...serviceEnv,
        METRICS_ENABLED: String(metrics),
      }),
    );
  let apiProcessorsStarted = false;
  const producer = createOrderedProducer(kafka);
  await producer.connect();
  const ctx: BenchContext = {
    config,
    pool,
    kafka,
    producer,
    topics,
    seeded,
    accounts,
    zipf,
    otherThan,
    amount,
    submit,
    url,
    serviceEnv,
    start,
    startProcessors,
    apiProcessors: () => {
      if (apiProcessorsStarted) return;
      apiProcessorsStarted = true;
      startProcessors('processor-api');
    },
    startApiService: async (name, rateLimits, metrics = true, port = config.BENCH_API_PORT) => {
      const api = start(name, 'api/src/main.js', {
        ...serviceEnv,
        API_PORT: String(port),
        RATE_LIMIT_ENABLED: String(rateLimits !== 'off'),
        METRICS_ENABLED: String(metrics),
        // Decided in memory, as during a Redis outage: a port where nothing listens.
        ...(rateLimits === 'memory' ? { REDIS_URL: 'redis://127.0.0.1:1' } : {}),
        ...(rateLimits === 'exact' ? { RATE_LIMIT_LEASE_MS: '0' } : {}),
      });
      await waitForHealth(`http://127.0.0.1:${port}`);
      return api;
    },
    say,
    rows: [],
    expected: [],
    cpuSplit: {},
  };
  for (const profile of PROFILES) if (config.BENCH_PROFILES.has(profile.name)) await profile.run(ctx);
  const { rows, expected, cpuSplit } = ctx;
  const limit = ctx.databaseLimit;

  for (const s of services)
    rows.push({
      profile: 'memory',
      figure: `${s.name} peak RSS`,
      value: s.peakRssMb(),
      unit: 'MB',
      target: '<= 300',
    });
  if (limit !== undefined)
    for (const r of rows)
      if (r.unit === '/s' && /^[1-4] /.test(r.profile))
        r.vsDatabaseLimit = `${Math.round((100 * r.value) / limit)}%`;

  await producer.disconnect();
  for (const s of services) await s.stop();
  // The run's topics hold what it produced (≈ 100 MB of commands and events).
  await deleteTopics(kafka, topics).catch((error: unknown) =>
    say(`could not delete the run's topics (${String(error)}); they stay on the broker`),
  );

  // The books, on everything written.
  say('checking invariants');
  const problems = await ledgerViolations(pool);
  // Exactly one transfer per command (the unique key makes more impossible; fewer means loss).
  const stats = await Promise.all(expected.map((e) => outcomeStats(pool, seeded.tenantId, e.label)));
  stats.forEach((s, i) => {
    const { label, minimum, maximum } = expected[i]!;
    const final = s.committed + s.rejected;
    if (s.pending > 0) problems.push(`${label}: ${s.pending} transfers still pending`);
    if (final < minimum || final > maximum)
      problems.push(`${label}: ${final} final, expected ${minimum}..${maximum}`);
  });
  const pg = await pool.query<{ version: string; sync: string; fsync: string }>(
    "SELECT version(), current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync",
  );
  await pool.end();

  const report = {
    at: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      memory_gb: Math.round(os.totalmem() / 2 ** 30),
      kernel: os.release(),
    },
    versions: {
      node: process.version,
      postgres: pg.rows[0]!.version,
      kafka: '4.1.1 (KRaft, one broker)',
      kafkajs: '2.2.4',
    },
    postgres_durability: { synchronous_commit: pg.rows[0]!.sync, fsync: pg.rows[0]!.fsync },
    configuration: {
      ...Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith('BENCH_'))),
      ...Object.fromEntries(
        Object.entries(process.env).filter(([k]) => /^(PROCESSOR_|OUTBOX_|PUBLISH_|API_)/.test(k)),
      ),
    },
    outcomes: Object.fromEntries(
      stats.map((s, i) => [expected[i]!.label, { committed: s.committed, rejected: s.rejected }]),
    ),
    results: rows,
    cpu_ms_per_transfer_by_process: cpuSplit,
    invariants: problems.length === 0 ? 'ok' : problems,
  };
  const dir = path.join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(report, null, 2));

  console.log(
    `\nmachine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memory_gb} GiB; Node ${process.version}; PostgreSQL synchronous_commit=${report.postgres_durability.synchronous_commit}, fsync=${report.postgres_durability.fsync}`,
  );
  console.table(
    rows.map((r) => ({
      profile: r.profile,
      figure: r.figure,
      value: `${r.value} ${r.unit}`.trim(),
      target: r.target ?? '',
      'vs db limit': r.vsDatabaseLimit ?? '',
    })),
  );
  if (Object.keys(cpuSplit).length > 0) {
    console.log(
      'machine CPU per transfer (webhooks: per delivery), ms, by the part of the system that spent it:',
    );
    console.table(cpuSplit);
  }
  console.log(`written to ${path.relative(ROOT, file)}`);
  if (problems.length > 0) {
    console.error(`INVARIANTS BROKEN:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    'invariants: ok (every currency sums to zero, balances equal their entries, no duplicates, every submission final)',
  );
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the API did not become healthy within 60 s');
    await sleep(200);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
