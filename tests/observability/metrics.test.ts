import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createOrderedProducer, createKafka } from '../../platform/kafka';
import { createDispatcher, type Dispatcher } from '../../webhook-dispatcher/src/create-dispatcher';
import { fundedAccount, idem, newTenant, settled, type Reply } from '../support/client';
import { scrape, seriesNames, total, type Exposition } from '../support/prometheus-text';
import { startSystem, type System } from '../support/system';
import { dispatcherConfig, logger } from '../webhooks/harness';
import { eventually } from '../support/eventually';
import { startReceiver, type TestReceiver } from '../webhooks/test-receiver';

const ROOT = path.resolve(__dirname, '..', '..');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * Real traffic through a system of its own (the API, the processor and the webhook dispatcher,
 * each with a fresh registry, on topics of its own), then what /metrics says is held against
 * the database. Counters carry no tenant label, so they count this file's traffic only because
 * the instances are this file's alone.
 */
describe('/metrics after real traffic', () => {
  let system: System;
  let dispatcher: Dispatcher;
  let receiver: TestReceiver;
  let tenantId: string;
  let endpointId: string;
  const answers: Reply[] = [];
  let burst: Reply[] = [];
  let missing: Reply;
  let api: Exposition;
  let processor: Exposition;
  let webhooks: Exposition;
  const dispatcherUrl = () => dispatcher.opsUrl()!;
  const startedAt_s = Date.now() / 1000;
  let trafficAt_s: number;

  beforeAll(async () => {
    system = await startSystem({ WEBHOOK_ALLOW_HTTP: 'true', RATE_LIMIT_READS_PER_KEY: '40/1' });
    dispatcher = createDispatcher(dispatcherConfig(system.prefix), logger);
    await dispatcher.start();
    receiver = await startReceiver();

    // Transfers of one tenant: a deposit, four payments, one refused for want of funds.
    const tenant = await newTenant(system.url);
    tenantId = tenant.id;
    const hook = receiver.endpoint();
    const endpoint = await tenant.api.post('/v1/webhook-endpoints', {
      url: hook.url,
      event_types: ['transfer.committed', 'transfer.rejected'],
    });
    endpointId = endpoint.body.id;
    const from = await fundedAccount(tenant.api, 'USD', 10_000);
    const to = await fundedAccount(tenant.api, 'USD', 0);
    trafficAt_s = Date.now() / 1000;
    for (const amount of [100, 200, 300, 400, 1_000_000]) {
      const res = await tenant.api.post(
        '/v1/transfers',
        { source_account_id: from, destination_account_id: to, amount, currency: 'USD' },
        idem(),
      );
      answers.push(res);
      await settled(tenant.api, res.body.id);
    }
    // An error answered by the app's error handler, outside the routers: still its route's template.
    missing = await tenant.api.get(`/v1/transfers/${randomUUID()}`);
    // The deposit, four commits and one rejection: six outcomes, each delivered once.
    await receiver.waitFor(hook.path, 6);

    // A message no one can read, produced straight to the commands topic: dead-lettered.
    const kafka = createKafka({ brokers: system.brokers, clientId: 'metrics-test', logger });
    const producer = createOrderedProducer(kafka);
    await producer.connect();
    await producer.send({
      topic: system.topics.commands,
      acks: -1,
      messages: [{ key: 'x', value: '{not json' }],
    });
    await producer.disconnect();

    // Another tenant's key, far past its limit of 40 reads a second: some answers are 429 (four
    // times the quota at once, so a loaded machine spreading them over a second or two still refuses some).
    const greedy = await newTenant(system.url);
    burst = await Promise.all(Array.from({ length: 160 }, () => greedy.api.get('/v1/accounts')));

    await eventually(
      async () => total(await scrape(system.processorOpsUrl()), 'ledger_dead_letter_messages_total') === 1,
    );
    await eventually(async () => {
      const { rows } = await system.pool.query(
        `SELECT count(*)::int AS n FROM webhook_attempts WHERE endpoint_id = $1 AND status = 'succeeded'`,
        [endpointId],
      );
      return total(await scrape(dispatcherUrl()), 'ledger_webhook_attempts_total') === 6 && rows[0].n === 6;
    });
    [api, processor, webhooks] = await Promise.all([
      scrape(system.url),
      scrape(system.processorOpsUrl()),
      scrape(dispatcherUrl()),
    ]);
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await system?.stop();
    await receiver?.close();
  });

  const transfersOfTenant = async () =>
    (
      await system.pool.query<{ kind: string; status: string; reason: string | null; n: number }>(
        `SELECT kind, status, reason, count(*)::int AS n FROM transfers WHERE tenant_id = $1
          GROUP BY kind, status, reason ORDER BY kind, status, reason`,
        [tenantId],
      )
    ).rows;

  it('counts committed and rejected transfers by kind and reason as the database records them', async () => {
    const rows = await transfersOfTenant();
    expect(rows).toEqual([
      { kind: 'deposit', status: 'committed', reason: null, n: 1 },
      { kind: 'transfer', status: 'committed', reason: null, n: 4 },
      { kind: 'transfer', status: 'rejected', reason: 'insufficient_funds', n: 1 },
    ]);
    for (const row of rows) {
      if (row.status === 'committed')
        expect(total(processor, 'ledger_transfers_committed_total', { kind: row.kind })).toBe(row.n);
      else
        expect(
          total(processor, 'ledger_transfers_rejected_total', { kind: row.kind, reason: row.reason! }),
        ).toBe(row.n);
    }
    // Every one of them was accepted by the API first, and timed from that 202 to its outcome.
    for (const kind of ['deposit', 'transfer'])
      expect(total(api, 'ledger_transfers_accepted_total', { kind })).toBe(
        rows.filter((r) => r.kind === kind).reduce((n, r) => n + r.n, 0),
      );
    expect(total(processor, 'ledger_transfer_accept_to_final_seconds_count')).toBe(6);
    expect(total(processor, 'ledger_commit_batch_size_commands_sum')).toBe(6);
    expect(total(processor, 'ledger_commit_batch_duration_seconds_count')).toBe(
      total(processor, 'ledger_commit_batch_size_commands_count'),
    );
    expect(total(processor, 'ledger_dead_letter_messages_total', { reason: 'malformed_json' })).toBe(1);
    expect(total(api, 'ledger_pending_sweeper_republished_total')).toBe(0);
  });

  it('counts requests by route template and status class, and each rate-limit refusal', () => {
    const accepted = answers.filter((a) => a.status === 202).length + 1; // and the deposit
    expect(
      total(api, 'ledger_http_requests_total', {
        method: 'POST',
        route: '/v1/transfers',
        status_class: '2xx',
      }),
    ).toBe(accepted);
    expect(
      total(api, 'ledger_http_request_duration_seconds_count', { route: '/v1/transfers', method: 'POST' }),
    ).toBe(accepted);
    expect(
      total(api, 'ledger_http_requests_total', {
        route: '/v1/transfers/:id',
        method: 'GET',
        status_class: '2xx',
      }),
    ).toBe(6);
    expect(missing.status).toBe(404);
    expect(
      total(api, 'ledger_http_requests_total', {
        route: '/v1/transfers/:id',
        method: 'GET',
        status_class: '4xx',
      }),
    ).toBe(1);
    // Templates, never paths: no label value holds an id.
    const routes = api.samples
      .filter((s) => s.name === 'ledger_http_requests_total')
      .map((s) => s.labels.route!);
    expect(routes.filter((r) => UUID.test(r))).toEqual([]);

    const refused = burst.filter((r) => r.status === 429).length;
    expect(refused).toBeGreaterThan(0);
    const decisions = (outcome: string) =>
      total(api, 'ledger_rate_limit_decisions_total', { policy: 'key-read', outcome });
    expect(decisions('limited') + decisions('blocked')).toBe(refused);
    expect(decisions('admitted')).toBeGreaterThanOrEqual(burst.length - refused);
    // Refused before any route matched: counted under `unmatched`, like a 401 or a 404.
    expect(
      total(api, 'ledger_http_requests_total', { method: 'GET', route: 'unmatched', status_class: '4xx' }),
    ).toBe(refused);
  });

  it('counts webhook attempts and first-attempt latency as the delivery log records them', async () => {
    const { rows } = await system.pool.query(
      `SELECT status, schedule_index, count(*)::int AS n FROM webhook_attempts WHERE endpoint_id = $1
        GROUP BY status, schedule_index`,
      [endpointId],
    );
    expect(rows).toEqual([{ status: 'succeeded', schedule_index: 0, n: 6 }]);
    expect(total(webhooks, 'ledger_webhook_attempts_total', { outcome: 'delivered' })).toBe(6);
    expect(total(webhooks, 'ledger_webhook_attempts_total')).toBe(6);
    expect(total(webhooks, 'ledger_webhook_first_attempt_latency_seconds_count')).toBe(6);
    expect(total(webhooks, 'ledger_webhook_endpoints_disabled_total')).toBe(0);
  });

  it('reads the backlogs from PostgreSQL at scrape time: they agree with the tables', async () => {
    await eventually(async () => {
      const [p, w] = await Promise.all([scrape(system.processorOpsUrl()), scrape(dispatcherUrl())]);
      const { rows } = await system.pool.query(
        `SELECT (SELECT count(*) FROM transfers WHERE status = 'pending')::int AS pending,
                (SELECT count(*) FROM outbox_batches)::int AS outbox,
                (SELECT count(*) FROM webhook_attempts WHERE source_topic = $1 AND status = 'scheduled'
                    AND due_at <= now())::int AS waiting`,
        [system.topics.events],
      );
      const db = rows[0];
      return (
        total(p, 'ledger_transfers_pending') === db.pending &&
        total(p, 'ledger_outbox_backlog_batches') === db.outbox &&
        total(w, 'ledger_webhook_deliveries_waiting') === db.waiting &&
        db.waiting === 0 &&
        total(w, 'ledger_webhook_oldest_waiting_age_seconds') === 0
      );
    });
  });

  it('reports each consumer group caught up, partition by partition', async () => {
    await eventually(async () => {
      const lag = (await scrape(system.processorOpsUrl())).samples.filter(
        (s) => s.name === 'ledger_kafka_consumer_lag_messages' && s.labels.topic === system.topics.commands,
      );
      return lag.length > 0 && lag.every((s) => s.value === 0);
    });
    const events = webhooks.samples.filter(
      (s) => s.name === 'ledger_kafka_consumer_lag_messages' && s.labels.topic === system.topics.events,
    );
    expect(events.length).toBeGreaterThan(0);
  });

  it('stamps each partition with the time it last finished a batch, for the stalled-consumer alert', async () => {
    const stamps = (e: Exposition, topic: string) =>
      e.samples.filter(
        (s) => s.name === 'ledger_kafka_consumer_last_batch_timestamp_seconds' && s.labels.topic === topic,
      );
    const now = Date.now() / 1000;
    for (const [e, topic] of [
      [processor, system.topics.commands],
      [webhooks, system.topics.events],
    ] as const) {
      const lagged = e.samples
        .filter((s) => s.name === 'ledger_kafka_consumer_lag_messages' && s.labels.topic === topic)
        .map((s) => s.labels.partition);
      const stamped = stamps(e, topic);
      // Every partition the lag names, and only those this instance was assigned, since it started.
      expect(stamped.map((s) => s.labels.partition)).toEqual(expect.arrayContaining(lagged));
      for (const s of stamped) {
        expect(s.value).toBeGreaterThanOrEqual(startedAt_s);
        expect(s.value).toBeLessThanOrEqual(now);
      }
    }
    // The partitions that carried this file's commands finished a batch after the traffic began.
    expect(Math.max(...stamps(processor, system.topics.commands).map((s) => s.value))).toBeGreaterThan(
      trafficAt_s,
    );
  });

  it('exposes the process metrics (CPU, memory, event-loop lag, GC) on every service', () => {
    for (const e of [api, processor, webhooks])
      for (const name of [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_gc_duration_seconds',
      ])
        expect(e.types.has(name)).toBe(true);
  });

  describe('the dashboard and the alert rules', () => {
    /** Series Prometheus itself writes for every target. */
    const PROMETHEUS_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

    const dashboard = JSON.parse(
      readFileSync(path.join(ROOT, 'deploy/grafana/dashboards/ledger.json'), 'utf8'),
    );
    const rules = parseYaml(readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const panels = (list: Array<{ panels?: unknown[]; targets?: Array<{ expr: string }> }>): string[] =>
      list.flatMap((p) => [
        ...(p.targets ?? []).map((t) => t.expr),
        ...panels((p.panels ?? []) as typeof list),
      ]);
    const dashboardExprs = panels(dashboard.panels);
    const alertExprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));

    it('name only series that the three services expose', () => {
      const exposed = new Set([...seriesNames(api), ...seriesNames(processor), ...seriesNames(webhooks)]);
      const named = new Set([...dashboardExprs, ...alertExprs].flatMap(seriesIn));
      const missing = [...named].filter((n) => !exposed.has(n) && !PROMETHEUS_SERIES.has(n));
      expect(missing).toEqual([]);
      expect(dashboardExprs.length).toBeGreaterThan(20);
      expect(alertExprs.length).toBeGreaterThanOrEqual(4);
      expect(named.size).toBeGreaterThan(15);
    });

    it('would catch a series that does not exist (the check reads names out of PromQL)', () => {
      expect(
        seriesIn(
          'histogram_quantile(0.99, sum by (le, route) (rate(ledger_nope_seconds_bucket{route=~"/v1/.+", le!="x"}[$__rate_interval]))) / on (job) group_left max without (instance) (up) > bool 0',
        ).sort(),
      ).toEqual(['ledger_nope_seconds_bucket', 'up']);
    });

    it('say that accepted counts REST submissions only, beside the figures that count both paths', () => {
      type Panel = { description?: string; targets?: Array<{ expr: string }> };
      const flat = (list: Array<Panel & { panels?: Panel[] }>): Panel[] =>
        list.flatMap((p) => [p, ...flat((p.panels ?? []) as typeof list)]);
      const showing = (series: string) =>
        flat(dashboard.panels).filter((p) =>
          (p.targets ?? []).some((t) => seriesIn(t.expr).includes(series)),
        );
      const accepted = showing('ledger_transfers_accepted_total');
      expect(accepted.length).toBeGreaterThan(0);
      for (const panel of accepted) {
        expect(panel.description).toMatch(/REST/);
        expect(panel.description).toMatch(/straight to Kafka/);
        expect(showing('ledger_transfers_committed_total')).toContain(panel);
      }
    });

    it('cover the alerts the runbook promises', () => {
      expect(rules.groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual(
        expect.arrayContaining([
          'LedgerConsumerLagGrowing',
          'LedgerConsumerStalled',
          'LedgerOldestPendingOverAMinute',
          'LedgerWebhookBacklogOverAnHour',
          'LedgerDeadLetters',
        ]),
      );
    });
  });
});

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * The series names a PromQL expression reads: identifiers once label matchers, groupings,
 * strings and range selectors are taken out, that are not functions (followed by a parenthesis)
 * or keywords.
 */
function seriesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  return [...bare.matchAll(/(?<![\w.$:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)]
    .map((m) => m[1]!)
    .filter((word) => !PROMQL_WORDS.has(word.toLowerCase()) && !/^\d/.test(word));
}
