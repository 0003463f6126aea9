import type { Producer } from 'kafkajs';
import type { Logger } from '../../../platform/logger';
import type { Tracing } from '../../../platform/tracing';
import type { Pool, PoolClient } from '../../../platform/postgres';
import { backoffDelay, RESTART } from '../../../platform/retry';
import { createWakeableSleep } from '../../../platform/wakeable-sleep';
import * as outbox from '../data-access/outbox';
import { decodeOutboxLines, type OutboxEvent } from '../domain/outbox-lines';

export interface OutboxRelayOptions {
  pool: Pool;
  /** The events topic whose outbox rows this relay sends (one leader per topic). */
  topic: string;
  producer: Producer;
  logger: Logger;
  batchSizeMax: number;
  /** Bytes per Kafka request; the broker refuses record batches over its message.max.bytes. */
  requestBytesMax: number;
  /** How often to look for rows when nobody kicked the relay (other processes write too). */
  pollInterval_ms: number;
  /** Puts relayed events into their transfers' traces (TRACING_OFF when tracing is off). */
  tracing: Pick<Tracing, 'relayedSend'>;
}

/**
 * Relays outbox batches to Kafka in id order, then deletes them: at least once (a crash between the
 * send and the delete re-sends; events carry stable ids). One relay per events topic runs at a
 * time across all processor instances (a session advisory lock), which keeps per-key order.
 */
export function createOutboxRelay(options: OutboxRelayOptions) {
  const { logger } = options;
  let stopping = false;
  /** Woken by commits (kick), so rows are relayed at once; polls besides, for other writers. */
  const pause = createWakeableSleep();
  let loop: Promise<void> | undefined;
  /** A batch committed: the notification's payload is its topic; other topics have relays of their own. */
  const onCommit = (n: { payload?: string | undefined }) => {
    if (n.payload === options.topic) pause.kick();
  };
  /**
   * The held connection broke (an outage): the loop is woken, its next query fails, and it
   * connects and listens again. Left asleep it would wait out its poll deaf to every commit
   * notified meanwhile, its own kicks aside.
   */
  const onConnectionLost = () => pause.kick();

  /** Relays the oldest whole batches (about batchSizeMax events); returns whether more wait. */
  async function relayOnce(client: PoolClient): Promise<boolean> {
    const waiting = await outbox.waitingBatches(client, options.topic, 100);
    const ids: string[] = [];
    let count = 0;
    for (const row of waiting) {
      if (ids.length > 0 && count + row.event_count > options.batchSizeMax) break;
      ids.push(row.id);
      count += row.event_count;
    }
    if (ids.length === 0) return false;
    const rows = await outbox.batchEvents(client, ids);
    const events = rows.flatMap((r) => decodeOutboxLines(r.events).map((e) => ({ ...e, topic: r.topic })));
    for (const chunk of chunksByBytes(events, options.requestBytesMax)) {
      const messages = chunk.map((e) => ({
        topic: e.topic,
        traceparent: e.traceparent,
        key: e.key,
        value: e.value,
        // The transfer's trace context travels with its events even when this process does not trace.
        headers: {
          'content-type': 'application/json',
          'event-type': e.type,
          'event-id': e.id,
          ...(e.traceparent ? { traceparent: e.traceparent } : {}),
        },
      }));
      const byTopic = new Map<string, typeof messages>();
      for (const m of messages) {
        const list = byTopic.get(m.topic);
        if (list) list.push(m);
        else byTopic.set(m.topic, [m]);
      }
      await options.tracing.relayedSend(messages, () =>
        options.producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, list]) => ({
            topic,
            messages: list.map(({ key, value, headers }) => ({ key, value, headers })),
          })),
        }),
      );
    }
    await outbox.deleteBatches(client, ids);
    return waiting.length > ids.length;
  }

  function stopListening(client: PoolClient): void {
    client.off('notification', onCommit);
    client.off('error', onConnectionLost);
    client.off('end', onConnectionLost);
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      let client: PoolClient | undefined;
      try {
        client = await options.pool.connect();
        if (!(await outbox.tryLead(client, options.topic))) {
          client.release();
          client = undefined;
          // Not the leader: commits are the leader's business, only stopping cuts this short.
          await pause.sleep(2_000, { kicks: false });
          continue;
        }
        if (failures === 0) logger.info('outbox relay is the leader');
        // Every processor's batch notifies on commit, so the leader hears of other processes'
        // rows at once instead of at its next poll.
        client.on('notification', onCommit);
        client.on('error', onConnectionLost);
        client.on('end', onConnectionLost);
        await outbox.listenForCommits(client);
        while (!stopping) {
          const more = await relayOnce(client);
          if (failures > 0) logger.info('outbox relay works again');
          failures = 0;
          if (!more) await pause.sleep(options.pollInterval_ms);
        }
        stopListening(client);
        await outbox.stepDown(client, options.topic);
      } catch (error) {
        // PostgreSQL or Kafka out of reach: said once per outage, then retried with backoff (a
        // new connection, LISTEN again) until both answer.
        if (failures === 0) logger.warn({ err: error }, 'outbox relay failed; retrying until it works');
        if (client) stopListening(client);
        client?.release(true);
        client = undefined;
        if (!stopping) await pause.sleep(backoffDelay(failures++, RESTART), { kicks: false });
      } finally {
        client?.release();
      }
    }
  }

  return {
    start(): void {
      loop = run();
    },
    /** Look now: a batch just committed rows. */
    kick: pause.kick,
    /** Drains what is there, then stops. */
    async stop(): Promise<void> {
      stopping = true;
      pause.stop();
      await loop;
    },
  };
}

/** Splits events so that no request carries more than `bytesMax` of payload (at least one each). */
function chunksByBytes<T extends OutboxEvent>(rows: T[], bytesMax: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(row.value) + row.key.length + 100;
    if (current.length > 0 && bytes + size > bytesMax) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
