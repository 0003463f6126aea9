// First: starts tracing before http, express, pg, ioredis, kafkajs and pino are loaded by the
// imports below (CommonJS keeps import order as require order).
import { tracing } from './tracing';
import cluster from 'node:cluster';
import { createKafka, ensureTopics, topicsFor } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { backoffDelay, RECONNECT, untilItWorks } from '../../platform/retry';
import { onShutdown } from '../../platform/shutdown';
import { startClusterOps } from './cluster-metrics';
import { loadApiConfig } from './config';
import { startApi } from './start-api';

/** The API's entry point: one process, or a cluster primary supervising worker processes. */
async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger({ service: 'api', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  tracing.reportTo(logger);
  if (cluster.isPrimary) {
    // In the background: the API answers (and accepts transfers into PostgreSQL) while Kafka is down.
    const setup = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-setup', logger });
    void untilItWorks(
      'creating the Kafka topics',
      () => ensureTopics(setup, topicsFor(config.KAFKA_TOPIC_PREFIX), config.KAFKA_REPLICATION_FACTOR),
      {
        logger,
      },
    );
  }
  if (cluster.isPrimary && config.API_WORKERS > 1) {
    // Workers share the listening socket; the primary only supervises.
    const ops = await startClusterOps(config, logger);
    for (let i = 0; i < config.API_WORKERS; i++) cluster.fork();
    // A worker that dies is replaced, with backoff while they keep dying (a crash loop).
    let stopping = false;
    let recentDeaths = 0;
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      const wait_ms = backoffDelay(recentDeaths++, RECONNECT);
      setTimeout(() => recentDeaths--, 60_000).unref();
      logger.error({ pid: worker.process.pid, code, signal, wait_ms }, 'API worker died; starting another');
      setTimeout(() => stopping || cluster.fork(), wait_ms).unref();
    });
    onShutdown(logger, [
      async () => {
        stopping = true;
        for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
        await new Promise<void>((resolve) =>
          cluster.on('exit', () => Object.keys(cluster.workers ?? {}).length === 0 && resolve()),
        );
      },
      () => ops.close(),
      () => tracing.shutdown(),
    ]);
    logger.info(
      { url: `http://${config.API_HOST}:${config.API_PORT}`, workers: config.API_WORKERS },
      'API started',
    );
    return;
  }
  const api = await startApi(config, logger, tracing);
  onShutdown(logger, [() => api.stop(), () => tracing.shutdown()]);
  if (cluster.isPrimary) logger.info({ url: api.url }, 'API started');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
