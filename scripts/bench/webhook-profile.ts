import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { insertEndpoint } from '../../api/src/data-access/webhook-endpoints';
import { EventType } from '../../contracts/src';
import { deriveTransferId, newId } from '../../platform/ids';
import type { Topics } from '../../platform/kafka';
import type { Pool } from '../../platform/postgres';
import { encryptSecret, generateSecret } from '../../domain/secret-box';
import { loadWebhookDispatcherConfig } from '../../webhook-dispatcher/src/config';
import { machineCpu, type CpuCost } from './machine-cpu';
import { finalCount, outcomeStats } from './measure';
import { publishCommands, type PlannedTransfer } from './publish';
import type { Seeded } from './seed';
import type { Service } from './services';
import { startReceivers, type PhaseTally, type Receivers } from './webhook-receivers';
import { sleep } from '../../platform/retry';

/** A result line, the shape of `Row` in run.ts. */
export interface WebhookProfileRow {
  profile: string;
  figure: string;
  value: number;
  unit: string;
  target?: string;
}

export interface WebhookProfileOptions {
  pool: Pool;
  /** For the admin client that starts the dispatcher's consumer group at the end of the events topic. */
  kafka: Kafka;
  /** A connected producer; commands are produced straight to the commands topic. */
  producer: Producer;
  topics: Topics;
  /** The bench tenant: its accounts move money and its endpoints receive the events. */
  seeded: Seeded;
  /** The environment the other services run with (KAFKA_TOPIC_PREFIX, DATABASE_URL, ...). */
  serviceEnv: NodeJS.ProcessEnv;
  /**
   * run.ts's service starter, with an environment of the caller's choosing (the dispatcher needs
   * http to 127.0.0.1 allowed); it registers the service so its peak RSS is reported.
   */
  start: (name: string, entry: string, env: NodeJS.ProcessEnv) => Service;
  /** Longest each wait may take (commits, outbox, deliveries), ms. */
  timeout_ms: number;
  say: (line: string) => void;
  tuning?: Partial<WebhookProfileTuning>;
}

export interface WebhookProfileTuning {
  /** Receivers, each an endpoint subscribed to every event type of the bench tenant. */
  endpoints: number;
  /** Phase 1: transfers committed before the dispatcher starts; it then drains the backlog. */
  backlogTransfers: number;
  /**
   * Then one paced phase per rate: transfers per second submitted while the dispatcher runs, for
   * commit-to-first-attempt latency at that rate.
   */
  pacedTransfersPerSecond: number[];
  pacedSeconds: number;
}

export const WEBHOOK_PROFILE_DEFAULTS: WebhookProfileTuning = {
  endpoints: 4,
  backlogTransfers: 5_000,
  // × 3 events × 4 endpoints: 1,500 deliveries/s offered, then 3,000 (the target rate).
  pacedTransfersPerSecond: [125, 250],
  pacedSeconds: 10,
};

/** Events per committed transfer here: transfer.committed, account.debited, account.credited. */
const EVENTS_PER_COMMITTED = 3;
const EVENTS_PER_REJECTED = 1;
/** Every how many arrivals a Standard Webhooks signature is verified by the receivers. */
const VERIFY_EVERY = 97;

/**
 * Profile 6, webhooks: committed transfers of the bench tenant fanned out to local receivers.
 *
 * Phase 1 (backlog) commits `backlogTransfers` before the dispatcher starts and measures how fast
 * it drains them: first attempts per second at the receivers, first to last arrival. The paced
 * phases, one per rate, submit transfers at that rate while the dispatcher runs and measure commit to
 * first attempt: arrival at the receiver minus the event's `occurred_at` (sent as the body's
 * `created_at`), which is the processor's clock when it decided the batch, just before its
 * commit (the same value as the transfer's `finalized_at`), so the figure slightly overstates.
 *
 * Needs the processor (with its outbox relay) running. Starts the dispatcher itself, with a
 * consumer group of its own set to the end of the events topic (earlier profiles' events are not
 * webhook traffic), and stops it and the receivers before returning. Bounded: counts by the
 * tuning, every wait by timeout_ms.
 */
