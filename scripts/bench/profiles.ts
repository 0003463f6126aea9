import autocannon from 'autocannon';
import type { Kafka, Producer } from 'kafkajs';
import type { Topics } from '../../platform/kafka';
import type { Pool } from '../../platform/postgres';
import { databaseLimit } from './db-limit';
import { machineCpu, serviceCpu, type CpuCost } from './machine-cpu';
import { awaitSettled, awaitThroughput } from './measure';
import { publishCommands, type PlannedTransfer } from './publish';
import { publishHoldsAndCaptures } from './holds-profile';
import type { seedTenant } from './seed';
import type { Service } from './services';
import { runWebhookProfile } from './webhook-profile';

/** One figure of the report. */
export interface Row {
  profile: string;
  figure: string;
  value: number;
  unit: string;
  target?: string;
  vsDatabaseLimit?: string;
}

/** What every profile runs against: the seeded tenant, the services it may start, where results go. */
export interface BenchContext {
  config: {
    BENCH_COMMANDS: number;
    BENCH_API_SECONDS: number;
    BENCH_API_CONNECTIONS: number;
    BENCH_E2E_RATE: number;
    BENCH_E2E_SECONDS: number;
    BENCH_TIMEOUT_MS: number;
    BENCH_API_RATE_LIMITS: 'both' | 'all' | 'paired' | 'on' | 'off';
    BENCH_METRICS: 'both' | 'on' | 'off';
    BENCH_API_PORT: number;
  };
  pool: Pool;
  kafka: Kafka;
  producer: Producer;
  topics: Topics;
  seeded: Awaited<ReturnType<typeof seedTenant>>;
  accounts: string[];
  /** A Zipf-distributed account index, and a uniform one other than i. */
  zipf: () => number;
  otherThan: (i: number) => number;
  amount: () => bigint;
  /** An autocannon request submitting a Zipf-distributed transfer under a label of its own. */
  submit: (label: string) => autocannon.Request;
  url: string;
  serviceEnv: NodeJS.ProcessEnv;
  start: (name: string, entry: string, env?: NodeJS.ProcessEnv) => Service;
  startProcessors: (name: string, metrics?: boolean) => Service[];
  /** The processors behind the API profiles: started by the first that needs them, then shared. */
  apiProcessors: () => void;
  /** rateLimits: off, on, or on with the service's Redis unreachable (decided in memory). */
  startApiService: (
    name: string,
    rateLimits: LimitMode,
    metrics?: boolean,
    port?: number,
  ) => Promise<Service>;
  say: (line: string) => void;
  rows: Row[];
  /** Per transfer profile: the label of its transfers and how many final ones it must leave. */
  expected: Array<{ label: string; minimum: number; maximum: number }>;
  /** Machine CPU per transfer, by process, per profile. */
  cpuSplit: Record<string, Record<string, number>>;
  /** Set by the database-limit profile: the ceiling the other figures are compared with. */
  databaseLimit?: number;
}

export interface BenchProfile {
  /** What BENCH_PROFILES names it by. */
  name: string;
  /** Its number in BENCHMARKS.md and in older BENCH_PROFILES settings (1,5). */
  alias: string;
  run: (ctx: BenchContext) => Promise<void>;
}

/** What a profile cost the machine: every process on it shares the same cores. */
export const cpuRows = (ctx: BenchContext, profile: string, cpu: CpuCost, per = 'transfer'): Row[] => {
  ctx.cpuSplit[profile] = cpu.msPerUnitBy;
  return [
    { profile, figure: 'machine CPU busy', value: cpu.busyPct, unit: '%' },
    { profile, figure: 'of which stolen by the hypervisor', value: cpu.stealPct, unit: '%' },
    { profile, figure: `machine CPU per ${per}`, value: cpu.msPerUnit, unit: 'ms' },
  ];
};

const round = (x: number) => Math.round(x * 10) / 10;

