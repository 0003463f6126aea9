import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchHandler,
  type ITopicConfig,
  type logCreator,
  type Producer,
} from 'kafkajs';
import type { Logger } from './logger';
import { backoffDelay, KAFKA_SETUP, RESTART, sleep, untilItWorks } from './retry';

export type { Kafka, Producer };

export interface Topics {
  /** Transfer commands, keyed by the account whose balance they draw on. */
  readonly commands: string;
  /** Commands that could not be read or were not allowed, with the reason in headers. */
  readonly deadLetter: string;
  /** Outcomes and per-account events, keyed by account id, relayed from the outbox. */
  readonly events: string;
}

export const COMMAND_PARTITIONS = 8;
export const EVENT_PARTITIONS = 8;

export function topicsFor(prefix: string): Topics {
  return {
    commands: `${prefix}ledger.transfer-commands.v1`,
    deadLetter: `${prefix}ledger.transfer-commands.dlq.v1`,
    events: `${prefix}ledger.events.v1`,
  };
}

/**
 * kafkajs log lines through pino, at the level kafkajs chose, except one kind: kafkajs logs every
 * error response from the broker at ERROR ("Response JoinGroup(...)"), although it also hands the
 * error to its caller, which retries it ("the coordinator is loading" on a brand-new broker, a
 * topic created a moment ago) or reports it. Those lines are details of a request, at debug.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const child = { kafka: extra };
      if (level === logLevel.ERROR && message.startsWith('Response ')) logger.debug(child, message);
      else if (level === logLevel.ERROR) logger.error(child, message);
      else if (level === logLevel.WARN) logger.warn(child, message);
      else if (level === logLevel.INFO) logger.debug(child, message);
    };
}

export function createKafka(options: { brokers: string[]; clientId: string; logger: Logger }): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 5_000,
    // A request to a broker that died under it fails within 10 s rather than kafkajs's 30 s: after a
    // broker restart, a partition whose fetch was in flight no longer stalls for half a minute.
    requestTimeout: 10_000,
    // Retries at most every 2 s: after a broker restart, clients are back within seconds instead
    // of kafkajs's default backoff that grows to 30 s.
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 8 },
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(options.logger.child({ component: 'kafkajs' })),
  });
}

/**
 * A producer that keeps each partition's order (one request in flight) and, with `acks: -1` at
 * every send, waits for all in-sync replicas. Not kafkajs's idempotent mode: after a partition's
 * leader moves (a broker of a cluster dies) the new leader can refuse its sequence numbers for
 * good (OUT_OF_ORDER_SEQUENCE_NUMBER, not retriable), which stalled the outbox relay in the
 * three-broker fault test. A request retried after a lost acknowledgement may therefore append a
 * message twice; every consumer here deduplicates (commands by tenant and idempotency key, events
 * by id).
 */
export function createOrderedProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false });
}

const SETUP_ATTEMPTS_MAX = 20;

/** Runs a setup step until it succeeds, at most SETUP_ATTEMPTS_MAX times, backing off up to 1 s. */
async function retried(step: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt + 1 >= SETUP_ATTEMPTS_MAX) throw error;
      await sleep(backoffDelay(attempt, KAFKA_SETUP));
    }
  }
}

async function withAdmin(kafka: Kafka, work: (admin: Admin) => Promise<void>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates the topics the services need, with explicit partition counts (auto-creation is off),
 * and waits until every partition has a leader. Several processes may race to create the same
 * topics, and a just-created topic's metadata can lag ("does not host this topic-partition"),
 * so the whole step is retried, bounded. With replicas (a cluster), an acknowledged write
 * (acks=all) must reach all but one of them, so losing any one broker loses nothing and stops
 * nothing; topics that already exist keep their settings.
 */
export async function ensureTopics(kafka: Kafka, topics: Topics, replicationFactor = 1): Promise<void> {
  const configEntries =
    replicationFactor > 1 ? [{ name: 'min.insync.replicas', value: String(replicationFactor - 1) }] : [];
  const wanted: ITopicConfig[] = [
    { topic: topics.commands, numPartitions: COMMAND_PARTITIONS, replicationFactor, configEntries },
    { topic: topics.deadLetter, numPartitions: 1, replicationFactor, configEntries },
    { topic: topics.events, numPartitions: EVENT_PARTITIONS, replicationFactor, configEntries },
  ];
  await withAdmin(kafka, (admin) =>
    retried(async () => {
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter((t) => !existing.has(t.topic));
      if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: false });
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.topic) });
      const ready = wanted.every((w) => {
        const m = metadata.find((t) => t.name === w.topic);
        return !!m && m.partitions.length === w.numPartitions && m.partitions.every((p) => p.leader >= 0);
      });
      if (!ready) throw new Error('topic partitions have no leader yet');
    }),
  );
}

/**
 * Deletes topics a run made for itself (a test file's or a benchmark's, under a prefix of its
 * own), so that a broker used for many runs does not keep every run's partitions and data.
 */
export async function deleteTopics(kafka: Kafka, topics: Topics): Promise<void> {
  await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: Object.values(topics) }));
}

/**
 * Waits until the broker's group coordinator serves these consumer groups. On a brand-new broker
 * the first lookup creates the internal offsets topic, and until its partitions are loaded a
 * consumer's JoinGroup fails ("the coordinator is loading"): kafkajs then crashes the consumer,
 * logs it at ERROR and restarts it. Waiting here first (bounded) lets the services start cleanly.
 */
export async function awaitGroupCoordinators(kafka: Kafka, groupIds: string[]): Promise<void> {
  await withAdmin(kafka, (admin) =>
    retried(async () => {
      await admin.describeGroups(groupIds);
    }),
  );
}

/**
 * Start/stop of a group member that commits offsets itself: one `eachBatch` per partition at a
 * time, nothing resolved or committed automatically. A new group reads the topic from its start.
 *
 * It stays a member through outages: `start` waits for the broker (however long, logging what it
 * waits for), and when kafkajs gives up on the consumer after a crash it will not restart itself
 * (an error it deems non-retriable), the consumer is started again here, with backoff.
 */
export function manualCommitLifecycle(
  consumer: Consumer,
  topic: string,
  partitionsConsumedConcurrently: number,
  eachBatch: EachBatchHandler,
  logger: Logger,
) {
  let stopping = false;
  let restarts = 0;
  const join = async () => {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch,
    });
  };
  const joinWhenReachable = () =>
    untilItWorks(`joining consumer group on ${topic}`, join, { logger, stopped: () => stopping });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    restarts = 0;
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || stopping) return; // kafkajs restarts it itself
    const wait_ms = backoffDelay(restarts++, RESTART);
    logger.error({ err: payload.error, wait_ms }, 'consumer crashed and stopped; starting it again');
    setTimeout(() => {
      if (stopping) return;
      consumer
        .disconnect()
        .catch(() => undefined)
        .then(() => (stopping ? undefined : joinWhenReachable()))
        .catch((error: unknown) => logger.error({ err: error }, 'consumer restart abandoned'));
    }, wait_ms).unref();
  });
  return {
    start: joinWhenReachable,
    /** Stops fetching, lets the batch in flight finish and commit, leaves the group. */
    async stop(): Promise<void> {
      stopping = true;
      await consumer.disconnect();
    },
    consumer,
  };
}
