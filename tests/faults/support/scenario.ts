import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { AssignerProtocol, type Producer } from 'kafkajs';
import { EVENT_TYPES } from '../../../contracts/src';
import { createKafka, deleteTopics, topicsFor, type Kafka } from '../../../platform/kafka';
import { createLogger } from '../../../platform/logger';
import { createPool } from '../../../platform/postgres';
import { freePort } from '../../support/child-service';
import { eventually } from '../../support/eventually';
import { LOCAL_WEBHOOKS_ENV, testServiceEnv } from '../../support/service-env';
import { audit, type Bounds, type Metrics } from './audit';
import { ROOT, type FaultStack } from './fault-stack';
import { REQUEST_TIMEOUT_MS, startLoad } from './load';
import { startServices, type Services } from './services';
import { startWebhookSink } from './webhook-sink';

export const RESULTS_FILE = path.join(ROOT, '.data/faults/results.txt');

export interface FaultContext {
  services: Services;
  stack: FaultStack;
  /** Resolves once the processors' group is stable with `members` members, each holding command partitions. */
  processorGroupStable(members: number): Promise<void>;
}

export interface ScenarioSpec {
  /** Short, file-name safe: names the logs (.data/faults/logs/<name>-api.log...). */
  name: string;
  stack: FaultStack;
  /** The instance's KAFKA_BROKERS, DATABASE_URL, REDIS_URL. */
  connection: Record<string, string>;
  processors?: number;
  serviceEnv?: Record<string, string>;
  /**
   * Injects the fault and brings things back; resolves when the dependency answers again (or,
   * for a crashed process, at the crash: failover is counted from it).
   */
  fault(context: FaultContext): Promise<{ faultAt: number; restoredAt: number }>;
  /** REST answers allowed while the fault lasts besides `accepted`; by default 503 and refused connections. */
  allowedAnswers?: string[];
  bounds: Bounds;
  /** How long after the outcomes every event must have reached the webhook receiver (default 30 s). */
  webhook_timeout_ms?: number;
}

export interface ScenarioResult {
  violations: string[];
  metrics: Metrics;
  summary: string;
}

const REST_PER_SECOND = 25;
const KAFKA_PER_SECOND = 6;
/** Accepted REST submissions before the fault, and after the return, before the load stops. */
const ACCEPTED_BEFORE = 30;
const ACCEPTED_AFTER = 40;
/** The longest the load goes on after the fault when nothing is accepted any more (bounds the scenario). */
const AFTER_FAULT_LOAD_MAX_MS = 20_000;
const RETRY_GRACE_MS = 15_000;
const FINAL_TIMEOUT_MS = 45_000;
const WEBHOOK_TIMEOUT_MS = 30_000;
const ACCOUNTS = 6;
const FUNDING = '100000000';

/**
 * One fault-injection scenario: the three services as child processes on the fault suite's own
 * infrastructure, a tenant with funded accounts and a webhook endpoint, bounded load (REST and
 * direct Kafka) before, during and after the fault, then the audit. Prints one line with the
 * measured recovery (and appends it to .data/faults/results.txt) and returns the violations.
 */
export async function runScenario(spec: ScenarioSpec): Promise<ScenarioResult> {
  const prefix = `f-${spec.name}-${randomUUID().slice(0, 6)}.`;
  const logger = createLogger({ service: 'fault-suite', level: 'silent', pretty: false });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...spec.connection,
    // Several processors side by side: each takes a free ops port (/metrics, /healthz, /readyz).
    ...testServiceEnv(prefix),
    ...LOCAL_WEBHOOKS_ENV,
    API_HOST: '127.0.0.1',
    // Known in advance: the load generator and the audit call it.
    API_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    NODE_OPTIONS: '--max-old-space-size=192',
    ...spec.serviceEnv,
  };
  const url = `http://127.0.0.1:${env.API_PORT}`;
  const pool = createPool({ url: spec.connection.DATABASE_URL!, max: 4, applicationName: 'fault-suite' });
  // The suite's own connections break when it stops PostgreSQL: that must not end the test run.
  pool.on('error', () => undefined);
  const kafka = createKafka({
    brokers: spec.connection.KAFKA_BROKERS!.split(','),
    clientId: 'fault-suite',
    logger,
  });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  const sink = await startWebhookSink();
  let services: Services | undefined;
  try {
    services = await startServices(spec.name, env, spec.processors ?? 1);
    await producer.connect();
    const setup = await setUp(url, sink.url);

    const load = startLoad({
      url,
      apiKey: setup.apiKey,
      tenantId: setup.tenantId,
      accounts: setup.accounts,
      producer,
      commandsTopic: topicsFor(prefix).commands,
      restPerSecond: REST_PER_SECOND,
      kafkaPerSecond: KAFKA_PER_SECOND,
    });
    const acceptedSince = (since: number) =>
      load.submissions.filter((s) => s.via === 'rest' && (s.acceptedAt ?? 0) >= since).length;
    await until(() => acceptedSince(0) >= ACCEPTED_BEFORE, 30_000, 'load to get going before the fault');
    const { faultAt, restoredAt } = await spec.fault({
      services,
      stack: spec.stack,
      processorGroupStable: (members) => processorGroupStable(kafka, prefix, members),
    });
    // Load goes on after the return until enough is accepted again, bounded: the audit then
    // tells what did not recover.
    await until(() => acceptedSince(restoredAt) >= ACCEPTED_AFTER, AFTER_FAULT_LOAD_MAX_MS).catch(
      () => undefined,
    );
    await load.settle(RETRY_GRACE_MS);

    const { violations, metrics } = await audit({
      pool,
      tenantId: setup.tenantId,
      accountIds: setup.accounts,
      setupTransferIds: setup.transferIds,
      submissions: load.submissions,
      sink,
      unexpectedExits: services.unexpectedExits(),
      faultAt,
      restoredAt,
      allowedAnswers: spec.allowedAnswers ?? ['http_503', 'refused'],
      bounds: spec.bounds,
      final_timeout_ms: FINAL_TIMEOUT_MS,
      webhook_timeout_ms: spec.webhook_timeout_ms ?? WEBHOOK_TIMEOUT_MS,
    });
    // A failure comes with what the services logged at error level: the lead's first clue.
    const logged = violations.length ? errorDigest(services) : '';
    const summary = summarise(spec.name, violations, metrics);
    process.stdout.write(`\n${summary}\n${logged}`);
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    appendFileSync(RESULTS_FILE, `${summary}\n${logged}`);
    return { violations, metrics, summary };
  } finally {
    await services?.stop();
    await producer.disconnect().catch(() => undefined);
    await sink.close();
    await deleteTopics(kafka, topicsFor(prefix)).catch(() => undefined);
    await pool.end();
  }
}

