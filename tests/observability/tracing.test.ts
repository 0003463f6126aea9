import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createPool } from '../../platform/postgres';
import { idem, newTenant, settled } from '../support/client';
import { eventually } from '../support/eventually';
import { freePort, ROOT, startService, type ChildService as Service } from '../support/child-service';
import { outboxDrained } from '../support/system';
import { testServiceEnv } from '../support/service-env';
import { KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';

async function untilHealthy(url: string, service: Service, timeout_ms = 20_000): Promise<void> {
  const healthy = async () => {
    if (service.child.exitCode !== null) throw new Error(`exited with ${service.child.exitCode}`);
    return fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
  };
  await eventually(healthy, timeout_ms, 50, 'GET /health').catch((error: unknown) => {
    throw new Error(`the API did not come up (${String(error)}):\n${service.output()}`);
  });
}

/** The span's ancestors within what was received, nearest first. */
function ancestors(span: ReceivedSpan, all: ReceivedSpan[]): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  for (let s = span; s.parentSpanId;) {
    const parent = all.find((p) => p.spanId === s.parentSpanId && p.traceId === s.traceId);
    if (!parent) break;
    chain.push(parent);
    s = parent;
  }
  return chain;
}

const method = (s: ReceivedSpan) => s.attributes['http.request.method'] ?? s.attributes['http.method'];
const target = (s: ReceivedSpan) => String(s.attributes['url.path'] ?? s.attributes['http.target'] ?? '');

