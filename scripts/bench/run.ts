import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { z } from 'zod';
import { baseConfigShape, env, loadConfig } from '../../platform/config';
import {
  createIdempotentProducer,
  createKafka,
  deleteTopics,
  ensureTopics,
  topicsFor,
} from '../../platform/kafka';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { createLogger } from '../../platform/logger';
import { migrate } from '../../platform/migrate';
import { createPool } from '../../platform/postgres';
import { databaseLimit } from './db-limit';
import { machineCpu, type CpuCost } from './machine-cpu';
import { awaitSettled, awaitThroughput, outcomeStats } from './measure';
import { publishCommands, type PlannedTransfer } from './publish';
import { publishHoldsAndCaptures } from './holds-profile';
import { seedTenant } from './seed';
import { startService, type Service } from './services';
import { runWebhookProfile } from './webhook-profile';
import { zipfSampler } from './zipf';

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
    .enum(['both', 'on', 'off'])
    .default('both')
    .describe(
      'API profile with rate limiting on (limits above the load), off, or both side by side in the same run',
    ),
  BENCH_PROFILES: z
    .string()
    .regex(/^[1-7](,[1-7])*$/, 'comma-separated profile numbers, e.g. 1,2,5')
    .default('1,2,3,4,5,6,7')
    .transform((v) => new Set(v.split(',')))
    .describe('profiles to run'),
});

