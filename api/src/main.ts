// First: starts tracing before http, express, pg, ioredis, kafkajs and pino are loaded by the
// imports below (CommonJS keeps import order as require order).
import { tracing } from './tracing';
import cluster from 'node:cluster';
import { createKafka, ensureTopics, topicsFor } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { onShutdown } from '../../platform/shutdown';
import { loadApiConfig } from './config';
import { startApi } from './start-api';

/** The API's entry point: one process, or a cluster primary supervising worker processes. */
async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger({ service: 'api', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  tracing.reportTo(logger);
  if (cluster.isPrimary) {
    await ensureTopics(
      createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-setup', logger }),
      topicsFor(config.KAFKA_TOPIC_PREFIX),
      config.KAFKA_REPLICATION_FACTOR,
    );
  }
  if (cluster.isPrimary && config.API_WORKERS > 1) {
    // Workers share the listening socket; the primary only supervises.
    for (let i = 0; i < config.API_WORKERS; i++) cluster.fork();
    cluster.on('exit', (worker, code) => {
      if (code !== 0) logger.error({ pid: worker.process.pid, code }, 'API worker died');
    });
    onShutdown(logger, [
      async () => {
        for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
        await new Promise<void>((resolve) =>
          cluster.on('exit', () => Object.keys(cluster.workers ?? {}).length === 0 && resolve()),
        );
      },
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