/** Seconds of unreported load each API variant gets before it is measured. */
const API_WARM_UP_S = 3;

/** Publishes the plan to Kafka, then starts the processors and measures them draining it. */
async function processorProfile(
  ctx: BenchContext,
  label: string,
  profile: string,
  target: string,
  plan: PlannedTransfer[],
  metrics = true,
): Promise<number> {
  ctx.say(`${profile}: publishing ${plan.length} commands`);
  await publishCommands(ctx.producer, ctx.topics.commands, ctx.seeded.tenantId, plan);
  const cpu = machineCpu();
  const processors = ctx.startProcessors(`processor-${label}`, metrics);
  const r = await awaitThroughput(
    ctx.pool,
    ctx.seeded.tenantId,
    label,
    plan.length,
    ctx.config.BENCH_TIMEOUT_MS,
  );
  const cost = cpu.stop(plan.length);
  ctx.rows.push(
    { profile, figure: 'committed transfers/s', value: r.perSecond, unit: '/s', target },
    ...cpuRows(ctx, profile, cost),
  );
  ctx.expected.push({ label, minimum: plan.length, maximum: plan.length });
  ctx.say(`${profile}: ${r.perSecond}/s`);
  for (const p of processors) await p.stop();
  return r.perSecond;
}

/**
 * The runs of BENCH_METRICS: with `both`, two of each in a balanced order (see LIMIT_RUNS: a run's
 * figures move with its place in the bench, by as much as the effect measured).
 */
const metricsModes = (ctx: BenchContext): Array<'off' | 'on'> =>
  ctx.config.BENCH_METRICS === 'both' ? ['off', 'on', 'on', 'off'] : [ctx.config.BENCH_METRICS];

const mean = (xs: number[] | undefined) =>
  xs?.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;

/** A row comparing a figure with the feature on against off, measured in the same run. */
const versusOff = (
  profile: string,
  feature: string,
  on: number | undefined,
  off: number | undefined,
): Row[] =>
  on !== undefined && off
    ? [
        {
          profile,
          figure: `${feature}, vs off`,
          value: Math.round((1_000 * on) / off) / 10,
          unit: '%',
          target: '>= 95',
        },
      ]
    : [];

/** Committed transfers fanned out to subscribed local receivers. */
async function webhooks(ctx: BenchContext): Promise<void> {
  const webhookProcessor = ctx.start('processor-webhooks', 'processor/src/main.js');
  const result = await runWebhookProfile({
    pool: ctx.pool,
    kafka: ctx.kafka,
    producer: ctx.producer,
    topics: ctx.topics,
    seeded: ctx.seeded,
    serviceEnv: ctx.serviceEnv,
    start: ctx.start,
    timeout_ms: ctx.config.BENCH_TIMEOUT_MS,
    say: ctx.say,
  });
  ctx.rows.push(...result.rows);
  for (const { profile, cost } of result.costs) ctx.rows.push(...cpuRows(ctx, profile, cost, 'delivery'));
  await webhookProcessor.stop();
}

/** Zipf-distributed transfers between the seeded accounts, keyed `${label}-i`. */
const zipfPlan = (ctx: BenchContext, label: string, count: number): PlannedTransfer[] =>
  Array.from({ length: count }, (_, i) => {
    const s = ctx.zipf();
    return {
      key: `${label}-${i}`,
      source: ctx.accounts[s]!,
      destination: ctx.accounts[ctx.otherThan(s)]!,
      amount: ctx.amount(),
    };
  });

/**
 * N commands already on Kafka, debits Zipf-distributed over the accounts (with metrics off and on:
 * BENCH_METRICS). When two modes are compared, an unreported drain warms the database and the
 * broker first, so the first mode measured is not the one that pays for cold caches.
 */
