import { randomUUID } from 'node:crypto';
import { loadApiConfig } from '../../api/src/config';
import { startApi } from '../../api/src/start-api';
import { createKafka, deleteTopics, ensureTopics, topicsFor } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import type { ReadinessReport } from '../../platform/metrics/readiness';
import { loadProcessorConfig } from '../../processor/src/config';
import { createProcessor } from '../../processor/src/create-processor';
import { createDispatcher } from '../../webhook-dispatcher/src/create-dispatcher';
import { startTcpProxy } from '../support/tcp-proxy';
import { dispatcherConfig } from '../webhooks/harness';
import { eventually } from '../support/eventually';
import { freePort, startService } from '../support/child-service';
import { postgresTcp, testDatabaseUrl, testKafkaBrokers, testServiceEnv } from '../support/service-env';

const logger = createLogger({ service: 'test', level: process.env.LOG_LEVEL ?? 'silent', pretty: false });

interface Probe {
  status: number;
  body: ReadinessReport;
}

async function readyz(baseUrl: string): Promise<Probe> {
  const res = await fetch(`${baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadinessReport };
}

/** Polls /readyz until it answers the status wanted; returns that answer. */
const readyzBecomes = (baseUrl: string, status: number, timeout_ms = 15_000) =>
  eventually(
    async () => {
      const probe = await readyz(baseUrl);
      return probe.status === status ? probe : undefined;
    },
    timeout_ms,
    100,
  );

/**
 * Readiness against real dependencies. The shared PostgreSQL is never stopped: the instances
 * under test reach it through a TCP proxy in this process, which the test cuts and restores.
 */
describe('/readyz', () => {
  const prefix = `t-${randomUUID().slice(0, 8)}.`;
  const topics = topicsFor(prefix);
  const kafka = createKafka({
    brokers: testKafkaBrokers().split(','),
    clientId: 'test-setup',
    logger,
  });
  const databaseUrl = new URL(testDatabaseUrl());
  const env = (overrides: Record<string, string>) => ({
    ...process.env,
    ...testServiceEnv(prefix),
    ...overrides,
  });
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let proxiedUrl: string;
  beforeAll(async () => {
    proxy = await startTcpProxy(postgresTcp());
    proxiedUrl = `postgres://postgres@127.0.0.1:${proxy.port}${databaseUrl.pathname}`;
  });
  afterAll(async () => {
    await proxy?.close();
    await deleteTopics(kafka, topics).catch(() => undefined);
  });

  it('a processor waiting to join its group is not ready; once it has joined with partitions it is, until it leaves', async () => {
    await ensureTopics(kafka, topics);
    const groupId = `${prefix}processor-join`;
    // A member already in the group, busy with a batch: the group cannot rebalance (so the
    // processor cannot join) until that batch is over and the member rejoins or leaves.
    const member = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let busy = () => {};
    const holding = new Promise<void>((resolve) => (busy = resolve));
    await member.connect();
    await member.subscribe({ topic: topics.commands, fromBeginning: true });
    await member.run({
      autoCommit: false,
      eachBatch: async () => {
        busy();
        await released;
      },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.commands,
      messages: [{ key: 'k', value: 'a batch for the member' }],
    });
    await producer.disconnect();
    await holding;

    const processor = await createProcessor(
      loadProcessorConfig(env({ PROCESSOR_GROUP_ID: groupId })),
      logger,
    );
    // start() resolves once the consumer has joined: it is not awaited while the join waits.
    const started = processor.start();
    started.catch(() => undefined); // awaited below
    try {
      const opsUrl = await eventually(async () => processor.opsUrl());
      const waiting = await readyz(opsUrl);
      expect(waiting.status).toBe(503);
      expect(waiting.body.status).toBe('not_ready');
      expect(waiting.body.checks.kafka_consumer).toMatchObject({ status: 'down', critical: true });
      expect(waiting.body.checks.postgres).toMatchObject({ status: 'up' });
      expect(waiting.body.checks.migrations).toMatchObject({ status: 'up' });
      // Liveness is another matter: the process runs.
      expect((await fetch(`${opsUrl}/healthz`)).status).toBe(200);

      release();
      await member.disconnect();
      await started;
      const joined = await readyzBecomes(opsUrl, 200);
      expect(joined.body.checks.kafka_consumer).toMatchObject({
        status: 'up',
        detail: '8 partitions assigned',
      });

      await processor.consumer.stop();
      const left = await readyzBecomes(opsUrl, 503);
      expect(left.body.checks.kafka_consumer).toMatchObject({ status: 'down', detail: 'stopped' });
    } finally {
      release();
      await member.disconnect();
      await processor.stop();
    }
  });

  it('the API, processor and dispatcher started while PostgreSQL is unreachable stay up, say what they wait for, are unready until it answers, then ready', async () => {
    await ensureTopics(kafka, topics);
    const [apiPort, processorPort, dispatcherPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const serviceEnv = env({
      DATABASE_URL: proxiedUrl,
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_WORKERS: '1',
      PROCESSOR_OPS_PORT: String(processorPort),
      WEBHOOK_OPS_PORT: String(dispatcherPort),
      PROCESSOR_GROUP_ID: `${prefix}processor-cold`,
      WEBHOOK_DISPATCHER_GROUP_ID: `${prefix}webhooks-cold`,
    });
    const services = {
      api: { url: `http://127.0.0.1:${apiPort}`, entry: 'api/src/main.ts' },
      processor: { url: `http://127.0.0.1:${processorPort}`, entry: 'processor/src/main.ts' },
      dispatcher: { url: `http://127.0.0.1:${dispatcherPort}`, entry: 'webhook-dispatcher/src/main.ts' },
    };
    proxy.cut();
    const running = Object.values(services).map((s) => ({ ...s, ...startService(s.entry, serviceEnv) }));
    try {
      for (const service of running) {
        // Up and answering, though not ready: liveness is another matter than readiness.
        const down = await eventually(
          async () => {
            if (!service.running()) throw new Error(`${service.entry} exited:\n${service.output()}`);
            const probe = await readyz(service.url).catch(() => undefined);
            return probe?.status === 503 && probe.body.checks.postgres?.status === 'down' && probe;
          },
          40_000,
          100,
          `${service.entry} answering /readyz 503 naming postgres`,
        );
        expect(down.body.status).toBe('not_ready');
        expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
        // What it waits for, in its log.
        await eventually(
          () => service.output().includes('connecting to PostgreSQL: waiting'),
          10_000,
          50,
          `${service.entry} saying it waits for PostgreSQL`,
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n${service.output()}`);
        });
      }

      proxy.restore();
      for (const service of running) {
        await readyzBecomes(service.url, 200, 30_000).catch((error: Error) => {
          throw new Error(`${service.entry}: ${error.message}\n${service.output()}`);
        });
        expect(service.running()).toBe(true);
      }
    } finally {
      proxy.restore();
      await Promise.all(running.map((s) => s.stop()));
    }
  }, 120_000);

  it('the processor turns unready while PostgreSQL is unreachable and ready again when it returns', async () => {
    await ensureTopics(kafka, topics);
    const processor = await createProcessor(
      loadProcessorConfig(env({ DATABASE_URL: proxiedUrl, PROCESSOR_GROUP_ID: `${prefix}processor-2` })),
      logger,
    );
    await processor.start();
    try {
      const opsUrl = processor.opsUrl()!;
      await readyzBecomes(opsUrl, 200);

      proxy.cut();
      const down = await readyzBecomes(opsUrl, 503);
      expect(down.body.checks.postgres).toMatchObject({ status: 'down', critical: true });
      // What is not at fault is not blamed.
      expect(down.body.checks.kafka_consumer).toMatchObject({ status: 'up' });
      // The scrape still answers; the gauges read from PostgreSQL say they do not know.
      const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/^ledger_transfers_oldest_pending_age_seconds nan$/im);
      expect(metrics).toMatch(
        /^ledger_metrics_collect_failures_total\{collector="processor_backlog"\} [1-9]/m,
      );

      proxy.restore();
      const up = await readyzBecomes(opsUrl, 200);
      expect(up.body.checks.postgres).toMatchObject({ status: 'up' });
    } finally {
      proxy.restore();
      await processor.stop();
    }
  });

  it('the webhook dispatcher turns unready while PostgreSQL is unreachable and ready again when it returns', async () => {
    await ensureTopics(kafka, topics);
    const dispatcher = createDispatcher(dispatcherConfig(prefix, { DATABASE_URL: proxiedUrl }), logger);
    await dispatcher.start();
    try {
      const opsUrl = dispatcher.opsUrl()!;
      const ready = await readyzBecomes(opsUrl, 200);
      expect(ready.body.checks).toMatchObject({
        postgres: { status: 'up' },
        migrations: { status: 'up' },
        kafka_consumer: { status: 'up', detail: '8 partitions assigned' },
      });

      proxy.cut();
      const down = await readyzBecomes(opsUrl, 503);
      expect(down.body.checks.postgres).toMatchObject({ status: 'down' });
      expect(down.body.checks.kafka_consumer).toMatchObject({ status: 'up' });

      proxy.restore();
      await readyzBecomes(opsUrl, 200);
    } finally {
      proxy.restore();
      await dispatcher.stop();
    }
  });

  it('the API turns unready while PostgreSQL is unreachable and ready again; Redis is reported, not required', async () => {
    await ensureTopics(kafka, topics);
    const api = await startApi(loadApiConfig(env({ DATABASE_URL: proxiedUrl })), logger);
    try {
      const ready = await readyzBecomes(api.url, 200);
      expect(ready.body.checks).toMatchObject({
        postgres: { status: 'up', critical: true },
        migrations: { status: 'up', critical: true },
        kafka_producer: { status: 'up', critical: false },
        redis: { status: 'up', critical: false },
      });
      // The old probe still answers.
      expect((await fetch(`${api.url}/health`)).status).toBe(200);

      proxy.cut();
      const down = await readyzBecomes(api.url, 503);
      expect(down.body.checks.postgres).toMatchObject({ status: 'down' });
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);

      proxy.restore();
      await readyzBecomes(api.url, 200);
    } finally {
      proxy.restore();
      await api.stop();
    }
  });
});
