import { createIdempotentProducer, createKafka, topicsFor } from '../../platform/kafka';
import type { Logger } from '../../platform/logger';
import { consumerGroupCheck, migrationsCheck, postgresCheck } from '../../platform/metrics/checks';
import { instrumentConsumerLag } from '../../platform/metrics/consumer-lag';
import { createOpsDb } from '../../platform/metrics/ops-pool';
import { startOpsServer } from '../../platform/metrics/ops-server';
import type { ReadinessCheck } from '../../platform/metrics/readiness';
import { createMetricsRegistry } from '../../platform/metrics/registry';
import { createPool } from '../../platform/postgres';
import { untilItWorks } from '../../platform/retry';
import { TRACING_OFF, type Tracing } from '../../platform/tracing';
import type { ProcessorConfig } from './config';
import { loadSystemAccounts } from './data-access/ledger-store';
import { createCommandConsumer } from './entry-points/command-consumer';
import { registerBacklogGauges } from './backlog-gauges';
import { batchMetrics, countingDeadLetters, createProcessorMetrics } from './metrics';
import { createOutboxRelay } from './outbox-relay';
import { createProcessorCache } from './process-commands';

/** Wires the processor from its config: used by main.ts and by the integration tests. */
export async function createProcessor(
  config: ProcessorConfig,
  logger: Logger,
  tracing: Tracing = TRACING_OFF,
) {
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.PROCESSOR_DB_POOL_MAX,
    applicationName: 'processor',
    logger,
    connectionTimeoutMs: 2_000,
  });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-processor', logger });
  const topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
  const producer = createIdempotentProducer(kafka);
  const registry = createMetricsRegistry();
  const metrics = createProcessorMetrics(registry);
  const opsDb = createOpsDb({ url: config.DATABASE_URL, applicationName: 'processor', logger });
  registerBacklogGauges(registry, opsDb, logger);
  // The consumer is made once PostgreSQL has answered; until then it has not joined either.
  let consumerJoined: ReadinessCheck['run'] = async () => ({ ok: false, detail: 'not started' });
  // First, before waiting for PostgreSQL: /healthz and /readyz answer while the processor waits.
  const ops = await startOpsServer({
    host: config.OPS_HOST,
    port: config.PROCESSOR_OPS_PORT,
    registry,
    checks: [
      postgresCheck(opsDb),
      migrationsCheck(opsDb),
      { name: 'kafka_consumer', critical: true, run: () => consumerJoined() },
    ],
    logger: logger.child({ component: 'ops' }),
  });
  let stopping = false;
  const systemAccounts = await untilItWorks(
    'reading the system accounts from PostgreSQL',
    async () => {
      const client = await pool.connect();
      return loadSystemAccounts(client).finally(() => client.release());
    },
    { logger, stopped: () => stopping },
  );

  const relay = createOutboxRelay({
    pool,
    producer,
    logger: logger.child({ component: 'outbox-relay' }),
    batchSizeMax: config.OUTBOX_BATCH_SIZE_MAX,
    requestBytesMax: config.OUTBOX_REQUEST_BYTES_MAX,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    tracing,
  });
  const consumer = createCommandConsumer({
    kafka,
    producer: countingDeadLetters(producer, topics.deadLetter, metrics),
    commandsTopic: topics.commands,
    deadLetterTopic: topics.deadLetter,
    groupId: config.PROCESSOR_GROUP_ID,
    batchSizeMax: config.PROCESSOR_BATCH_SIZE_MAX,
    partitionsConsumedConcurrently: config.PROCESSOR_PARTITIONS_CONCURRENCY,
    fetchMaxWaitMs: config.PROCESSOR_FETCH_MAX_WAIT_MS,
    retryBackoffMaxMs: config.PROCESSOR_RETRY_BACKOFF_MAX_MS,
    sessionTimeoutMs: config.PROCESSOR_SESSION_TIMEOUT_MS,
    processor: {
      pool,
      logger,
      eventsTopic: topics.events,
      systemAccounts,
      cache: createProcessorCache(),
      observer: batchMetrics(metrics),
    },
    logger: logger.child({ component: 'command-consumer' }),
    onCommitted: () => relay.kick(),
    tracing,
  });
  instrumentConsumerLag(consumer.consumer, registry);
  consumerJoined = consumerGroupCheck(consumer.consumer).run;

  return {
    async start(): Promise<void> {
      await untilItWorks('connecting to Kafka', () => producer.connect(), {
        logger,
        stopped: () => stopping,
      });
      relay.start();
      await consumer.start();
    },
    /** Intake first, then the relay drains, then the clients close. */
    async stop(): Promise<void> {
      stopping = true;
      await consumer.stop();
      await relay.stop();
      await producer.disconnect();
      await pool.end();
      await ops.close();
      await opsDb.end();
    },
    consumer: consumer.consumer,
    /** The ops server's URL (/metrics, /healthz, /readyz). */
    opsUrl: (): string => ops.url,
  };
}
