import type { Message, Producer } from 'kafkajs';
import type { Logger } from '../../../platform/logger';
import { createNaturalBatcher } from '../../../platform/natural-batcher';
import { TimeoutError, withTimeout } from '../../../platform/retry';

export interface CommandPublisherOptions {
  /** Makes a fresh producer: after a failed send the old one is dropped (see `failed`). */
  createProducer: () => Producer;
  topic: string;
  /** Longest queued commands wait for company after a send returns, ms. */
  linger_ms: number;
  batchSizeMax: number;
  /** Longest a submission waits for Kafka, ms; past it the command is left to the sweeper. */
  timeout_ms: number;
  logger: Logger;
}

/** Kafka did not take the command in time, or is known to be unreachable: the sweeper publishes it later. */
export class PublisherUnavailableError extends Error {
  readonly code = 'publisher_unavailable';
  constructor() {
    super('Kafka is unreachable; the command waits in PostgreSQL for the sweeper');
  }
}

/**
 * Publishes commands with natural batching. An ordered kafkajs producer allows one request in
 * flight, so this is what lets concurrent submissions share requests instead of queueing behind
 * one another. Each caller's promise settles when its own batch is acknowledged by all in-sync
 * replicas, or fails after `timeout_ms`.
 *
 * While Kafka is unreachable the publisher is *unavailable*: `publish` fails at once (the
 * submission is already durable as a pending row, so the client still gets its 202 without
 * waiting) and only `probe` (the sweeper, re-publishing those rows) touches Kafka. The first probe
 * that gets through makes it available again and tells `onRecovered` listeners.
 */
export function createCommandPublisher(options: CommandPublisherOptions) {
  const { logger } = options;
  let producer = options.createProducer();
  let connecting: Promise<void> | undefined;
  let available = true;
  const recoveredListeners: Array<() => void> = [];

  const connect = (p: Producer) => {
    if (p !== producer) return Promise.reject(new PublisherUnavailableError());
    connecting ??= p.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };

  async function send(messages: Message[]): Promise<void> {
    const p = producer;
    try {
      await withTimeout(
        connect(p).then(() => p.send({ topic: options.topic, acks: -1, messages })),
        options.timeout_ms,
        'Kafka publish',
      );
    } catch (error) {
      failed(p, error);
      throw error;
    }
  }

  /**
   * A producer whose request failed or timed out may still be retrying it for minutes, its
   * connections stuck on a broker that is gone: it is dropped and the next send starts a fresh
   * one (the processor deduplicates whatever both deliver). A late failure of a producer already
   * dropped says nothing about Kafka now: a probe through its successor may have succeeded since.
   */
  function failed(p: Producer, error: unknown): void {
    if (p !== producer) return;
    if (available) logger.warn({ err: error }, 'Kafka unreachable; accepted transfers wait for the sweeper');
    available = false;
    producer = options.createProducer();
    connecting = undefined;
    p.disconnect().catch(() => undefined);
  }

  const batcher = createNaturalBatcher<Message, void>(
    async (messages) => {
      // Queued before Kafka was found unreachable: left to the sweeper like every later one.
      if (!available) throw new PublisherUnavailableError();
      await send(messages);
      return messages.map(() => undefined);
    },
    { batchSizeMax: options.batchSizeMax, linger_ms: options.linger_ms },
  );

  return {
    /** @throws PublisherUnavailableError, TimeoutError, or the producer's error */
    publish(message: Message): Promise<void> {
      if (!available) return Promise.reject(new PublisherUnavailableError());
      // Bounded from the caller's side too: a message queued behind a batch that is timing out
      // would otherwise wait for that batch's timeout and then its own.
      const p = producer;
      return withTimeout(batcher.submit(message), options.timeout_ms, 'Kafka publish').catch(
        (error: unknown) => {
          if (error instanceof TimeoutError) failed(p, error);
          throw error;
        },
      );
    },
    /**
     * Sends even while unavailable (with no messages: connects); success makes the publisher
     * available again.
     */
    async probe(messages: Message[]): Promise<void> {
      if (messages.length > 0) await send(messages);
      else {
        const p = producer;
        await withTimeout(connect(p), options.timeout_ms, 'Kafka connect').catch((error: unknown) => {
          failed(p, error);
          throw error;
        });
      }
      if (available) return;
      available = true;
      logger.info('Kafka reachable again');
      for (const listener of recoveredListeners) listener();
    },
    /** Connects at start-up, bounded: a broker that is down leaves the publisher unavailable. */
    async start(): Promise<void> {
      const p = producer;
      await withTimeout(connect(p), options.timeout_ms, 'Kafka connect').catch((error: unknown) =>
        failed(p, error),
      );
    },
    get available(): boolean {
      return available;
    },
    onRecovered(listener: () => void): void {
      recoveredListeners.push(listener);
    },
    drain: () => batcher.drain(),
    async stop(): Promise<void> {
      await batcher.drain().catch(() => undefined);
      await producer.disconnect();
    },
  };
}

export type CommandPublisher = ReturnType<typeof createCommandPublisher>;
