import type { Server } from 'node:http';
import { createIdempotentProducer, createKafka, topicsFor } from '../../platform/kafka';
import type { Logger } from '../../platform/logger';
import { createPool } from '../../platform/postgres';
import { createRedis } from '../../platform/redis';
import { TRACING_OFF, type Tracing } from '../../platform/tracing';
import { createApiKeyAuth } from './auth/authenticate';
import type { ApiConfig } from './config';
import { createApp } from './create-app';
import { answerClientError } from './http/client-error';
import { buildOpenApiDocument } from './openapi/document';
import { createAccountDirectory } from './transfers/account-directory';
import { createCommandPublisher } from './transfers/command-publisher';
import { createPendingWriter } from './transfers/pending-writer';
import { createPendingSweeper } from './transfers/pending-sweeper';

/** Builds and starts one API process; returns what it listens on and how to stop it. */
export async function startApi(config: ApiConfig, logger: Logger, tracing: Tracing = TRACING_OFF) {
  const pool = createPool({
    url: config.DATABASE_URL,
    max: config.API_DB_POOL_MAX,
    applicationName: 'api',
    logger,
    connectionTimeoutMs: config.API_DB_CONNECT_TIMEOUT_MS,
  });
  const redis = createRedis(config.REDIS_URL);
  const subscriber = createRedis(config.REDIS_URL);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-api', logger });
  const topics = topicsFor(config.KAFKA_TOPIC_PREFIX);
  const commands = createCommandPublisher({
    createProducer: () => createIdempotentProducer(kafka),
    topic: topics.commands,
    lingerMs: config.PUBLISH_LINGER_MS,
    batchSizeMax: config.PUBLISH_BATCH_SIZE_MAX,
    timeout_ms: config.PUBLISH_TIMEOUT_MS,
    logger: logger.child({ component: 'command-publisher' }),
  });
  // Kafka being down does not stop the API: submissions are accepted into PostgreSQL and the
  // sweeper publishes them once the broker answers.
  await commands.start();
  // Both batch concurrent requests' work; tracing gives each request its own span (identity when off).
  const publisher = tracing.batchedPublisher(commands, topics.commands);
  const writer = createPendingWriter(pool, { batchSizeMax: config.ACCEPT_BATCH_SIZE_MAX });
  const pending = { ...writer, insert: tracing.batchedCall('ledger.pending-insert', writer.insert) };
  const auth = createApiKeyAuth({
    pool,
    subscriber,
    logger,
    cacheTtlMs: config.AUTH_CACHE_TTL_MS,
    cacheEntriesMax: 100_000,
    touchIntervalMs: 60_000,
  });
  const app = createApp({
    config,
    logger,
    pool,
    redis,
    auth,
    accounts: createAccountDirectory(pool),
    publisher,
    pending,
    openapi: buildOpenApiDocument(),
  });
  const sweeper = createPendingSweeper({
    pool,
    publisher: commands,
    logger: logger.child({ component: 'pending-sweeper' }),
    intervalMs: config.SWEEP_INTERVAL_MS,
    ageMs: config.SWEEP_AGE_MS,
    recoveryAgeMs: config.PUBLISH_TIMEOUT_MS,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.API_PORT, config.API_HOST, () => resolve(s));
  });
  server.on('clientError', answerClientError(logger));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  sweeper.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.API_PORT;
  return {
    port,
    url: `http://${config.API_HOST}:${port}`,
    /** Stop accepting, finish requests in flight, flush publishes, close clients. */
    async stop(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await sweeper.stop();
      await pending.drain();
      await publisher.drain();
      await commands.stop();
      await Promise.all([pool.end(), redis.quit(), subscriber.quit()]);
    },
  };
}
