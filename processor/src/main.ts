// First: starts tracing before kafkajs, pg and pino are loaded by the imports below.
import { tracing } from './tracing';
import { ensureTopics, createKafka, topicsFor } from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { untilItWorks } from '../../platform/retry';
import { onShutdown } from '../../platform/shutdown';
import { loadProcessorConfig } from './config';
import { createProcessor } from './create-processor';

async function main(): Promise<void> {
  const config = loadProcessorConfig();
  const logger = createLogger({ service: 'processor', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
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
  const processor = await createProcessor(config, logger, tracing);
  onShutdown(logger, [() => processor.stop(), () => tracing.shutdown()]);
  await processor.start();
  logger.info('processor started');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
