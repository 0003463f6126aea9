import { z } from 'zod';
import { baseConfigShape, loadConfig } from '../platform/config';
import { createKafka, ensureTopics, topicsFor } from '../platform/kafka';
import { createLogger } from '../platform/logger';

/**
 * Creates the Kafka topics once, before `npm run up` starts the services. Each service also
 * ensures them at start-up (for deployments that start everything at once), but three services
 * racing to create the same topics make the broker answer "already exists", which kafkajs logs as
 * an error even though nothing is wrong.
 */
async function main(): Promise<void> {
  const config = loadConfig(
    z.object({
      KAFKA_BROKERS: baseConfigShape.KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: baseConfigShape.KAFKA_TOPIC_PREFIX,
    }),
  );
  const logger = createLogger({ service: 'topics', level: 'warn', pretty: false });
  await ensureTopics(
    createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-setup', logger }),
    topicsFor(config.KAFKA_TOPIC_PREFIX),
  );
  console.error('kafka topics: ready');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
