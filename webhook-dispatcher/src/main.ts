// First: starts tracing before kafkajs, pg, http and pino are loaded by the imports below.
import { tracing } from './tracing';
import { createKafka, ensureTopics, topicsFor } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { untilItWorks } from '../../platform/retry';
import { onShutdown } from '../../platform/shutdown';
import { loadWebhookDispatcherConfig } from './config';
import { createDispatcher } from './create-dispatcher';

async function main(): Promise<void> {
  const config = loadWebhookDispatcherConfig();
  const logger = createLogger({
    service: 'webhook-dispatcher',
    level: config.LOG_LEVEL,
    pretty: config.LOG_PRETTY,
  });
  tracing.reportTo(logger);
  // Started before Kafka answers (a machine booting, a broker restarting): wait for it.
  const setup = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-setup', logger });
  await untilItWorks(
    'creating the Kafka topics',
    () => ensureTopics(setup, topicsFor(config.KAFKA_TOPIC_PREFIX), config.KAFKA_REPLICATION_FACTOR),
    {
      logger,
    },
  );
  const dispatcher = createDispatcher(config, logger);
  // The deadline outlives one delivery timeout: in-flight attempts finish and are recorded.
  onShutdown(logger, [() => dispatcher.stop(), () => tracing.shutdown()], config.WEBHOOK_TIMEOUT_MS + 10_000);
  await dispatcher.start();
  logger.info('webhook dispatcher started');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
