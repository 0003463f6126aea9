import type { PoolClient } from '../../../platform/postgres';
import { OUTBOX_CHANNEL } from '../domain/outbox-lines';

/**
 * One relay at a time per events topic, across every processor sharing the database: a session
 * advisory lock keyed by the topic (the namespace keeps it apart from other advisory locks). Per
 * topic, so deployments (or test runs) sharing a database under different topic prefixes never
 * wait on each other's relay, nor on a topic that no longer exists.
 */
const LEADER_LOCK_NAMESPACE = 7_160_002;

/** Takes the relay's leadership for the topic on this session if nobody holds it; returns whether it did. */
export async function tryLead(client: PoolClient, topic: string): Promise<boolean> {
  const { rows } = await client.query<{ leader: boolean }>(
    'SELECT pg_try_advisory_lock($1, hashtext($2)) AS leader',
    [LEADER_LOCK_NAMESPACE, topic],
  );
  return rows[0]?.leader === true;
}

/** Gives the leadership up and stops listening for commits. */
export async function stepDown(client: PoolClient, topic: string): Promise<void> {
  await client.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
  await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LEADER_LOCK_NAMESPACE, topic]);
}

/** Every processor's batch notifies on commit (see insertOutbox): hear them on this session. */
export async function listenForCommits(client: PoolClient): Promise<void> {
  await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
}

/** The topic's oldest waiting batches' ids and sizes, in commit order (at most `limit`). */
export async function waitingBatches(client: PoolClient, topic: string, limit: number) {
  const { rows } = await client.query<{ id: string; event_count: number }>(
    'SELECT id, event_count FROM outbox_batches WHERE topic = $1 ORDER BY id LIMIT $2',
    [topic, limit],
  );
  return rows;
}

/** The encoded events of these batches, in id order. */
export async function batchEvents(client: PoolClient, ids: string[]) {
  const { rows } = await client.query<{ topic: string; events: string }>(
    'SELECT topic, events FROM outbox_batches WHERE id = ANY($1::bigint[]) ORDER BY id',
    [ids],
  );
  return rows;
}

/** Relayed: gone from the outbox. */
export async function deleteBatches(client: PoolClient, ids: string[]): Promise<void> {
  await client.query('DELETE FROM outbox_batches WHERE id = ANY($1::bigint[])', [ids]);
}