export async function runWebhookProfile(options: WebhookProfileOptions): Promise<{
  rows: WebhookProfileRow[];
  /** What each phase cost the machine, per delivery. */
  costs: Array<{ profile: string; cost: CpuCost }>;
  dispatcher: Service;
}> {
  const tuning = { ...WEBHOOK_PROFILE_DEFAULTS, ...options.tuning };
  const { pool, seeded, say } = options;
  const phases = new Map<string, number>();
  const backlog = plan(seeded, 'wh1', tuning.backlogTransfers);
  // Phase 1 is the backlog, phase 2 + i the paced phase at rate i.
  const paced = tuning.pacedTransfersPerSecond.map((rate, i) =>
    plan(seeded, `wh${2 + i}`, rate * tuning.pacedSeconds),
  );
  for (const t of backlog) phases.set(deriveTransferId(seeded.tenantId, t.key), 1);
  paced.forEach((transfers, i) => {
    for (const t of transfers) phases.set(deriveTransferId(seeded.tenantId, t.key), 2 + i);
  });
  const perEndpoint = (backlog.length + paced.flat().length) * EVENTS_PER_COMMITTED;

  const receivers = await startReceivers({
    count: tuning.endpoints,
    phaseOf: (transferId) => phases.get(transferId),
    arrivalsMax: 2 * perEndpoint,
    verifyEvery: VERIFY_EVERY,
  });
  const env: NodeJS.ProcessEnv = {
    ...options.serviceEnv,
    WEBHOOK_DISPATCHER_GROUP_ID: `bench-webhooks-${randomUUID()}`,
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
  };
  let dispatcher: Service | undefined;
  try {
    await subscribe(pool, seeded.tenantId, receivers, loadWebhookDispatcherConfig(env).WEBHOOK_SECRETS_KEY);
    await outboxDrained(pool, options.topics.events, options.timeout_ms);
    await startGroupAtEnd(options.kafka, env.WEBHOOK_DISPATCHER_GROUP_ID!, options.topics.events);

    say(
      `profile 6: ${backlog.length} transfers to ${tuning.endpoints} endpoints, committed before the dispatcher starts`,
    );
    await publishCommands(options.producer, options.topics.commands, seeded.tenantId, backlog);
    await committed(pool, seeded.tenantId, 'wh1', backlog.length, options.timeout_ms);
    await outboxDrained(pool, options.topics.events, options.timeout_ms);
    const expected1 = await expectedDeliveries(pool, seeded.tenantId, 'wh1', tuning.endpoints);
    const cpu1 = machineCpu();
    dispatcher = options.start('webhook-dispatcher', 'webhook-dispatcher/src/main.js', env);
    const t1 = await delivered(receivers.tally(1), expected1, options.timeout_ms, 'backlog');
    const cost1 = cpu1.stop(expected1);

    const p1 = `6 webhooks backlog (${backlog.length} transfers, ${tuning.endpoints} endpoints)`;
    const rows: WebhookProfileRow[] = [
      {
        profile: p1,
        figure: 'first attempts delivered/s',
        value: perSecond(t1),
        unit: '/s',
        target: '>= 3000',
      },
      { profile: p1, figure: 'repeated attempts', value: t1.repeats, unit: '' },
    ];
    const costs = [{ profile: p1, cost: cost1 }];

    for (const [i, rate] of tuning.pacedTransfersPerSecond.entries()) {
      const offered = rate * EVENTS_PER_COMMITTED * tuning.endpoints;
      const p = `6 webhooks paced (${offered} deliveries/s offered)`;
      const label = `wh${2 + i}`;
      say(`profile 6: ${rate} transfers/s (${offered} deliveries/s) for ${tuning.pacedSeconds}s`);
      const cpu = machineCpu();
      await publishPaced(options, paced[i]!, rate);
      await committed(pool, seeded.tenantId, label, paced[i]!.length, options.timeout_ms);
      const expected = await expectedDeliveries(pool, seeded.tenantId, label, tuning.endpoints);
      const tally = await delivered(receivers.tally(2 + i), expected, options.timeout_ms, `paced ${rate}/s`);
      costs.push({ profile: p, cost: cpu.stop(expected) });
      const latency = percentiles(tally.latencies_ms);
      rows.push(
        { profile: p, figure: 'first attempts delivered/s', value: perSecond(tally), unit: '/s' },
        { profile: p, figure: 'commit-to-first-attempt p50', value: latency.p50, unit: 'ms' },
        {
          profile: p,
          figure: 'commit-to-first-attempt p99',
          value: latency.p99,
          unit: 'ms',
          target: '<= 200',
        },
        { profile: p, figure: 'commit-to-first-attempt max', value: latency.max, unit: 'ms' },
        { profile: p, figure: 'repeated attempts', value: tally.repeats, unit: '' },
      );
    }
    const signatures = receivers.signatures();
    rows.push({
      profile: '6 webhooks',
      figure: `bad signatures (of ${signatures.verified} verified)`,
      value: signatures.bad,
      unit: '',
      target: '0',
    });
    if (receivers.foreign() > 0)
      say(`profile 6: ${receivers.foreign()} deliveries of events from outside the profile (ignored)`);
    return { rows, costs, dispatcher };
  } finally {
    // The dispatcher first: it must not retry against receivers that are gone.
    await dispatcher?.stop();
    await receivers.close();
  }
}