interface Row {
  profile: string;
  figure: string;
  value: number;
  unit: string;
  target?: string;
  vsDatabaseLimit?: string;
}

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
  const hotCredit = accounts[accounts.length - 1]!;
  const hotDebit = accounts[accounts.length - 2]!;
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
    // never its refusals (profile 3 also runs with it off, side by side).
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
  const startProcessors = (name: string) =>
    Array.from({ length: config.BENCH_PROCESSORS }, (_, i) =>
      start(config.BENCH_PROCESSORS === 1 ? name : `${name}-${i + 1}`, 'processor/src/main.js'),
    );
  const rows: Row[] = [];
  const want = (profile: string) => config.BENCH_PROFILES.has(profile);
  /** Per transfer profile: the label of its transfers and how many final ones it must leave. */
  const expected: Array<{ label: string; minimum: number; maximum: number }> = [];
  const producer = createIdempotentProducer(kafka);
  await producer.connect();

  // 6. webhooks: committed transfers fanned out to subscribed local receivers. Run first, while
  // the events topic holds nothing else, so the dispatcher's new group sees only these events.
  if (want('6')) {
    const webhookProcessor = start('processor-webhooks', 'processor/src/main.js');
    const webhooks = await runWebhookProfile({
      pool,
      kafka,
      producer,
      topics,
      seeded,
      serviceEnv,
      start,
      timeout_ms: config.BENCH_TIMEOUT_MS,
      say,
    });
    rows.push(...webhooks.rows);
    for (const { profile, cost } of webhooks.costs) rows.push(...cpuRows(profile, cost, 'delivery'));
    await webhookProcessor.stop();
  }

  /** Publishes the plan to Kafka, then starts the processors and measures them draining it. */
  const processorProfile = async (
    label: string,
    profile: string,
    target: string,
    plan: PlannedTransfer[],
  ) => {
    say(`${profile}: publishing ${plan.length} commands`);
    await publishCommands(producer, topics.commands, seeded.tenantId, plan);
    const cpu = machineCpu();
    const processors = startProcessors(`processor-${label}`);
    const r = await awaitThroughput(pool, seeded.tenantId, label, plan.length, config.BENCH_TIMEOUT_MS);
    const cost = cpu.stop(plan.length);
    rows.push(
      { profile, figure: 'committed transfers/s', value: r.perSecond, unit: '/s', target },
      ...cpuRows(profile, cost),
    );
    expected.push({ label, minimum: plan.length, maximum: plan.length });
    say(`${profile}: ${r.perSecond}/s`);
    for (const p of processors) await p.stop();
    return cost;
  };

  // 1. processor: N commands already on Kafka, debits Zipf-distributed over the accounts.
  if (want('1'))
    await processorProfile(
      'p1',
      '1 processor (Zipf, 10k accounts)',
      '>= 15000',
      Array.from({ length: config.BENCH_COMMANDS }, (_, i) => {
        const s = zipf();
        return {
          key: `p1-${i}`,
          source: accounts[s]!,
          destination: accounts[otherThan(s)]!,
          amount: amount(),
        };
      }),
    );

  // 2. hot account: every transfer credits one account, half of them debit one account.
  if (want('2'))
    await processorProfile(
      'p2',
      '2 hot account',
      '>= 10000',
      Array.from({ length: config.BENCH_COMMANDS }, (_, i) => ({
        key: `p2-${i}`,
        source: i % 2 === 0 ? hotDebit : accounts[zipf()]!,
        destination: hotCredit,
        amount: amount(),
      })).filter((t) => t.source !== t.destination),
    );

  // 7. two-phase transfers: a hold and its capture (half of it) per transfer, against plain
  // transfers of the same plan measured in the same run; the target is machine CPU per
  // command at most 1.5 times a plain transfer's.
  if (want('7')) {
    const plan = (label: string) =>
      Array.from({ length: Math.floor(config.BENCH_COMMANDS / 2) }, (_, i) => {
        const s = zipf();
        return {
          key: `${label}-${i}`,
          source: accounts[s]!,
          destination: accounts[otherThan(s)]!,
          amount: amount(),
        };
      });
    const baseline = plan('p7t');
    const plain = await processorProfile('p7t', '7 plain transfers (baseline of 7)', '', baseline);
    const profile = '7 holds + captures';
    const holds = plan('p7h');
    say(`${profile}: publishing ${holds.length * 2} commands`);
    const commands = await publishHoldsAndCaptures(producer, topics.commands, seeded.tenantId, holds);
    const cpu = machineCpu();
    const processors = startProcessors('processor-p7h');
    const r = await awaitThroughput(pool, seeded.tenantId, 'p7h', commands, config.BENCH_TIMEOUT_MS);
    const cost = cpu.stop(commands);
    rows.push(
      { profile, figure: 'commands decided/s', value: r.perSecond, unit: '/s' },
      ...cpuRows(profile, cost, 'command'),
      {
        profile,
        figure: 'machine CPU per command, vs a plain transfer',
        value: Math.round((100 * (cost.busyMs / commands)) / (plain.busyMs / baseline.length)) / 100,
        unit: 'x',
        target: '<= 1.5',
      },
    );
    expected.push({ label: 'p7h', minimum: commands, maximum: commands });
    for (const p of processors) await p.stop();
  }

  // 5. the database's own ceiling for the same rows.
  let limit: number | undefined;
  if (want('5')) {
    limit = await databaseLimit(pool, seeded.tenantId, accounts, config.BENCH_COMMANDS);
    rows.push({
      profile: '5 database limit (bulk insert, no logic)',
      figure: 'transfers written/s',
      value: limit,
      unit: '/s',
    });
    say(`profile 5: ${limit}/s`);
  }

  if (want('3') || want('4')) startProcessors('processor-api');
  const startApiService = async (name: string, rateLimits: boolean) => {
    const api = start(name, 'api/src/main.js', { ...serviceEnv, RATE_LIMIT_ENABLED: String(rateLimits) });
    await waitForHealth(url);
    return api;
  };

  // 3. api: concurrent clients submitting transfers; with rate limiting off and on, one after the other.
  if (want('3')) {
    const modes: Array<'off' | 'on'> =
      config.BENCH_API_RATE_LIMITS === 'both' ? ['off', 'on'] : [config.BENCH_API_RATE_LIMITS];
    const acceptedPerSecond: Partial<Record<'off' | 'on', number>> = {};
    for (const mode of modes) {
      const profile = `3 api (rate limits ${mode})`;
      const label = `p3${mode}`;
      const api = await startApiService(`api-limits-${mode}`, mode === 'on');
      say(`${profile}: ${config.BENCH_API_CONNECTIONS} connections for ${config.BENCH_API_SECONDS}s`);
      const cpu = machineCpu();
      const r3 = await autocannon({
        url,
        connections: config.BENCH_API_CONNECTIONS,
        duration: config.BENCH_API_SECONDS,
        requests: [submit(label)],
      });
      const accepted = r3['2xx'];
      acceptedPerSecond[mode] = Math.round(accepted / r3.duration);
      rows.push(
        { profile, figure: 'accepted/s', value: acceptedPerSecond[mode], unit: '/s', target: '>= 5000' },
        { profile, figure: 'latency p50', value: r3.latency.p50, unit: 'ms' },
        { profile, figure: 'latency p99', value: r3.latency.p99, unit: 'ms', target: '<= 50' },
        { profile, figure: 'non-2xx answers', value: r3.non2xx + r3.errors, unit: '' },
      );
      say(`${profile}: ${acceptedPerSecond[mode]}/s accepted, p99 ${r3.latency.p99} ms; draining`);
      await awaitSettled(pool, seeded.tenantId, label, accepted, config.BENCH_TIMEOUT_MS);
      rows.push(...cpuRows(profile, cpu.stop(accepted)));
      // Requests cut off by the clock may have been accepted: at least the 2xx, at most those sent.
      expected.push({ label, minimum: accepted, maximum: r3.requests.sent });
      await api.stop();
    }
    if (acceptedPerSecond.on !== undefined && acceptedPerSecond.off)
      rows.push({
        profile: '3 api',
        figure: 'accepted/s with rate limits on, vs off',
        value: Math.round((1_000 * acceptedPerSecond.on) / acceptedPerSecond.off) / 10,
        unit: '%',
        target: '>= 95',
      });
  }
  if (want('4')) await startApiService('api', true);

  // 4. end to end at a fixed rate.
  if (want('4')) {
    say(`profile 4: ${config.BENCH_E2E_RATE}/s for ${config.BENCH_E2E_SECONDS}s`);
    const cpu = machineCpu();
    const r4 = await autocannon({
      url,
      connections: 100,
      overallRate: config.BENCH_E2E_RATE,
      duration: config.BENCH_E2E_SECONDS,
      requests: [submit('p4')],
    });
    const e2e = await awaitSettled(pool, seeded.tenantId, 'p4', r4['2xx'], config.BENCH_TIMEOUT_MS);
    const e2eCpu = cpu.stop(r4['2xx']);
    rows.push(
      {
        profile: '4 end to end',
        figure: 'submitted/s',
        value: Math.round(r4['2xx'] / r4.duration),
        unit: '/s',
        target: `${config.BENCH_E2E_RATE}`,
      },
      { profile: '4 end to end', figure: 'accept-to-final p50', value: round(e2e.p50), unit: 'ms' },
      {
        profile: '4 end to end',
        figure: 'accept-to-final p99',
        value: round(e2e.p99),
        unit: 'ms',
        target: '<= 100',
      },
      { profile: '4 end to end', figure: 'accept-to-final max', value: round(e2e.max), unit: 'ms' },
      { profile: '4 end to end', figure: 'http p99', value: r4.latency.p99, unit: 'ms' },
      ...cpuRows('4 end to end', e2eCpu),
    );
    expected.push({ label: 'p4', minimum: r4['2xx'], maximum: r4.requests.sent });
  }

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

const round = (x: number) => Math.round(x * 10) / 10;

/** What a profile cost the machine: every process on it shares the same cores. */
const cpuSplit: Record<string, Record<string, number>> = {};
const cpuRows = (profile: string, cpu: CpuCost, per = 'transfer'): Row[] => {
  cpuSplit[profile] = cpu.msPerUnitBy;
  return [
    { profile, figure: 'machine CPU busy', value: cpu.busyPct, unit: '%' },
    { profile, figure: 'of which stolen by the hypervisor', value: cpu.stealPct, unit: '%' },
    { profile, figure: `machine CPU per ${per}`, value: cpu.msPerUnit, unit: 'ms' },
  ];
};

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the API did not become healthy within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