async function processorZipf(ctx: BenchContext): Promise<void> {
  const perSecond: Partial<Record<'off' | 'on', number[]>> = {};
  const modes = metricsModes(ctx);
  if (modes.length > 1) {
    const warm = zipfPlan(ctx, 'p1warm', Math.ceil(ctx.config.BENCH_COMMANDS / 4));
    await publishCommands(ctx.producer, ctx.topics.commands, ctx.seeded.tenantId, warm);
    const processors = ctx.startProcessors('processor-p1warm');
    await awaitThroughput(ctx.pool, ctx.seeded.tenantId, 'p1warm', warm.length, ctx.config.BENCH_TIMEOUT_MS);
    ctx.expected.push({ label: 'p1warm', minimum: warm.length, maximum: warm.length });
    for (const p of processors) await p.stop();
  }
  for (const [run, mode] of modes.entries()) {
    const compared = modes.length > 1;
    const label = compared ? `p1m-${mode}${run}` : 'p1';
    const name = compared
      ? `1 processor (run ${run + 1}: metrics ${mode})`
      : '1 processor (Zipf, 10k accounts)';
    (perSecond[mode] ??= []).push(
      await processorProfile(
        ctx,
        label,
        name,
        '>= 15000',
        zipfPlan(ctx, label, ctx.config.BENCH_COMMANDS),
        mode === 'on',
      ),
    );
  }
  ctx.rows.push(
    ...versusOff('1 processor', 'committed/s with metrics on', mean(perSecond.on), mean(perSecond.off)),
  );
}

/** Every transfer credits one account, half of them debit one account. */
async function hotAccount(ctx: BenchContext): Promise<void> {
  const hotCredit = ctx.accounts[ctx.accounts.length - 1]!;
  const hotDebit = ctx.accounts[ctx.accounts.length - 2]!;
  await processorProfile(
    ctx,
    'p2',
    '2 hot account',
    '>= 10000',
    Array.from({ length: ctx.config.BENCH_COMMANDS }, (_, i) => ({
      key: `p2-${i}`,
      source: i % 2 === 0 ? hotDebit : ctx.accounts[ctx.zipf()]!,
      destination: hotCredit,
      amount: ctx.amount(),
    })).filter((t) => t.source !== t.destination),
  );
}

/** The database's own ceiling for the same rows. */
async function databaseCeiling(ctx: BenchContext): Promise<void> {
  const limit = await databaseLimit(ctx.pool, ctx.seeded.tenantId, ctx.accounts, ctx.config.BENCH_COMMANDS);
  ctx.databaseLimit = limit;
  ctx.rows.push({
    profile: '5 database limit (bulk insert, no logic)',
    figure: 'transfers written/s',
    value: limit,
    unit: '/s',
  });
  ctx.say(`profile 5: ${limit}/s`);
}

/** How the API profile runs its service: rate limits off, on (Redis), or on with Redis unreachable. */
type LimitMode = 'off' | 'on' | 'exact' | 'memory';

/** How each mode is named in the report. */
const LIMIT_MODE_NAMES: Record<LimitMode, string> = {
  off: 'off',
  on: 'on',
  exact: 'on, every decision in Redis (no leases)',
  memory: 'in memory, Redis unreachable',
};

/**
 * The API profile's runs, in order: each compared mode at the same mean position in the sequence,
 * and each figure the mean of its runs. A run's figures move with its place in the bench (caches
 * warming, tables growing, autovacuum after the inserts of the runs before): three runs all with
 * limits off, named off / on / off, once put the middle one at 89 % of the others. Balanced orders
 * cancel that drift; the spread between runs of one mode shows what is left.
 */
const LIMIT_RUNS: Record<Exclude<BenchContext['config']['BENCH_API_RATE_LIMITS'], 'paired'>, LimitMode[]> = {
  off: ['off'],
  on: ['on'],
  both: ['off', 'on', 'on', 'off', 'on', 'off', 'off', 'on'],
  all: ['off', 'on', 'exact', 'memory', 'memory', 'exact', 'on', 'off'],
};

