import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '../../../contracts/src';
import { manualCommitLifecycle } from '../../../platform/kafka';
import type { Logger } from '../../../platform/logger';
import { databaseAnswers } from '../../../platform/postgres';
import type { ConsumedBatchSpan, Tracing } from '../../../platform/tracing';
import { idempotencyScope } from '../domain/decide-batch';
import { parseCommand } from '../domain/parse-command';
import { PermanentCommandError } from '../domain/errors';
import type { Command } from '../domain/types';
import { processCommands, type ProcessorDeps } from '../use-cases/process-commands';
import { processWithRetry } from './process-with-retry';

export interface CommandConsumerOptions {
  kafka: Kafka;
  /** Idempotent producer for the dead-letter topic. */
  producer: Producer;
  commandsTopic: string;
  deadLetterTopic: string;
  groupId: string;
  /** Commands per database transaction. */
  batchSizeMax: number;
  partitionsConsumedConcurrently: number;
  fetchMaxWait_ms: number;
  retryBackoffMax_ms: number;
  /** Bytes of commands one fetch may hold per partition, and in all: bound the consumer's memory. */
  fetchPartitionBytesMax: number;
  fetchBytesMax: number;
  /** How long the group waits for a silent member before giving its partitions to the others, ms. */
  sessionTimeout_ms: number;
  processor: ProcessorDeps;
  logger: Logger;
  /** Called after each committed batch (wakes the outbox relay). */
  onCommitted: () => void;
  /** Spans per committed chunk and per traced message (TRACING_OFF when tracing is off). */
  tracing: Pick<Tracing, 'consumedBatch'>;
}

interface DeadLetter {
  message: KafkaMessage;
  error: PermanentCommandError;
}

/**
 * The Kafka entry point of the processor: per partition, batches of commands are parsed,
 * committed to the ledger in one transaction each, dead-lettered when they never can be, and
 * only then is the partition's offset committed. Redelivery after a crash or rebalance is safe:
 * the ledger recognises what it already committed.
 */
export function createCommandConsumer(options: CommandConsumerOptions) {
  const { logger } = options;
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    // A processor that dies is noticed when its session runs out: its partitions move to the
    // others within about that long (a graceful stop hands them over at once).
    sessionTimeout: options.sessionTimeout_ms,
    heartbeatInterval: Math.floor(options.sessionTimeout_ms / 6),
    maxWaitTimeInMs: options.fetchMaxWait_ms,
    maxBytesPerPartition: options.fetchPartitionBytesMax,
    maxBytes: options.fetchBytesMax,
    allowAutoTopicCreation: false,
  });

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    const log = logger.child({ topic: batch.topic, partition: batch.partition });
    for (let start = 0; start < batch.messages.length; start += options.batchSizeMax) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + options.batchSizeMax);
      await options.tracing.consumedBatch(batch.topic, batch.partition, chunk, (span) =>
        commitChunk(chunk, payload, log, span),
      );
    }
  }

  /** One chunk: parse, commit to the ledger in one transaction, dead-letter, commit the offset. */
  async function commitChunk(
    chunk: KafkaMessage[],
    payload: EachBatchPayload,
    log: Logger,
    span: ConsumedBatchSpan,
  ): Promise<void> {
    const { batch, heartbeat, resolveOffset } = payload;
    const origin = new Map<Command, KafkaMessage>();
    // By idempotency scope, not by object: deciding a command may replace it with a copy (the
    // pending transfer's id). Of several commands of one scope, the first is the one decided.
    const traceparents = new Map<string, string>();
    const deadLetters: DeadLetter[] = [];
    for (const message of chunk) {
      try {
        const command = parseCommand(message.value);
        const traceparent = span.traceparentOf(message);
        const scope = idempotencyScope(command.tenantId, command.idempotencyKey);
        if (traceparent && !traceparents.has(scope)) traceparents.set(scope, traceparent);
        origin.set(command, message);
      } catch (error) {
        if (!(error instanceof PermanentCommandError)) throw error;
        deadLetters.push({ message, error });
      }
    }
    const report = await processWithRetry([...origin.keys()], {
      process: (commands) =>
        processCommands(options.processor, commands, (c) =>
          traceparents.get(idempotencyScope(c.tenantId, c.idempotencyKey)),
        ),
      retryBackoffMax_ms: options.retryBackoffMax_ms,
      stillOwned: () => payload.isRunning() && !payload.isStale(),
      heartbeat,
      databaseAnswers: () => databaseAnswers(options.processor.pool),
      log,
    });
    for (const d of report.deadLetters) deadLetters.push({ message: origin.get(d.command)!, error: d.error });
    if (deadLetters.length > 0) await sendDeadLetters(deadLetters, batch.topic, batch.partition, log);
    for (const d of deadLetters) span.deadLettered(d.message, d.error.reason);

    const last = chunk[chunk.length - 1]!.offset;
    resolveOffset(last);
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
    ]);
    await heartbeat();
    options.onCommitted();
    const counts = {
      committed: report.committed,
      rejected: report.rejected,
      duplicates: report.duplicates,
      dead: deadLetters.length,
    };
    span.counted(counts);
    log.debug({ offset: last, ...counts }, 'batch committed');
  }

  async function sendDeadLetters(items: DeadLetter[], topic: string, partition: number, log: Logger) {
    for (const { message, error } of items)
      log.warn(
        { offset: message.offset, reason: error.reason, detail: error.detail },
        'command dead-lettered',
      );
    await options.producer.send({
      topic: options.deadLetterTopic,
      acks: -1,
      messages: items.map(({ message, error }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          [DEAD_LETTER_HEADERS.reason]: error.reason,
          [DEAD_LETTER_HEADERS.detail]: error.detail.slice(0, 1000),
          [DEAD_LETTER_HEADERS.sourceTopic]: topic,
          [DEAD_LETTER_HEADERS.sourcePartition]: String(partition),
          [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
        },
      })),
    });
  }

  return manualCommitLifecycle(
    consumer,
    options.commandsTopic,
    options.partitionsConsumedConcurrently,
    eachBatch,
    logger,
  );
}
