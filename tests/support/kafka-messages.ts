import { randomUUID } from 'node:crypto';
import type { Consumer, KafkaMessage } from 'kafkajs';
import type { Kafka } from '../../platform/kafka';
import { eventually } from './eventually';

/**
 * Collects every message of a topic from the beginning, to await conditions on them. Returns once
 * the consumer has joined its group: `run` returns before that, and on a busy broker (or a topic
 * just created) joining can take seconds that a later wait would otherwise be charged with.
 */
export async function collect(kafka: Kafka, topic: string, join_timeout_ms = 30_000) {
  const messages: KafkaMessage[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, maxWaitTimeInMs: 50 });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    joined,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no group join on ${topic} within ${join_timeout_ms} ms`)),
        join_timeout_ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const until = (predicate: (all: KafkaMessage[]) => boolean, timeout_ms = 20_000) =>
    eventually(() => predicate(messages) && messages, timeout_ms, 50, `condition on ${topic}`);
  return { messages, until, stop: () => consumer.disconnect() };
}

/** A command envelope of any type (transfer.refund, transfer.capture...), as a producer outside the ledger would write it. */
export const commandEnvelope = (type: string, payload: object) =>
  JSON.stringify({ type, version: 1, occurred_at: new Date().toISOString(), payload });

/** A transfer command envelope, as a producer outside the ledger would write it. */
export const commandJson = (payload: object) => commandEnvelope('transfer.requested', payload);