/**
 * Concurrent clients submitting transfers; with rate limiting off and on, side by side
 * (BENCH_API_RATE_LIMITS), or with metrics off and on (BENCH_METRICS=both, rate limits on).
 */
async function api(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  ctx.apiProcessors();
  const limitRuns = config.BENCH_API_RATE_LIMITS;
  if (config.BENCH_METRICS === 'on' && limitRuns === 'paired') return apiPaired(ctx);
  // Metrics compared (BENCH_METRICS=both or off): rate limits on in every run; else the rate-limit runs.
  const variants =
    config.BENCH_METRICS !== 'on' || limitRuns === 'paired'
      ? metricsModes(ctx).map((m) => ({ limits: 'on' as LimitMode, metrics: m === 'on' }))
      : LIMIT_RUNS[limitRuns].map((limits) => ({ limits, metrics: true }));
  const accepted: Record<string, number[]> = {};
  for (const [run, variant] of variants.entries()) {
    const mode = variant.metrics ? variant.limits : 'metrics-off';
    // Numbered: a mode measured twice has two rows, and two CPU splits.
    const profile = variant.metrics
      ? `3 api (run ${run + 1}: rate limits ${LIMIT_MODE_NAMES[variant.limits]})`
      : `3 api (run ${run + 1}: rate limits on, metrics off)`;
    const label = `p3${mode}${run}`;
    const service = await ctx.startApiService(`api-${mode}`, variant.limits, variant.metrics);
    // Unreported: a new process's first seconds (JIT, pools, caches) would bias whichever variant runs first.
    const warm = await autocannon({
      url: ctx.url,
      connections: config.BENCH_API_CONNECTIONS,
      duration: API_WARM_UP_S,
      requests: [ctx.submit(`${label}warm`)],
    });
    await settleLoad(ctx, `${label}warm`, warm);
    ctx.say(`${profile}: ${config.BENCH_API_CONNECTIONS} connections for ${config.BENCH_API_SECONDS}s`);
    const cpu = machineCpu();
    const r3 = await autocannon({
      url: ctx.url,
      connections: config.BENCH_API_CONNECTIONS,
      duration: config.BENCH_API_SECONDS,
      requests: [ctx.submit(label)],
    });
    const perSecond = Math.round(r3['2xx'] / r3.duration);
    (accepted[mode] ??= []).push(perSecond);
    ctx.rows.push(
      { profile, figure: 'accepted/s', value: perSecond, unit: '/s', target: '>= 5000' },
      { profile, figure: 'latency p50', value: r3.latency.p50, unit: 'ms' },
      { profile, figure: 'latency p99', value: r3.latency.p99, unit: 'ms', target: '<= 50' },
      { profile, figure: 'non-2xx answers', value: r3.non2xx + r3.errors, unit: '' },
    );
    ctx.say(`${profile}: ${perSecond}/s accepted, p99 ${r3.latency.p99} ms; draining`);
    await settleLoad(ctx, label, r3);
    ctx.rows.push(...cpuRows(ctx, profile, cpu.stop(r3['2xx'])));
    await service.stop();
  }
  ctx.rows.push(
    ...versusOff('3 api', 'accepted/s with rate limits on', mean(accepted.on), mean(accepted.off)),
    ...versusOff(
      '3 api',
      'accepted/s with rate limits on, every decision in Redis (no leases)',
      mean(accepted.exact),
      mean(accepted.off),
    ),
    ...versusOff(
      '3 api',
      'accepted/s with rate limits decided in memory (Redis unreachable)',
      mean(accepted.memory),
      mean(accepted.off),
    ),
    ...versusOff('3 api', 'accepted/s with metrics on', mean(accepted.on), mean(accepted['metrics-off'])),
  );
}

/**
 * Waits until what a load got accepted under `label` is final, and records what the closing books
 * check expects of it: requests cut off by the clock may have been accepted, so at least the 2xx
 * and at most those sent.
 */
