import type { Message, Producer } from 'kafkajs';
import { createNaturalBatcher } from '../../../platform/natural-batcher';

export interface CommandPublisherOptions {
  producer: Producer;
  topic: string;
  /** Longest queued commands wait for company after a send returns, ms. */
  lingerMs: number;
  batchSizeMax: number;
}

/**
 * Publishes commands with natural batching. An idempotent kafkajs producer allows one request in
 * flight, so this is what lets concurrent submissions share requests instead of queueing behind
 * one another. Each caller's promise settles when its own batch is acknowledged by all in-sync
 * replicas.
 */
export function createCommandPublisher(options: CommandPublisherOptions) {
  const batcher = createNaturalBatcher<Message, void>(
    async (messages) => {
      await options.producer.send({ topic: options.topic, acks: -1, messages });
      return messages.map(() => undefined);
    },
    { batchSizeMax: options.batchSizeMax, lingerMs: options.lingerMs },
  );
  return { publish: (message: Message) => batcher.submit(message), drain: () => batcher.drain() };
}

export type CommandPublisher = ReturnType<typeof createCommandPublisher>;

/** The Kafka key of a command: the account whose balance it draws on. */
export const partitionKey = (c: {
  kind: string;
  source_account_id?: string | undefined;
  destination_account_id?: string | undefined;
}) => (c.kind === 'deposit' ? c.destination_account_id : c.source_account_id)!;
