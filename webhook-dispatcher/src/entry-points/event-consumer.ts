import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { LedgerEventV1 } from '../../../contracts/src';
import { manualCommitLifecycle } from '../../../platform/kafka';
import type { Logger } from '../../../platform/logger';
import { backoffDelay, FAN_OUT_FAILURE, sleep } from '../../../platform/retry';

export interface EventConsumerOptions {
  kafka: Kafka;
  eventsTopic: string;
  groupId: string;
  /** How long the group waits for a silent member (a crashed dispatcher) before rebalancing. */
  sessionTimeout_ms: number;
  /** Events per database transaction. */
  batchSizeMax: number;
  partitionsConsumedConcurrently: number;
  fetchMaxWait_ms: number;
  retryBackoffMax_ms: number;
  /** Bytes of events one fetch may hold per partition, and in all: bound the consumer's memory. */
  fetchPartitionBytesMax: number;
  fetchBytesMax: number;
  /** The use case: creates the messages of these events in one transaction; returns how many. */
  fanOut: (events: LedgerEventV1[]) => Promise<number>;
  logger: Logger;
  /** Called after a batch created messages (wakes the delivery loop). */
  onMessages: () => void;
}

/**
 * The Kafka entry point: reads ledger events with the dispatcher's own consumer group, turns each
 * chunk into webhook messages in one transaction, and only then commits the offsets. A crash
 * in between redelivers events that are then recognised (unique per endpoint and event). An
 * event that is not a valid LedgerEventV1 is logged and skipped: it can never be delivered.
 */
export function createEventConsumer(options: EventConsumerOptions) {
  const { logger } = options;
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeout_ms,
    heartbeatInterval: Math.floor(options.sessionTimeout_ms / 10),
    maxWaitTimeInMs: options.fetchMaxWait_ms,
    maxBytesPerPartition: options.fetchPartitionBytesMax,
    maxBytes: options.fetchBytesMax,
    allowAutoTopicCreation: false,
  });

  function parse(message: KafkaMessage, log: Logger): LedgerEventV1 | undefined {
    try {
      const parsed = LedgerEventV1.safeParse(JSON.parse(message.value?.toString('utf8') ?? ''));
      if (parsed.success) return parsed.data;
      log.error(
        { offset: message.offset, issues: parsed.error.issues.slice(0, 5) },
        'not a ledger event; skipped',
      );
    } catch {
      log.error({ offset: message.offset }, 'event is not JSON; skipped');
    }
    return undefined;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    const log = logger.child({ topic: batch.topic, partition: batch.partition });
    for (let start = 0; start < batch.messages.length; start += options.batchSizeMax) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + options.batchSizeMax);
      const events = chunk.map((m) => parse(m, log)).filter((e): e is LedgerEventV1 => e !== undefined);
      const created = await fanOutWithRetry(events, payload, log);
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
      ]);
      await heartbeat();
      if (created > 0) options.onMessages();
      log.debug({ offset: last, events: events.length, messages: created }, 'events fanned out');
    }
  }

  /**
   * Database failures are retried with capped backoff for as long as the consumer runs: the
   * events are valid, so only the database can be at fault, and skipping would lose them.
   */
  async function fanOutWithRetry(
    events: LedgerEventV1[],
    payload: EachBatchPayload,
    log: Logger,
  ): Promise<number> {
    const policy = { ...FAN_OUT_FAILURE, max_ms: options.retryBackoffMax_ms };
    for (let attempt = 0; ; attempt++) {
      try {
        return await options.fanOut(events);
      } catch (error) {
        if (!payload.isRunning() || payload.isStale()) throw error;
        const wait = backoffDelay(attempt, policy);
        log.warn({ err: error, attempt, wait_ms: wait }, 'fan-out failed; retrying the batch');
        await sleep(wait);
        await payload.heartbeat();
      }
    }
  }

  return manualCommitLifecycle(
    consumer,
    options.eventsTopic,
    options.partitionsConsumedConcurrently,
    eachBatch,
    logger,
  );
}
