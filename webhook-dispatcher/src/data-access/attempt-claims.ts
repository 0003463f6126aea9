/*
 * Claiming work: which due attempts this dispatcher takes, and the leases that hold them until
 * their outcome is recorded (attempt-outcomes.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from '../../../platform/postgres';

/** A due attempt this dispatcher holds a lease on, with what it needs to send it. */
export interface ClaimedAttempt {
  attempt_id: string;
  lease_token: string;
  schedule_index: number;
  message_id: string;
  event_id: string;
  body: string;
  endpoint_id: string;
  url: string;
  secret_encrypted: Buffer;
  /** Present while the previous secret still signs (24 h after a rotation). */
  previous_secret_encrypted: Buffer | null;
  failing_since: Date | null;
}

/** How much more one endpoint may take: its free delivery slots in this dispatcher. */
export interface EndpointRoom {
  endpoint_id: string;
  /** 0 or more; 0 keeps the endpoint out of the claim altogether. */
  room: number;
}

/**
 * Claims up to `limit` due attempts of enabled endpoints, of messages from sourceTopic, oldest due
 * first, never more per endpoint than that endpoint's room (`rooms` lists the endpoints this
 * dispatcher already has requests in flight to; any other endpoint has `endpointRoomMax`), so
 * nothing claimed has to be given back. Rows another dispatcher holds are skipped. The lease
 * makes the claim survive the transaction; when it runs out (the holder crashed) the attempt is
 * due again.
 *
 * How (index webhook_attempts_endpoint_due): the endpoints with scheduled attempts are found by
 * a loose index scan (one descent per endpoint, at most `endpointsScanMax`, going round from a
 * random id so that no endpoint is left out for good), the oldest due
 * attempts of each endpoint with room are read up to its room (a full endpoint's backlog is never
 * read, so it cannot hide or slow the others), the oldest `limit` of those kept, then locked with
 * SKIP LOCKED, status and lease checked again on the locked row (a concurrent claim may have
 * taken it since they were read).
 */