function plan(seeded: Seeded, prefix: string, count: number): PlannedTransfer[] {
  const n = seeded.accounts.length;
  if (n < 2) throw new Error('assertion: the webhook profile needs two accounts or more');
  return Array.from({ length: count }, (_, i) => {
    const s = Math.floor(Math.random() * n);
    const d = (s + 1 + Math.floor(Math.random() * (n - 1))) % n;
    return {
      key: `${prefix}-${i}`,
      source: seeded.accounts[s]!,
      destination: seeded.accounts[d]!,
      amount: BigInt(1 + Math.floor(Math.random() * 1_000)),
    };
  });
}

/** One endpoint per receiver, written the way the API writes them (sealed with the dispatcher's key). */
async function subscribe(pool: Pool, tenantId: string, receivers: Receivers, secretsKey: Buffer) {
  for (const [index, url] of receivers.urls.entries()) {
    const id = newId();
    const secret = generateSecret();
    const row = await insertEndpoint(
      pool,
      {
        id,
        tenantId,
        url,
        description: `bench receiver ${index}`,
        eventTypes: [...EventType.options],
        secretEncrypted: encryptSecret(secretsKey, id, secret),
      },
      1_000,
    );
    if (!row) throw new Error('the bench tenant has too many webhook endpoints');
    receivers.trust(index, secret);
  }
}

/** A new consumer group starts from the beginning; this one starts at the topic's end instead. */
async function startGroupAtEnd(kafka: Kafka, groupId: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.resetOffsets({ groupId, topic, earliest: false });
  } finally {
    await admin.disconnect();
  }
}

/** Produces the commands at `perSecond`, by the clock (a slow send is caught up, not skipped). */
async function publishPaced(options: WebhookProfileOptions, transfers: PlannedTransfer[], perSecond: number) {
  const started = performance.now();
  const deadline = Date.now() + options.timeout_ms;
  let sent = 0;
  while (sent < transfers.length) {
    if (Date.now() > deadline)
      throw new Error(`paced webhook load: ${sent} of ${transfers.length} sent in time`);
    const due = Math.min(transfers.length, Math.floor(((performance.now() - started) / 1000) * perSecond));
    if (due > sent) {
      await publishCommands(
        options.producer,
        options.topics.commands,
        options.seeded.tenantId,
        transfers.slice(sent, due),
      );
      sent = due;
    } else await sleep(5);
  }
}

async function until(what: () => string, timeout_ms: number, probe: () => Promise<boolean> | boolean) {
  const deadline = Date.now() + timeout_ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`webhook profile: not ${what()} within ${timeout_ms} ms`);
    await sleep(50);
  }
}

const committed = (pool: Pool, tenantId: string, prefix: string, count: number, timeout_ms: number) =>
  until(
    () => `${count} ${prefix} transfers final`,
    timeout_ms,
    async () => (await finalCount(pool, tenantId, prefix)) >= count,
  );

/** Every event written so far is on Kafka (the processor's relay deletes what it has sent). */
const outboxDrained = (pool: Pool, topic: string, timeout_ms: number) =>
  until(
    () => 'outbox relayed',
    timeout_ms,
    async () => {
      const { rows } = await pool.query('SELECT 1 FROM outbox_batches WHERE topic = $1 LIMIT 1', [topic]);
      return rows.length === 0;
    },
  );

async function expectedDeliveries(pool: Pool, tenantId: string, prefix: string, endpoints: number) {
  const s = await outcomeStats(pool, tenantId, prefix);
  return endpoints * (s.committed * EVENTS_PER_COMMITTED + s.rejected * EVENTS_PER_REJECTED);
}

async function delivered(tally: PhaseTally, expected: number, timeout_ms: number, phase: string) {
  await until(
    () => `${expected} ${phase} deliveries (got ${tally.firsts})`,
    timeout_ms,
    () => tally.firsts >= expected,
  );
  if (tally.firsts !== expected)
    throw new Error(`webhook profile: ${tally.firsts} ${phase} deliveries, expected ${expected}`);
  return tally;
}

const perSecond = (t: PhaseTally) =>
  t.lastAt > t.firstAt ? Math.round((t.firsts - 1) / ((t.lastAt - t.firstAt) / 1000)) : Number.NaN;

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}
