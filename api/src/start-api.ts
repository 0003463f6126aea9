import type { Server } from 'node:http';
import { createOrderedProducer, createKafka, topicsFor } from '../../platform/kafka';
import type { Logger } from '../../platform/logger';
import { availabilityCheck, migrationsCheck, postgresCheck, redisCheck } from '../../platform/metrics/checks';
import { createOpsDb } from '../../platform/metrics/ops-pool';
import { createMetricsRegistry } from '../../platform/metrics/registry';
import { createPool, untilDatabaseAnswers } from '../../platform/postgres';
import { closeRedis, createRedis, readyWithin } from '../../platform/redis';
import { TRACING_OFF, type Tracing } from '../../platform/tracing';
import { createApiKeyAuth } from './entry-points/http/authenticate';
import type { ApiConfig } from './config';
import { shareWithPrimary } from './cluster-metrics';
import { createApp } from './create-app';
import { answerClientError } from './entry-points/http/client-error';
import { countingAccepted, countingRepublished, createApiMetrics, registerRateLimitStats } from './metrics';
import { buildOpenApiDocument } from './entry-points/http/openapi';
import { createAccountDirectory } from './data-access/account-directory';
import { createCommandPublisher } from './data-access/command-publisher';
import { createPendingWriter } from './data-access/pending-writer';
import { createPendingSweeper } from './entry-points/pending-sweeper';
import { createRateLimits } from './create-rate-limits';

/** Builds and starts one API process; returns what it listens on and how to stop it. */
export async function startApi(config: ApiConfig, logger: Logger, tracing: Tracing = TRACING_OFF) {
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.API_DB_POOL_MAX,
    applicationName: 'api',
    logger,
    connectionTimeout_ms: config.API_DB_CONNECT_TIMEOUT_MS,
  });
  // The limiter's client: no request waits on Redis longer than its command timeout, and none at
  // all while it is down (no offline queue). The subscriber queues its SUBSCRIBE until Redis is up.
  const redis = createRedis(config.REDIS_URL, {
    logger,
    name: 'api',
    commandTimeout_ms: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
    // The limiter sends one script call at a time, for every decision queued meanwhile.
    autoPipelining: false,
  });
  const subscriber = createRedis(config.REDIS_URL, { logger, name: 'api-subscriber', offlineQueue: true });
  // Rate limits are decided in Redis from the first request when it is there; when it is not, the
  // API starts anyway after a moment and decides in memory until it is.
  if (!(await readyWithin(redis, 2_000)))
    logger.warn('Redis not reachable at start; rate limits are decided in memory until it is');
  const rateLimits = createRateLimits(config, redis, logger);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-api', logger });
  const topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
  const commands = createCommandPublisher({
    createProducer: () => createOrderedProducer(kafka),
    topic: topics.commands,
    linger_ms: config.PUBLISH_LINGER_MS,
    batchSizeMax: config.PUBLISH_BATCH_SIZE_MAX,
    timeout_ms: config.PUBLISH_TIMEOUT_MS,
    logger: logger.child({ component: 'command-publisher' }),
  });
  // Kafka being down does not stop the API: submissions are accepted into PostgreSQL and the
  // sweeper publishes them once the broker answers.
  await commands.start();
  // METRICS_ENABLED=false (to measure their cost): the series exist, nothing on the work's path feeds them.
  const registry = createMetricsRegistry({ processMetrics: config.METRICS_ENABLED });
  const metrics = createApiMetrics(registry);
  registerRateLimitStats(registry, rateLimits.limiter.stats);
  shareWithPrimary(registry);
  const opsDb = createOpsDb({ url: config.DATABASE_URL, applicationName: 'api', logger });
  const checks = [
    postgresCheck(opsDb),
    migrationsCheck(opsDb),
    // Informational: while Kafka is down the API still accepts transfers (the 202 is the pending
    // row) and the sweeper publishes them once it is back; Redis: the limiter decides in memory.
    availabilityCheck('kafka_producer', false, () => commands.available),
    redisCheck(redis),
  ];
  // Both batch concurrent requests' work; tracing gives each request its own span (identity when off).
  const publisher = tracing.batchedPublisher(commands, topics.commands);
  const writer = createPendingWriter(pool, { batchSizeMax: config.ACCEPT_BATCH_SIZE_MAX });
  const pending = {
    ...writer,
    insert: config.METRICS_ENABLED
      ? countingAccepted(tracing.batchedCall('ledger.pending-insert', writer.insert), metrics)
      : tracing.batchedCall('ledger.pending-insert', writer.insert),
  };
  const auth = createApiKeyAuth({
    pool,
    subscriber,
    logger,
    cacheTtl_ms: config.AUTH_CACHE_TTL_MS,
    cacheEntriesMax: config.AUTH_CACHE_ENTRIES_MAX,
    touchInterval_ms: config.AUTH_TOUCH_INTERVAL_MS,
  });
  const app = createApp({
    config,
    logger,
    pool,
    redis,
    auth,
    rateLimits,
    accounts: createAccountDirectory(pool),
    publisher,
    pending,
    openapi: buildOpenApiDocument(),
    ops: { registry, metrics, checks },
  });
  const sweeper = createPendingSweeper({
    pool,
    publisher: config.METRICS_ENABLED ? countingRepublished(commands, metrics) : commands,
    logger: logger.child({ component: 'pending-sweeper' }),
    interval_ms: config.SWEEP_INTERVAL_MS,
    age_ms: config.SWEEP_AGE_MS,
    recoveryAge_ms: config.PUBLISH_TIMEOUT_MS,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.API_PORT, config.API_HOST, () => resolve(s));
  });
  server.on('clientError', answerClientError(logger));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  sweeper.start();
  // The API answers at once, 503 while the database is out of reach; the log says what it waits for.
  let stopping = false;
  untilDatabaseAnswers(pool, logger, () => stopping).catch(() => undefined);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.API_PORT;
  return {
    port,
    url: `http://${config.API_HOST}:${port}`,
    /** Rate-limit counters (decisions in Redis, from a lease or in memory; fallbacks) for metrics. */
    rateLimitStats: rateLimits.limiter.stats,
    /** Stop accepting, finish requests in flight, flush publishes, close clients. */
    async stop(): Promise<void> {
      stopping = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await sweeper.stop();
      await pending.drain();
      await publisher.drain();
      await commands.stop();
      await Promise.all([pool.end(), opsDb.end(), closeRedis(redis), closeRedis(subscriber)]);
    },
  };
}