export async function claimDueAttempts(
  pool: Pool,
  q: {
    sourceTopic: string;
    limit: number;
    rooms: readonly EndpointRoom[];
    endpointRoomMax: number;
    /**
     * Endpoints with scheduled attempts looked at per claim: bounds the claim's work. They are
     * taken in id order going round from `scanFrom` (random by default), so with more endpoints
     * than this every one of them still comes up.
     */
    endpointsScanMax: number;
    /** Where this claim's endpoint scan starts (just after this id); for tests. */
    scanFrom?: string;
    lease_ms: number;
    leaseToken: string;
  },
): Promise<ClaimedAttempt[]> {
  if (q.limit <= 0) return [];
  const { rows } = await pool.query<ClaimedAttempt>(
    `WITH RECURSIVE after_start (endpoint_id) AS (
       (SELECT a.endpoint_id FROM webhook_attempts a
         WHERE a.source_topic = $6 AND a.status = 'scheduled' AND a.endpoint_id > $9
         ORDER BY a.endpoint_id LIMIT 1)
       UNION ALL
       SELECT (SELECT a.endpoint_id FROM webhook_attempts a
                WHERE a.source_topic = $6 AND a.status = 'scheduled' AND a.endpoint_id > s.endpoint_id
                ORDER BY a.endpoint_id LIMIT 1)
         FROM after_start s WHERE s.endpoint_id IS NOT NULL
     ), up_to_start (endpoint_id) AS (
       (SELECT a.endpoint_id FROM webhook_attempts a
         WHERE a.source_topic = $6 AND a.status = 'scheduled' AND a.endpoint_id <= $9
         ORDER BY a.endpoint_id LIMIT 1)
       UNION ALL
       SELECT (SELECT a.endpoint_id FROM webhook_attempts a
                WHERE a.source_topic = $6 AND a.status = 'scheduled' AND a.endpoint_id > s.endpoint_id
                  AND a.endpoint_id <= $9
                ORDER BY a.endpoint_id LIMIT 1)
         FROM up_to_start s WHERE s.endpoint_id IS NOT NULL
     ), scheduled (endpoint_id) AS (
       -- Circular order from the start id; evaluated lazily, so the LIMIT below stops the scan.
       SELECT endpoint_id FROM after_start WHERE endpoint_id IS NOT NULL
       UNION ALL
       SELECT endpoint_id FROM up_to_start WHERE endpoint_id IS NOT NULL
     ), endpoints AS (
       SELECT s.endpoint_id, coalesce(r.room, $7) AS room
         FROM (SELECT endpoint_id FROM scheduled LIMIT $8) s
         LEFT JOIN unnest($2::uuid[], $3::int[]) AS r (endpoint_id, room) ON r.endpoint_id = s.endpoint_id
        WHERE coalesce(r.room, $7) > 0
          AND (SELECT e.status FROM webhook_endpoints e WHERE e.id = s.endpoint_id) = 'enabled'
     ), kept AS (
       SELECT c.id FROM endpoints en
        CROSS JOIN LATERAL (
          SELECT a.id, a.due_at FROM webhook_attempts a
           WHERE a.source_topic = $6 AND a.status = 'scheduled' AND a.endpoint_id = en.endpoint_id
             AND a.due_at <= now() AND (a.lease_until IS NULL OR a.lease_until <= now())
           ORDER BY a.due_at
           LIMIT en.room
        ) c
        ORDER BY c.due_at
        LIMIT $1
     ), picked AS (
       SELECT a.id FROM webhook_attempts a
        WHERE a.id IN (SELECT id FROM kept) AND a.status = 'scheduled'
          AND (a.lease_until IS NULL OR a.lease_until <= now())
        FOR UPDATE OF a SKIP LOCKED
     )
     UPDATE webhook_attempts a
        SET lease_until = now() + $4 * interval '1 millisecond', lease_token = $5, started_at = now()
       FROM picked, webhook_messages m, webhook_endpoints e
      WHERE a.id = picked.id AND m.id = a.message_id AND e.id = a.endpoint_id
     RETURNING a.id AS attempt_id, a.lease_token, a.schedule_index, m.id AS message_id, m.event_id, m.body,
               e.id AS endpoint_id, e.url, e.secret_encrypted,
               CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret_encrypted END AS previous_secret_encrypted,
               e.failing_since`,
    [
      q.limit,
      q.rooms.map((r) => r.endpoint_id),
      q.rooms.map((r) => Math.max(0, r.room)),
      q.lease_ms,
      q.leaseToken,
      q.sourceTopic,
      q.endpointRoomMax,
      q.endpointsScanMax,
      q.scanFrom ?? randomUUID(),
    ],
  );
  return rows;
}

/**
 * Extends this dispatcher's leases on attempts it still holds (in flight or waiting for a slot),
 * so a lease can be short (a crashed dispatcher's work is taken over soon) and still never run out
 * under a request that is taking its time. Returns the ids still held.
 */
export async function renewLeases(
  pool: Pool,
  ids: string[],
  leaseToken: string,
  lease_ms: number,
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await pool.query<{ id: string }>(
    `UPDATE webhook_attempts SET lease_until = now() + $3 * interval '1 millisecond'
      WHERE id = ANY($1::bigint[]) AND lease_token = $2 AND status = 'scheduled'
      RETURNING id`,
    [ids, leaseToken, lease_ms],
  );
  return new Set(rows.map((r) => r.id));
}

/** Gives claimed attempts back at once (this dispatcher took more than it has room for). */
export async function releaseAttempts(pool: Pool, ids: string[], leaseToken: string): Promise<void> {
  if (ids.length === 0) return;
  await pool.query(
    `UPDATE webhook_attempts SET lease_until = NULL, lease_token = NULL, started_at = NULL
      WHERE id = ANY($1::bigint[]) AND lease_token = $2 AND status = 'scheduled'`,
    [ids, leaseToken],
  );
}
