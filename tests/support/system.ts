import { randomUUID } from 'node:crypto';
import { loadApiConfig } from '../../api/src/config';
import { startApi } from '../../api/src/start-api';
import type { Producer } from 'kafkajs';
import {
  createOrderedProducer,
  createKafka,
  ensureTopics,
  topicsFor,
  type Kafka,
  type Topics,
} from '../../platform/kafka';
import { createLogger } from '../../platform/logger';
import { createPool, type Pool } from '../../platform/postgres';
import { eventually } from './eventually';
import { testServiceEnv } from './service-env';
import { loadProcessorConfig } from '../../processor/src/config';
import { createProcessor } from '../../processor/src/create-processor';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface System {
  url: string;
  prefix: string;
  topics: Topics;
  pool: Pool;
  brokers: string[];
  /** A Kafka client on the system's brokers, for tests that consume or produce directly. */
  kafka: Kafka;
  /**
   * A connected producer, as a service outside the ledger would have, to publish commands straight
   * to the topics (disconnected by stop()).
   */
  directProducer(): Promise<Producer>;
  /** The processor's ops server (/metrics, /healthz, /readyz). */
  processorOpsUrl(): string;
  /** Stops and starts the processor (a crash-and-restart between batches). */
  restartProcessor(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The API and the processor, in this process, on real Kafka / PostgreSQL / Redis, isolated from
 * other test files by a unique topic prefix and consumer group.
 */
export async function startSystem(overrides: Record<string, string> = {}): Promise<System> {
  const prefix = `${process.env.TEST_TOPIC_RUN ?? 't-'}${randomUUID().slice(0, 8)}.`;
  const env = {
    ...process.env,
    ...testServiceEnv(prefix),
    ADMIN_TOKEN,
    ...overrides,
  };
  const logger = createLogger({ service: 'test', level: process.env.LOG_LEVEL ?? 'silent', pretty: false });
  const processorConfig = loadProcessorConfig(env);
  const topics = topicsFor(prefix);
  const kafka = createKafka({ brokers: processorConfig.KAFKA_BROKERS, clientId: 'test-setup', logger });
  await ensureTopics(kafka, topics);
  let processor = await createProcessor(processorConfig, logger.child({ service: 'processor' }));
  await processor.start();
  const api = await startApi(loadApiConfig(env), logger.child({ service: 'api' }));
  const pool = createPool({ url: processorConfig.DATABASE_URL, max: 4, applicationName: 'test' });
  const producers: Producer[] = [];
  return {
    url: api.url,
    prefix,
    topics,
    pool,
    brokers: processorConfig.KAFKA_BROKERS,
    kafka,
    async directProducer() {
      const producer = createOrderedProducer(kafka);
      await producer.connect();
      producers.push(producer);
      return producer;
    },
    processorOpsUrl: () => processor.opsUrl()!,
    async restartProcessor() {
      await processor.stop();
      processor = await createProcessor(processorConfig, logger.child({ service: 'processor' }));
      await processor.start();
    },
    async stop() {
      for (const producer of producers) await producer.disconnect();
      await api.stop();
      // Test files share the database and its one outbox relay (whichever processor holds the
      // lock relays every file's rows), so the topics go only at the end of the run
      // (global-teardown.ts), and only those whose events are all on Kafka: a relay stalls on a
      // row whose topic is gone, and its producer, once it has sent to a topic, can send nothing
      // after that topic is deleted. Waiting before this processor stops lets a relay (maybe
      // this one) send this file's last events.
      await outboxDrained(pool, topics.events);
      await processor.stop();
      await pool.end();
    },
  };
}

/** Whether every event written for the topic has been relayed to Kafka, waiting a bounded while. */
export async function outboxDrained(pool: Pool, topic: string, timeout_ms = 10_000): Promise<boolean> {
  const drained = async () =>
    (await pool.query('SELECT 1 FROM outbox_batches WHERE topic = $1 LIMIT 1', [topic])).rowCount === 0;
  return eventually(drained, timeout_ms, 50, 'outbox drained').catch(() => false);
}