/** A tenant, funded USD accounts, and a webhook endpoint on the sink for every event type. */
async function setUp(url: string, hookUrl: string) {
  const call = async (path: string, body: object, apiKey?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`set-up ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const tenant = (await call('/v1/tenants', {
    name: 'Fault suite',
    email: `${randomUUID()}@example.com`,
  })) as {
    tenant: { id: string };
    api_key: { key: string };
  };
  const apiKey = tenant.api_key.key;
  await call('/v1/webhook-endpoints', { url: hookUrl, event_types: [...EVENT_TYPES] }, apiKey);
  const accounts: string[] = [];
  const transferIds: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const account = (await call('/v1/accounts', { name: `fault ${i}`, currency: 'USD' }, apiKey)) as {
      id: string;
    };
    accounts.push(account.id);
    const deposit = (await call(
      '/v1/transfers',
      { kind: 'deposit', destination_account_id: account.id, amount: FUNDING, currency: 'USD' },
      apiKey,
      { 'idempotency-key': randomUUID() },
    )) as { id: string };
    transferIds.push(deposit.id);
  }
  for (const id of transferIds) {
    const res = await fetch(`${url}/v1/transfers/${id}?wait=30`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const body = (await res.json()) as { status: string };
    if (body.status !== 'committed') throw new Error(`set-up deposit ${id} is ${body.status} after 30 s`);
  }
  return { tenantId: tenant.tenant.id, apiKey, accounts, transferIds };
}

/** Polls a condition every 50 ms until it holds; fails after timeout_ms. */
export async function until(condition: () => boolean, timeout_ms: number, what = 'condition'): Promise<void> {
  await eventually(condition, timeout_ms, 50, what);
}

async function processorGroupStable(kafka: Kafka, prefix: string, members: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const commands = topicsFor(prefix).commands;
    const deadline = Date.now() + 40_000;
    for (;;) {
      const { groups } = await admin.describeGroups([`${prefix}processor`]);
      const group = groups[0];
      const holding = (group?.members ?? []).filter(
        (m) =>
          (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[commands]?.length ?? 0) >
          0,
      );
      if (group?.state === 'Stable' && group.members.length === members && holding.length === members) return;
      if (Date.now() > deadline)
        throw new Error(`processor group not stable with ${members} members holding partitions within 40 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Per service, the kinds of error lines it logged most, with counts (indented lines, or ''). */
function errorDigest(services: Services): string {
  return services
    .all()
    .filter((s) => s.errors.size > 0)
    .map((s) => {
      const top = [...s.errors]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([message, n]) => `"${message}" ×${n}`);
      return `    ${s.label} logged: ${top.join('; ')}\n`;
    })
    .join('');
}

function summarise(name: string, violations: string[], m: Metrics): string {
  const s = (v: number | null) => (v === null ? 'n/a' : `${v} s`);
  const slowest =
    m.answer_during_fault_s !== null && m.answer_during_fault_s * 1_000 >= REQUEST_TIMEOUT_MS
      ? `over ${REQUEST_TIMEOUT_MS / 1_000} s (timed out)`
      : s(m.answer_during_fault_s);
  const answers = Object.entries(m.answers)
    .filter(([a]) => !a.endsWith(' accepted'))
    .map(([a, n]) => `${a}×${n}`)
    .join(', ');
  return (
    `FAULT ${name}: ${violations.length ? `FAIL (${violations.length} violations)` : 'PASS'}; ` +
    `accepted ${m.restAccepted} REST + ${m.kafkaAccepted} Kafka, ${m.committed} committed, ${m.rejected} rejected; ` +
    `first commit after return ${s(m.recovery_s)}, first 202 after return ${s(m.first_accept_s)}, ` +
    `first webhook after return ${s(m.delivery_recovery_s)}; worst 202→outcome ${s(m.stall_s)} (${s(m.final_after_return_s)} after the return), ` +
    `worst outcome→webhook ${s(m.webhook_lag_s)}, slowest answer from the fault to 10 s after the return ${slowest}; ` +
    `other answers: ${answers || 'none'}`
  );
}