async function settleLoad(ctx: BenchContext, label: string, r: autocannon.Result): Promise<void> {
  await awaitSettled(ctx.pool, ctx.seeded.tenantId, label, r['2xx'], ctx.config.BENCH_TIMEOUT_MS);
  ctx.expected.push({ label, minimum: r['2xx'], maximum: r.requests.sent });
}

const PAIRED_ROUNDS = 4;

/**
 * Rate limits on and off at the same time (BENCH_API_RATE_LIMITS=paired): two API services (2
 * workers each) on ports of their own, each driven by half the connections, in front of the same
 * processors, database and broker. At every instant both meet the same state of the system, so
 * what drifts during a bench (checkpoints, batch sizes, tables growing; up to 45 % between runs
 * here) cancels. The two places are not quite equal (with limits off on both, the service started
 * first took ≈ 2 % less in three runs out of three), so the modes swap places every round, both
 * services started anew, and the figure is the geometric mean of the rounds' on/off ratios: each
 * place's bias then counts once each way. What it leaves out: an effect of limiting on the stages
 * behind the API shows on both sides alike.
 */
async function apiPaired(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const connections = Math.max(1, Math.floor(config.BENCH_API_CONNECTIONS / 2));
  let logRatios = 0;
  let logCpuRatios = 0;
  for (let round = 1; round <= PAIRED_ROUNDS; round++) {
    const order = round % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    const sides = order.map((limits, i) => ({ limits, port: config.BENCH_API_PORT + i }));
    const services: Service[] = [];
    for (const side of sides)
      services.push(await ctx.startApiService(`api-${side.limits}`, side.limits, true, side.port));
    const load = (label: string, duration: number) =>
      Promise.all(
        sides.map((side) =>
          autocannon({
            url: `http://127.0.0.1:${side.port}`,
            connections,
            duration,
            requests: [ctx.submit(`${label}${side.limits}`)],
          }),
        ),
      );
    const settle = async (label: string, results: autocannon.Result[]) => {
      for (const [i, side] of sides.entries()) await settleLoad(ctx, `${label}${side.limits}`, results[i]!);
    };
    // Unreported: new processes' first seconds (JIT, pools, caches).
    await settle(`p3pwarm${round}`, await load(`p3pwarm${round}`, API_WARM_UP_S));
    const label = `p3p${round}`;
    ctx.say(
      `3 api (round ${round}, rate limits ${order.join(' | ')} side by side): ${connections} connections each`,
    );
    const cpu = machineCpu();
    const sideCpu = services.map((service) => serviceCpu(service.child.pid!));
    const results = await load(label, config.BENCH_API_SECONDS);
    const sideMs = sideCpu.map((c, i) => c.stop(results[i]!['2xx']));
    const perSecond = { on: 0, off: 0 };
    const cpuMs = { on: 0, off: 0 };
    for (const [i, side] of sides.entries()) {
      const r = results[i]!;
      const profile = `3 api (round ${round}: rate limits ${side.limits}, side by side, place ${i + 1})`;
      perSecond[side.limits] = r['2xx'] / r.duration;
      cpuMs[side.limits] = sideMs[i]!;
      ctx.rows.push(
        { profile, figure: 'accepted/s', value: Math.round(perSecond[side.limits]), unit: '/s' },
        { profile, figure: 'latency p99', value: r.latency.p99, unit: 'ms' },
        { profile, figure: 'non-2xx answers', value: r.non2xx + r.errors, unit: '' },
        { profile, figure: 'API CPU per accepted request', value: sideMs[i]!, unit: 'ms' },
      );
    }
    logRatios += Math.log(perSecond.on / perSecond.off);
    logCpuRatios += Math.log(cpuMs.on / cpuMs.off);
    ctx.say(
      `round ${round}: on ${Math.round(perSecond.on)}/s, off ${Math.round(perSecond.off)}/s (${((100 * perSecond.on) / perSecond.off).toFixed(1)} %); draining`,
    );
    await settle(label, results);
    const both = results.reduce((n, r) => n + r['2xx'], 0);
    ctx.rows.push(...cpuRows(ctx, `3 api (round ${round}: on and off side by side)`, cpu.stop(both)));
    const on = sides.find((side) => side.limits === 'on')!;
    ctx.rows.push({
      profile: `3 api (round ${round}: rate limits on)`,
      figure: 'decisions admitted from a lease (no Redis call)',
      value: await leasedPercent(on.port),
      unit: '%',
    });
    for (const service of services) await service.stop();
  }
  ctx.rows.push({
    profile: '3 api',
    figure: 'accepted/s with rate limits on, side by side with off (geometric mean of the rounds)',
    value: Math.round(1000 * Math.exp(logRatios / PAIRED_ROUNDS)) / 10,
    unit: '%',
    target: '>= 95',
  });
  ctx.rows.push({
    profile: '3 api',
    figure: 'API CPU per accepted request with rate limits on, against off (geometric mean of the rounds)',
    value: Math.round(1000 * Math.exp(logCpuRatios / PAIRED_ROUNDS)) / 10,
    unit: '%',
  });
}

