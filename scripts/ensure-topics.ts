import { z } from 'zod';
import { baseConfigShape, loadConfig } from '../platform/config';
import { awaitGroupCoordinators, createKafka, ensureTopics, topicsFor } from '../platform/kafka';
import { createLogger } from '../platform/logger';
import { processorConfigSchema } from '../processor/src/config';
import { webhookDispatcherConfigSchema } from '../webhook-dispatcher/src/config';

/**
 * Creates the Kafka topics once, before `npm run up` starts the services, and waits until the
 * broker can serve the services' consumer groups. Each service also ensures the topics at
 * start-up (for deployments that start everything at once), but three services racing to create
 * them make the broker answer "already exists", and consumers joining before a brand-new broker
 * has loaded its offsets topic crash and restart: kafkajs logs both as errors although nothing is
 * wrong.
 */
async function main(): Promise<void> {
  const config = loadConfig(
    z.object({
      KAFKA_BROKERS: baseConfigShape.KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: baseConfigShape.KAFKA_TOPIC_PREFIX,
      KAFKA_REPLICATION_FACTOR: baseConfigShape.KAFKA_REPLICATION_FACTOR,
      PROCESSOR_GROUP_ID: processorConfigSchema.shape.PROCESSOR_GROUP_ID,
      WEBHOOK_DISPATCHER_GROUP_ID: webhookDispatcherConfigSchema.shape.WEBHOOK_DISPATCHER_GROUP_ID,
    }),
  );
  const logger = createLogger({ service: 'topics', level: 'warn', pretty: false });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ledger-setup', logger });
  await ensureTopics(kafka, topicsFor(config.KAFKA_TOPIC_PREFIX), config.KAFKA_REPLICATION_FACTOR);
  await awaitGroupCoordinators(kafka, [config.PROCESSOR_GROUP_ID, config.WEBHOOK_DISPATCHER_GROUP_ID]);
  console.error('kafka topics and consumer groups: ready');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
