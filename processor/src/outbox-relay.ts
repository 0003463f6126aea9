import type { Producer } from 'kafkajs';
import type { Logger } from '../../platform/logger';
import type { Pool, PoolClient } from '../../platform/postgres';

export interface OutboxRelayOptions {
  pool: Pool;
  producer: Producer;
  logger: Logger;
  batchSizeMax: number;
  /** Bytes per Kafka request; the broker refuses record batches over its message.max.bytes. */
  requestBytesMax: number;
  /** How often to look for rows when nobody kicked the relay (other processes write too). */
  pollIntervalMs: number;
}

const LEADER_LOCK_KEY = 7_160_002;

/**
 * Relays outbox rows to Kafka in id order, then deletes them: at least once (a crash between the
 * send and the delete re-sends; events carry stable ids). One relay runs at a time across all
 * processor instances (a session advisory lock), which keeps per-key order.
 */
export function createOutboxRelay(options: OutboxRelayOptions) {
  const { logger } = options;
  let stopping = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function relayOnce(client: PoolClient): Promise<number> {
    const { rows } = await client.query<{
      id: string;
      topic: string;
      key: string;
      type: string;
      event_id: string;
      payload: string;
    }>('SELECT id, topic, key, event_type AS type, event_id, payload FROM outbox ORDER BY id LIMIT $1', [
      options.batchSizeMax,
    ]);
    if (rows.length === 0) return 0;
    for (const chunk of chunksByBytes(rows, options.requestBytesMax)) {
      const byTopic = new Map<string, typeof rows>();
      for (const row of chunk) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
      await options.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((r) => ({
            key: r.key,
            value: r.payload,
            headers: { 'content-type': 'application/json', 'event-type': r.type, 'event-id': r.event_id },
          })),
        })),
      });
    }
    await client.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
    return rows.length;
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let client: PoolClient | undefined;
      try {
        client = await options.pool.connect();
        const { rows } = await client.query<{ leader: boolean }>(
          'SELECT pg_try_advisory_lock($1) AS leader',
          [LEADER_LOCK_KEY],
        );
        if (!rows[0]?.leader) {
          client.release();
          client = undefined;
          await idle(2_000);
          continue;
        }
        logger.info('outbox relay is the leader');
        while (!stopping) {
          const sent = await relayOnce(client);
          if (sent < options.batchSizeMax) await idle(options.pollIntervalMs);
        }
        await client.query('SELECT pg_advisory_unlock($1)', [LEADER_LOCK_KEY]);
      } catch (error) {
        logger.error({ err: error }, 'outbox relay failed; retrying');
        client?.release(true);
        client = undefined;
        if (!stopping) await idle(1_000);
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
    kick(): void {
      wake?.();
    },
    /** Drains what is there, then stops. */
    async stop(): Promise<void> {
      stopping = true;
      wake?.();
      await loop;
    },
  };
}

/** Splits rows so that no request carries more than `bytesMax` of payload (at least one row each). */
function chunksByBytes<T extends { payload: string; key: string }>(rows: T[], bytesMax: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(row.payload) + row.key.length + 100;
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
