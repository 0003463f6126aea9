import { createKafka, topicsFor } from '../../platform/kafka';
import type { Logger } from '../../platform/logger';
import { consumerGroupCheck, migrationsCheck, postgresCheck } from '../../platform/metrics/checks';
import { instrumentConsumerLag } from '../../platform/metrics/consumer-lag';
import { createOpsDb } from '../../platform/metrics/ops-pool';
import { startOpsServer, type OpsServer } from '../../platform/metrics/ops-server';
import { createMetricsRegistry } from '../../platform/metrics/registry';
import { createPool, untilDatabaseAnswers } from '../../platform/postgres';
import type { ClaimedAttempt } from './data-access/attempt-claims';
import { registerDeliveryBacklogGauges } from './data-access/backlog-gauges';
import type { WebhookDispatcherConfig } from './config';
import { deliverAttempt } from './use-cases/deliver-attempt';
import { createDeliveredRecorder } from './use-cases/delivered-recorder';
import type { Random, RetryPolicy } from './domain/retry-schedule';
import { createDeliveryLoop } from './entry-points/delivery-loop';
import { createEventConsumer } from './entry-points/event-consumer';
import { createSigningKeys } from './use-cases/signing-keys';
import { fanOutEvents } from './use-cases/fan-out-events';
import { countingDeliveries, createDispatcherMetrics } from './metrics';
import { createWebhookClient } from './transport/post-webhook';

/**
 * Wires the webhook dispatcher from its config: the Kafka consumer that turns ledger events
 * into messages, and the delivery loop that sends due attempts. Used by main.ts and the tests.
 */
export function createDispatcher(
  config: WebhookDispatcherConfig,
  logger: Logger,
  options: { random?: Random } = {},
) {
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.WEBHOOK_DB_POOL_MAX,
    applicationName: 'webhook-dispatcher',
    logger,
    connectionTimeout_ms: config.WEBHOOK_DB_CONNECT_TIMEOUT_MS,
  });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'webhook-dispatcher', logger });
  const topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
  // METRICS_ENABLED=false (to measure their cost): the series exist, nothing on the work's path
  // feeds them (as in the API and the processor); the backlog gauges, read at scrape time, stay.
  const registry = createMetricsRegistry({ processMetrics: config.METRICS_ENABLED });
  const metrics = createDispatcherMetrics(registry);
  const opsDb = createOpsDb({ url: config.DATABASE_URL, applicationName: 'webhook-dispatcher', logger });
  registerDeliveryBacklogGauges(registry, opsDb, logger, topics.events);
  let ops: OpsServer | undefined;
  const policy: RetryPolicy = {
    delays_ms: config.WEBHOOK_RETRY_SCHEDULE_MS,
    jitter_ratio: config.WEBHOOK_RETRY_JITTER_PCT / 100,
    retry_after_max_ms: config.WEBHOOK_RETRY_AFTER_MAX_MS,
  };
  const client = createWebhookClient({
    timeout_ms: config.WEBHOOK_TIMEOUT_MS,
    responseBodyBytesMax: config.WEBHOOK_RESPONSE_BODY_BYTES_MAX,
    allowHttp: config.WEBHOOK_ALLOW_HTTP,
    allowlist: config.WEBHOOK_ALLOWED_CIDRS,
    socketsPerHostMax: config.WEBHOOK_CONCURRENCY_MAX,
  });
  const signingKeys = createSigningKeys({
    secretsKey: config.WEBHOOK_SECRETS_KEY,
    endpointsMax: config.WEBHOOK_SIGNING_KEYS_CACHE_MAX,
  });
  const delivered = createDeliveredRecorder({ pool, batchSizeMax: config.WEBHOOK_RECORD_BATCH_MAX });
  const deliver = (claimed: ClaimedAttempt, sent: () => void) =>
    deliverAttempt(
      {
        pool,
        delivered,
        client,
        logger,
        signingKeys,
        policy,
        disableAfterFailing_ms: config.WEBHOOK_DISABLE_AFTER_FAILING_MS,
        random: options.random ?? Math.random,
      },
      claimed,
      sent,
    );
  const deliveries = createDeliveryLoop({
    pool,
    sourceTopic: topics.events,
    logger: logger.child({ component: 'delivery-loop' }),
    deliver: config.METRICS_ENABLED ? countingDeliveries(deliver, metrics) : deliver,
    concurrencyMax: config.WEBHOOK_CONCURRENCY_MAX,
    endpointConcurrencyMax: config.WEBHOOK_ENDPOINT_CONCURRENCY_MAX,
    claimBatchMax: config.WEBHOOK_CLAIM_BATCH_MAX,
    pollInterval_ms: config.WEBHOOK_POLL_INTERVAL_MS,
    lease_ms: config.WEBHOOK_LEASE_MS,
    endpointsScanMax: config.WEBHOOK_CLAIM_ENDPOINTS_SCAN_MAX,
    localTimerMax_ms: config.WEBHOOK_LOCAL_TIMER_MAX_MS,
  });
  const consumer = createEventConsumer({
    kafka,
    eventsTopic: topics.events,
    groupId: config.WEBHOOK_DISPATCHER_GROUP_ID,
    sessionTimeout_ms: config.WEBHOOK_KAFKA_SESSION_TIMEOUT_MS,
    batchSizeMax: config.WEBHOOK_EVENT_BATCH_SIZE_MAX,
    partitionsConsumedConcurrently: config.WEBHOOK_PARTITIONS_CONCURRENCY,
    fetchMaxWait_ms: config.WEBHOOK_FETCH_MAX_WAIT_MS,
    retryBackoffMax_ms: config.WEBHOOK_RETRY_BACKOFF_MAX_MS,
    fetchPartitionBytesMax: config.WEBHOOK_FETCH_PARTITION_BYTES_MAX,
    fetchBytesMax: config.WEBHOOK_FETCH_BYTES_MAX,
    fanOut: (events) =>
      fanOutEvents(
        {
          pool,
          logger,
          payloadBytesMax: config.WEBHOOK_PAYLOAD_BYTES_MAX,
          firstDelay_ms: policy.delays_ms[0] ?? 0,
          sourceTopic: topics.events,
        },
        events,
      ),
    logger: logger.child({ component: 'event-consumer' }),
    onMessages: () => deliveries.kick(),
  });
  if (config.METRICS_ENABLED) instrumentConsumerLag(consumer.consumer, registry);
  const checks = [postgresCheck(opsDb), migrationsCheck(opsDb), consumerGroupCheck(consumer.consumer)];
  let stopping = false;

  return {
    async start(): Promise<void> {
      // First: /readyz answers (not ready) while the consumer joins its group.
      ops = await startOpsServer({
        host: config.OPS_HOST,
        port: config.WEBHOOK_OPS_PORT,
        registry,
        checks,
        logger: logger.child({ component: 'ops' }),
      });
      // Events are only fanned out and deliveries only claimed in the database: wait for it.
      await untilDatabaseAnswers(pool, logger, () => stopping);
      deliveries.start();
      await consumer.start();
    },
    /** Intake first (events, then claims), the deliveries in flight finish and are recorded, then the clients close. */
    async stop(): Promise<void> {
      stopping = true;
      await consumer.stop();
      await deliveries.stop();
      client.close();
      await pool.end();
      await ops?.close();
      await opsDb.end();
    },
    consumer: consumer.consumer,
    /** The ops server's URL (/metrics, /healthz, /readyz) once started. */
    opsUrl: (): string | undefined => ops?.url,
    deliveries,
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
