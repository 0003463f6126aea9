import { createOrderedProducer, createKafka, topicsFor } from '../../platform/kafka';
import type { Logger } from '../../platform/logger';
import { consumerGroupCheck, migrationsCheck, postgresCheck } from '../../platform/metrics/checks';
import { instrumentConsumerLag } from '../../platform/metrics/consumer-lag';
import { createOpsDb } from '../../platform/metrics/ops-pool';
import { startOpsServer, type OpsServer } from '../../platform/metrics/ops-server';
import { createMetricsRegistry } from '../../platform/metrics/registry';
import { createPool, untilDatabaseAnswers } from '../../platform/postgres';
import { untilItWorks } from '../../platform/retry';
import { TRACING_OFF, type Tracing } from '../../platform/tracing';
import type { ProcessorConfig } from './config';
import { createCommandConsumer } from './entry-points/command-consumer';
import { registerBacklogGauges } from './data-access/backlog-gauges';
import { batchMetrics, countingDeadLetters, createProcessorMetrics, expiryMetrics } from './metrics';
import { createOutboxRelay } from './entry-points/outbox-relay';
import { createHoldExpirySweeper } from './entry-points/hold-expiry-sweeper';
import { createProcessorCache } from './use-cases/process-commands';

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
    connectionTimeout_ms: config.PROCESSOR_DB_CONNECT_TIMEOUT_MS,
  });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-processor', logger });
  const topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
  const producer = createOrderedProducer(kafka);
  // METRICS_ENABLED=false (to measure their cost): the series exist, nothing on the work's path feeds them.
  const registry = createMetricsRegistry({ processMetrics: config.METRICS_ENABLED });
  const metrics = createProcessorMetrics(registry);
  const opsDb = createOpsDb({ url: config.DATABASE_URL, applicationName: 'processor', logger });
  registerBacklogGauges(registry, opsDb, logger);
  let ops: OpsServer | undefined;
  let stopping = false;

  const relay = createOutboxRelay({
    pool,
    topic: topics.events,
    producer,
    logger: logger.child({ component: 'outbox-relay' }),
    batchSizeMax: config.OUTBOX_BATCH_SIZE_MAX,
    requestBytesMax: config.OUTBOX_REQUEST_BYTES_MAX,
    pollInterval_ms: config.OUTBOX_POLL_INTERVAL_MS,
    tracing,
  });
  const consumer = createCommandConsumer({
    kafka,
    producer: config.METRICS_ENABLED ? countingDeadLetters(producer, topics.deadLetter, metrics) : producer,
    commandsTopic: topics.commands,
    deadLetterTopic: topics.deadLetter,
    groupId: config.PROCESSOR_GROUP_ID,
    batchSizeMax: config.PROCESSOR_BATCH_SIZE_MAX,
    partitionsConsumedConcurrently: config.PROCESSOR_PARTITIONS_CONCURRENCY,
    fetchMaxWait_ms: config.PROCESSOR_FETCH_MAX_WAIT_MS,
    retryBackoffMax_ms: config.PROCESSOR_RETRY_BACKOFF_MAX_MS,
    fetchPartitionBytesMax: config.PROCESSOR_FETCH_PARTITION_BYTES_MAX,
    fetchBytesMax: config.PROCESSOR_FETCH_BYTES_MAX,
    sessionTimeout_ms: config.PROCESSOR_SESSION_TIMEOUT_MS,
    processor: {
      pool,
      logger,
      eventsTopic: topics.events,
      cache: createProcessorCache({
        accountsMax: config.PROCESSOR_ACCOUNT_CACHE_MAX,
        tenantsMax: config.PROCESSOR_TENANT_CACHE_MAX,
      }),
      ...(config.METRICS_ENABLED ? { observer: batchMetrics(metrics) } : {}),
    },
    logger: logger.child({ component: 'command-consumer' }),
    onCommitted: () => relay.kick(),
    tracing,
  });
  const expirySweeper = createHoldExpirySweeper({
    pool,
    producer,
    commandsTopic: topics.commands,
    logger: logger.child({ component: 'hold-expiry-sweeper' }),
    interval_ms: config.HOLD_EXPIRY_INTERVAL_MS,
    againAfter_ms: config.HOLD_EXPIRY_AGAIN_AFTER_MS,
    batchSizeMax: config.HOLD_EXPIRY_BATCH_SIZE_MAX,
    sendTimeout_ms: config.HOLD_EXPIRY_SEND_TIMEOUT_MS,
    ...(config.METRICS_ENABLED ? { observer: expiryMetrics(metrics) } : {}),
  });
  if (config.METRICS_ENABLED) instrumentConsumerLag(consumer.consumer, registry);
  const checks = [postgresCheck(opsDb), migrationsCheck(opsDb), consumerGroupCheck(consumer.consumer)];

  return {
    async start(): Promise<void> {
      // First: /healthz and /readyz (not ready) answer while it connects and joins its group.
      ops = await startOpsServer({
        host: config.OPS_HOST,
        port: config.PROCESSOR_OPS_PORT,
        registry,
        checks,
        logger: logger.child({ component: 'ops' }),
      });
      // Not a member of the group before the database answers: its partitions would only stall here.
      await untilDatabaseAnswers(pool, logger, () => stopping);
      await untilItWorks('connecting to Kafka', () => producer.connect(), {
        logger,
        stopped: () => stopping,
      });
      relay.start();
      expirySweeper.start();
      await consumer.start();
    },
    /** Intake first, then the relay drains, then the clients close. */
    async stop(): Promise<void> {
      stopping = true;
      await expirySweeper.stop();
      await consumer.stop();
      await relay.stop();
      await producer.disconnect();
      await pool.end();
      await ops?.close();
      await opsDb.end();
    },
    consumer: consumer.consumer,
    /** The ops server's URL (/metrics, /healthz, /readyz) once started. */
    opsUrl: (): string | undefined => ops?.url,
  };
}