describe('distributed tracing with OpenTelemetry, exported over OTLP/HTTP', () => {
  const prefix = `otel-${randomUUID().slice(0, 8)}.`;
  const commandsTopic = `${prefix}ledger.transfer-commands.v1`;
  const eventsTopic = `${prefix}ledger.events.v1`;
  let receiver: OtlpReceiver;
  let api: Service;
  let processor: Service;
  let submitted: string[] = [];

  // Arrange and act once: both services traced into a local receiver, a tenant and an account
  // created, six deposits submitted at once (the API then typically sends several of them in one
  // Kafka request) and committed, then both services stopped gracefully, which flushes the spans.
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...testServiceEnv(prefix),
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_WORKERS: '2',
      PUBLISH_LINGER_MS: '20',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Nothing is exported on a timer within the test: spans arrive through the shutdown flush.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    };
    processor = startService('processor/src/main.ts', env);
    api = startService('api/src/main.ts', env);
    const url = `http://127.0.0.1:${port}`;
    await untilHealthy(url, api);

    const tenant = await newTenant(url);
    const account = await tenant.api.post('/v1/accounts', { name: 'traced', currency: 'EUR' });
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        tenant.api.post(
          '/v1/transfers',
          { kind: 'deposit', destination_account_id: account.body.id, amount: 100 + i, currency: 'EUR' },
          idem(),
        ),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 202));
    submitted = replies.map((r) => r.body.id as string);
    for (const id of submitted) expect((await settled(tenant.api, id)).status).toBe('committed');
    const pool = createPool({ url: process.env.DATABASE_URL!, max: 1, applicationName: 'test-tracing' });
    const relayed = await outboxDrained(pool, eventsTopic).finally(() => pool.end());
    expect(relayed).toBe(true);

    expect(await api.stop()).toBe(0);
    expect(await processor.stop()).toBe(0);
  }, 45_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), processor?.stop()]);
    await receiver?.close();
  });

  const apiSpans = () => receiver.spans.filter((s) => s.service === 'ledger-api');
  const processorSpans = () => receiver.spans.filter((s) => s.service === 'ledger-processor');
  const transferPosts = () =>
    apiSpans().filter((s) => s.kind === KIND.SERVER && method(s) === 'POST' && target(s) === '/v1/transfers');

  it('exports over OTLP/JSON only what it was asked for: traces, from both services, by name', () => {
    expect(receiver.refused).toEqual([]);
    expect(apiSpans().length).toBeGreaterThan(0);
    expect(processorSpans().length).toBeGreaterThan(0);
  });

  it('traces the HTTP requests in the cluster workers; the primary, which only supervises, exports nothing', () => {
    expect(transferPosts()).toHaveLength(submitted.length);
    expect(apiSpans().filter((s) => s.pid === api.child.pid)).toEqual([]);
  });

  it('puts each submission, its Kafka produce and its commit by the processor in one trace', () => {
    const all = receiver.spans;
    for (const post of transferPosts()) {
      const inTrace = all.filter((s) => s.traceId === post.traceId);
      // Exactly one produce per request, under the request: a batch of several requests'
      // commands is not charged to one of them, nor stamped with one request's context.
      const produces = inTrace.filter((s) => s.kind === KIND.PRODUCER && s.name === `send ${commandsTopic}`);
      expect(produces).toHaveLength(1);
      const produce = produces[0]!;
      expect(produce.service).toBe('ledger-api');
      expect(ancestors(produce, all)).toContainEqual(post);

      // The processor continues the same trace from the traceparent header it consumed...
      const commits = inTrace.filter((s) => s.name === 'ledger.commit-command');
      expect(commits).toHaveLength(1);
      const commit = commits[0]!;
      expect(commit).toMatchObject({ service: 'ledger-processor', kind: KIND.CONSUMER });
      expect(commit.parentSpanId).toBe(produce.spanId);

      // ...linked to the span of the database transaction that committed it, whose SQL sits
      // under it, and which links back to the produce.
      const [link] = commit.links;
      const batch = all.find((s) => s.spanId === link?.spanId && s.name === 'ledger.commit-batch');
      expect(batch).toBeDefined();
      expect(batch!.links).toContainEqual({ traceId: produce.traceId, spanId: produce.spanId });
      const sql = all.filter(
        (s) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql',
      );
      expect(sql.some((s) => ancestors(s, all).includes(batch!))).toBe(true);
      expect(Number(batch!.attributes['ledger.batch.committed'])).toBeGreaterThanOrEqual(1);

      // The transfer's events, relayed from the outbox after the commit, join its trace: one
      // produce each (a deposit: transfer.committed and account.credited), under the commit.
      const events = inTrace.filter((s) => s.kind === KIND.PRODUCER && s.name === `send ${eventsTopic}`);
      expect(events).toHaveLength(2);
      for (const e of events)
        expect(e).toMatchObject({ service: 'ledger-processor', parentSpanId: commit.spanId });

      // The kafkajs instrumentation's own consumer span links to the same produce.
      const processed = all.filter(
        (s) => s.service === 'ledger-processor' && s.name === `process ${commandsTopic}`,
      );
      expect(processed.some((s) => s.links.some((l) => l.spanId === produce.spanId))).toBe(true);
    }
  });

  it('writes the trace id into the log lines written inside a traced request', () => {
    for (const post of transferPosts()) expect(api.output()).toContain(`"trace_id":"${post.traceId}"`);
  });
});

describe('with no OTEL_* variable set', () => {
  it('loads no OpenTelemetry SDK, exporter or instrumentation, so tracing costs nothing', () => {
    const script = [
      "require('./api/src/tracing');",
      "require('./api/src/start-api');",
      "require('./processor/src/tracing');",
      "require('./processor/src/create-processor');",
      "require('./webhook-dispatcher/src/tracing');",
      "require('./webhook-dispatcher/src/create-dispatcher');",
      // prom-client loads @opentelemetry/api (for exemplars, off here): the API alone is no-ops
      // until an SDK registers a provider. No SDK, exporter or instrumentation may load.
      "const loaded = Object.keys(require.cache).filter((f) => f.includes('@opentelemetry') && !f.includes('@opentelemetry/api/'));",
      'console.log(JSON.stringify(loaded));',
    ].join('\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
    const run = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual([]);
  });
});
