import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '../../../contracts/src';
import { manualCommitLifecycle } from '../../../platform/kafka';
import type { Logger } from '../../../platform/logger';
import type { ConsumedBatchSpan, Tracing } from '../../../platform/tracing';
import { parseCommand } from '../domain/parse-command';
import { LedgerInvariantError, PermanentCommandError } from '../domain/errors';
import { classifyFailure } from '../domain/transient-error';
import type { Command } from '../domain/types';
import { processCommands, type BatchReport, type ProcessorDeps } from '../process-commands';

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
  fetchMaxWaitMs: number;
  retryBackoffMaxMs: number;
  /** How long the group waits for a silent member before giving its partitions to the others, ms. */
  sessionTimeoutMs: number;
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
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.floor(options.sessionTimeoutMs / 6),
    maxWaitTimeInMs: options.fetchMaxWaitMs,
    // Bounds what one fetch may hold in memory: ~1 MiB is ~2,500 commands per partition.
    maxBytesPerPartition: 1024 * 1024,
    maxBytes: 8 * 1024 * 1024,
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
    const deadLetters: DeadLetter[] = [];
    for (const message of chunk) {
      try {
        const command = parseCommand(message.value);
        const traceparent = span.traceparentOf(message);
        origin.set(traceparent ? { ...command, traceparent } : command, message);
      } catch (error) {
        if (!(error instanceof PermanentCommandError)) throw error;
        deadLetters.push({ message, error });
      }
    }
    const report = await processWithRetry([...origin.keys()], payload, log);
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

  /**
   * Retries a batch while the database is unreachable (for as long as the consumer runs) and,
   * briefly, when it raced another transaction (a concurrent duplicate, a deadlock: the retry
   * resolves them). A batch failing for any other reason, or still conflicting, is bisected:
   * each half is tried on its own, in order, so the good commands commit at once and only the
   * command that causes the failure is dead-lettered, after about log2(size) failed attempts
   * instead of one transaction per command.
   */
  async function processWithRetry(
    commands: Command[],
    payload: EachBatchPayload,
    log: Logger,
  ): Promise<BatchReport> {
    const conflictRetriesMax = commands.length === 1 ? CONFLICT_RETRIES_MAX : CONFLICT_RETRIES_BEFORE_SPLIT;
    for (let attempt = 0; ; attempt++) {
      try {
        return await processCommands(options.processor, commands);
      } catch (error) {
        const kind = classifyFailure(error);
        if (kind === 'unavailable' || (kind === 'conflict' && attempt < conflictRetriesMax)) {
          if (!payload.isRunning() || payload.isStale()) throw error;
          const cap = kind === 'conflict' ? CONFLICT_BACKOFF_MAX_MS : options.retryBackoffMaxMs;
          const wait = Math.min(cap, 20 * 2 ** attempt) * (0.5 + Math.random() / 2);
          log.warn({ err: error, kind, attempt, wait_ms: Math.round(wait) }, 'batch failed; retrying it');
          // Heartbeats go on while the batch waits, or a database outage longer than the session
          // would also make the group give this member's partitions away.
          for (let waited = 0; waited < wait; waited += HEARTBEAT_STEP_MS) {
            await sleep(Math.min(HEARTBEAT_STEP_MS, wait - waited));
            await payload.heartbeat();
          }
          continue;
        }
        if (commands.length === 1) return failed(commands[0]!, error, log);
        log.warn({ err: error, size: commands.length }, 'batch failed; bisecting it to isolate the command');
        const middle = Math.ceil(commands.length / 2);
        const first = await processWithRetry(commands.slice(0, middle), payload, log);
        const second = await processWithRetry(commands.slice(middle), payload, log);
        return {
          committed: first.committed + second.committed,
          rejected: first.rejected + second.rejected,
          duplicates: first.duplicates + second.duplicates,
          deadLetters: [...first.deadLetters, ...second.deadLetters],
        };
      }
    }
  }

  /**
   * A command that fails on its own is dead-lettered processing_failed. The raw error may quote
   * PostgreSQL (constraint names, other rows' keys): it goes to the log only, under a reference
   * that the dead letter carries instead.
   */
  function failed(command: Command, error: unknown, log: Logger): BatchReport {
    const reference = randomUUID();
    log.error(
      { err: error, reference, transfer_id: command.transferId, bug: error instanceof LedgerInvariantError },
      'command cannot be processed; dead-lettering',
    );
    return {
      committed: 0,
      rejected: 0,
      duplicates: 0,
      deadLetters: [
        {
          command,
          error: new PermanentCommandError(
            'processing_failed',
            `the ledger could not process this command; operators can look up reference ${reference}`,
          ),
        },
      ],
    };
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

const HEARTBEAT_STEP_MS = 500;
/**
 * Retries of a single command that raced another transaction; its partition waits meanwhile, so
 * the backoff stays short (legitimate races resolve at the first retry): ≈ 1 s in all at most.
 */
const CONFLICT_RETRIES_MAX = 8;
const CONFLICT_BACKOFF_MAX_MS = 200;
/** A batch still conflicting after this many retries is bisected rather than retried whole. */
const CONFLICT_RETRIES_BEFORE_SPLIT = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