/** The share of an API service's rate-limit decisions made from a lease, from its /metrics. */
async function leasedPercent(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const count = (store: string) =>
    Number(
      new RegExp(`^ledger_rate_limit_store_decisions_total\\{store="${store}"\\} (\\d+)`, 'm').exec(
        text,
      )?.[1] ?? 0,
    );
  const leased = count('lease');
  const all = leased + count('redis') + count('memory');
  return all === 0 ? 0 : Math.round((1000 * leased) / all) / 10;
}

/** End to end at a fixed rate: submission to final state, through the API (rate limits on) and the processors. */
async function endToEnd(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  ctx.apiProcessors();
  await ctx.startApiService('api', 'on');
  ctx.say(`profile 4: ${config.BENCH_E2E_RATE}/s for ${config.BENCH_E2E_SECONDS}s`);
  const cpu = machineCpu();
  const r4 = await autocannon({
    url: ctx.url,
    connections: 100,
    overallRate: config.BENCH_E2E_RATE,
    duration: config.BENCH_E2E_SECONDS,
    requests: [ctx.submit('p4')],
  });
  const e2e = await awaitSettled(ctx.pool, ctx.seeded.tenantId, 'p4', r4['2xx'], config.BENCH_TIMEOUT_MS);
  const e2eCpu = cpu.stop(r4['2xx']);
  const profile = '4 end to end';
  ctx.rows.push(
    {
      profile,
      figure: 'submitted/s',
      value: Math.round(r4['2xx'] / r4.duration),
      unit: '/s',
      target: `${config.BENCH_E2E_RATE}`,
    },
    { profile, figure: 'accept-to-final p50', value: round(e2e.p50), unit: 'ms' },
    { profile, figure: 'accept-to-final p99', value: round(e2e.p99), unit: 'ms', target: '<= 100' },
    { profile, figure: 'accept-to-final max', value: round(e2e.max), unit: 'ms' },
    { profile, figure: 'http p99', value: r4.latency.p99, unit: 'ms' },
    ...cpuRows(ctx, profile, e2eCpu),
  );
  ctx.expected.push({ label: 'p4', minimum: r4['2xx'], maximum: r4.requests.sent });
}

/**
 * Publishes `count` commands (with `publish`), then starts the processors and measures them
 * deciding them all: throughput and what it cost the machine.
 */
async function drain(ctx: BenchContext, label: string, count: number, publish: () => Promise<unknown>) {
  await publish();
  const cpu = machineCpu();
  const processors = ctx.startProcessors(`processor-${label}`);
  const r = await awaitThroughput(ctx.pool, ctx.seeded.tenantId, label, count, ctx.config.BENCH_TIMEOUT_MS);
  const cost = cpu.stop(count);
  ctx.expected.push({ label, minimum: count, maximum: count });
  for (const p of processors) await p.stop();
  return { perSecond: r.perSecond, cost };
}

