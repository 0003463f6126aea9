import type { Message, Producer } from 'kafkajs';

export interface CommandPublisherOptions {
  producer: Producer;
  topic: string;
  /** Longest a command waits for company when a send is already in flight, ms. */
  lingerMs: number;
  batchSizeMax: number;
}

interface Waiting {
  message: Message;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Publishes commands with natural batching: when nothing is in flight a command goes at once
 * (with whatever arrived in the same tick); while a send is in flight, commands queue and leave
 * together when it returns. An idempotent kafkajs producer allows one request in flight, so this
 * is what lets concurrent submissions share requests instead of queueing behind one another.
 * Each caller's promise settles when its own batch is acknowledged by all in-sync replicas.
 */
export function createCommandPublisher(options: CommandPublisherOptions) {
  const queue: Waiting[] = [];
  let inFlight: Promise<void> | undefined;
  let scheduled = false;

  const sendNext = (): void => {
    scheduled = false;
    if (inFlight || queue.length === 0) return;
    const batch = queue.splice(0, options.batchSizeMax);
    inFlight = options.producer
      .send({ topic: options.topic, acks: -1, messages: batch.map((w) => w.message) })
      .then(
        () => batch.forEach((w) => w.resolve()),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        inFlight = undefined;
        if (queue.length > 0) schedule(queue.length >= options.batchSizeMax ? 0 : options.lingerMs);
      });
  };

  const schedule = (delayMs: number): void => {
    if (scheduled) return;
    scheduled = true;
    if (delayMs === 0) setImmediate(sendNext);
    else setTimeout(sendNext, delayMs);
  };

  return {
    publish(message: Message): Promise<void> {
      return new Promise((resolve, reject) => {
        queue.push({ message, resolve, reject });
        // Idle: go now (next tick, so a burst shares the request). Busy: the send's end picks it up.
        if (!inFlight) schedule(0);
      });
    },
    /** Sends what is queued and waits for it. */
    async drain(): Promise<void> {
      while (inFlight || queue.length > 0) {
        if (!inFlight) sendNext();
        await inFlight;
      }
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
