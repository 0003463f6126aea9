import type { Message, Producer } from 'kafkajs';

export interface CommandPublisherOptions {
  producer: Producer;
  topic: string;
  lingerMs: number;
  batchSizeMax: number;
}

interface Waiting {
  message: Message;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Publishes commands in small batches: an idempotent kafkajs producer allows one request in
 * flight, so concurrent submissions share requests instead of queueing behind one another.
 * Each caller's promise settles when its own batch is acknowledged by all in-sync replicas.
 */
export function createCommandPublisher(options: CommandPublisherOptions) {
  const queue: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queue.splice(0, options.batchSizeMax);
    if (batch.length === 0) return;
    sending = sending.then(async () => {
      try {
        await options.producer.send({
          topic: options.topic,
          acks: -1,
          messages: batch.map((w) => w.message),
        });
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    });
    if (queue.length > 0) flush();
  };

  return {
    publish(message: Message): Promise<void> {
      return new Promise((resolve, reject) => {
        queue.push({ message, resolve, reject });
        if (queue.length >= options.batchSizeMax) flush();
        else timer ??= setTimeout(flush, options.lingerMs);
      });
    },
    /** Sends what is queued and waits for it. */
    async drain(): Promise<void> {
      flush();
      await sending;
    },
    /** For tests and shutdown: nothing left behind. */
    get queued(): number {
      return queue.length;
    },
  };
}

export type CommandPublisher = ReturnType<typeof createCommandPublisher>;

/** The Kafka key of a command: the account whose balance it draws on. */
export const partitionKey = (c: {
  kind: string;
  source_account_id?: string | undefined;
  destination_account_id?: string | undefined;
}) => (c.kind === 'deposit' ? c.destination_account_id : c.source_account_id)!;