/**
 * Two-phase transfers: a hold and its capture (half of it) per transfer, against plain transfers
 * of the same kind of plan measured in the same run, both Zipf like the processor profile, after
 * an unreported warm-up of each. The target: machine CPU per command at most 1.5 times a
 * plain transfer's.
 */
async function holdsAndCaptures(ctx: BenchContext): Promise<void> {
  const plan = (label: string) => zipfPlan(ctx, label, Math.floor(ctx.config.BENCH_COMMANDS / 2));
  // Unreported: both paths warmed first, so that neither measurement pays for cold caches or JIT.
  const warm = zipfPlan(ctx, 'p7warm', Math.ceil(ctx.config.BENCH_COMMANDS / 8));
  const warmHolds = zipfPlan(ctx, 'p7hwarm', Math.ceil(ctx.config.BENCH_COMMANDS / 16));
  await drain(ctx, 'p7warm', warm.length, () =>
    publishCommands(ctx.producer, ctx.topics.commands, ctx.seeded.tenantId, warm),
  );
  await drain(ctx, 'p7hwarm', warmHolds.length * 2, () =>
    publishHoldsAndCaptures(ctx.producer, ctx.topics.commands, ctx.seeded.tenantId, warmHolds),
  );
  const baselineProfile = '7 plain transfers (baseline of 7)';
  const baseline = plan('p7t');
  ctx.say(`${baselineProfile}: ${baseline.length} commands`);
  const plain = await drain(ctx, 'p7t', baseline.length, () =>
    publishCommands(ctx.producer, ctx.topics.commands, ctx.seeded.tenantId, baseline),
  );
  ctx.rows.push(
    { profile: baselineProfile, figure: 'committed transfers/s', value: plain.perSecond, unit: '/s' },
    ...cpuRows(ctx, baselineProfile, plain.cost),
  );

  const profile = '7 holds + captures';
  const holds = plan('p7h');
  ctx.say(`${profile}: ${holds.length * 2} commands`);
  const held = await drain(ctx, 'p7h', holds.length * 2, () =>
    publishHoldsAndCaptures(ctx.producer, ctx.topics.commands, ctx.seeded.tenantId, holds),
  );
  const perCommand = (d: { cost: CpuCost }, n: number) => d.cost.busyMs / n;
  ctx.rows.push(
    { profile, figure: 'commands decided/s', value: held.perSecond, unit: '/s' },
    ...cpuRows(ctx, profile, held.cost, 'command'),
    {
      profile,
      figure: 'machine CPU per command, vs a plain transfer',
      value:
        Math.round((100 * perCommand(held, holds.length * 2)) / perCommand(plain, baseline.length)) / 100,
      unit: 'x',
      target: '<= 1.5',
    },
  );
}

/**
 * Every profile, in the order they run. Webhooks first, while the events topic holds nothing
 * else, so the dispatcher's new group sees only its events; the API profiles last, sharing the
 * processors started for them.
 */
export const PROFILES: readonly BenchProfile[] = [
  { name: 'webhooks', alias: '6', run: webhooks },
  { name: 'processor', alias: '1', run: processorZipf },
  { name: 'hot-account', alias: '2', run: hotAccount },
  { name: 'holds', alias: '7', run: holdsAndCaptures },
  { name: 'database-limit', alias: '5', run: databaseCeiling },
  { name: 'api', alias: '3', run: api },
  { name: 'end-to-end', alias: '4', run: endToEnd },
];

/** A BENCH_PROFILES entry (a name or its number) as the profile's name, or undefined. */
export const profileNamed = (entry: string): string | undefined =>
  PROFILES.find((p) => p.name === entry || p.alias === entry)?.name;
