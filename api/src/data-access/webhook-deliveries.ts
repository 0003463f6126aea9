import { withTransaction, type Pool } from '../../../platform/postgres';

// The delivery log of webhook endpoints (messages and their attempts, which the dispatcher
// writes) as tenants read and replay it; the endpoints themselves and their secrets are in
// webhook-endpoints.ts.

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  created_at: Date;
  attempts: Array<{
    id: string;
    trigger: 'event' | 'retry' | 'manual' | 'recover';
    status: 'scheduled' | 'succeeded' | 'failed' | 'cancelled';
    due_at: string;
    started_at: string | null;
    finished_at: string | null;
    response_status: number | null;
    latency_ms: number | null;
    error: string | null;
  }>;
}

export const ATTEMPTS_SHOWN_MAX = 20;

/** The endpoint's messages, newest first, each with its latest attempts (oldest first). */
export async function listDeliveries(
  db: Pool,
  q: {
    endpointId: string;
    status: DeliveryRow['status'] | undefined;
    before: string | undefined;
    limit: number;
  },
) {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT m.id, m.endpoint_id, m.event_id, m.event_type, m.status, m.created_at,
            COALESCE(a.attempts, '[]'::json) AS attempts
       FROM webhook_messages m
       LEFT JOIN LATERAL (
         SELECT json_agg(json_build_object(
                  'id', x.id::text, 'trigger', x.trigger, 'status', x.status, 'due_at', x.due_at,
                  'started_at', x.started_at, 'finished_at', x.finished_at, 'response_status', x.response_status,
                  'latency_ms', x.latency_ms, 'error', x.error) ORDER BY x.id) AS attempts
           FROM (SELECT * FROM webhook_attempts WHERE message_id = m.id ORDER BY id DESC LIMIT ${ATTEMPTS_SHOWN_MAX}) x
       ) a ON true
      WHERE m.endpoint_id = $1 AND ($2::text IS NULL OR m.status = $2) AND ($3::uuid IS NULL OR m.id < $3)
      ORDER BY m.id DESC LIMIT $4`,
    [q.endpointId, q.status ?? null, q.before ?? null, q.limit],
  );
  return rows;
}

export type RetryRefusal = 'not_found' | 'endpoint_disabled' | 'in_progress';

/**
 * Schedules one more round of attempts for a message of the tenant, due now.
 * Refused when the message is not the tenant's, its endpoint is disabled, or an attempt is
 * already scheduled.
 */
export async function retryOwnMessage(
  pool: Pool,
  tenantId: string,
  messageId: string,
): Promise<{ refused?: RetryRefusal }> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ endpoint_id: string; endpoint_status: string }>(
      `SELECT m.endpoint_id, e.status AS endpoint_status FROM webhook_messages m
         JOIN webhook_endpoints e ON e.id = m.endpoint_id
        WHERE m.id = $1 AND e.tenant_id = $2 FOR UPDATE OF m`,
      [messageId, tenantId],
    );
    const message = rows[0];
    if (!message) return { refused: 'not_found' as const };
    if (message.endpoint_status !== 'enabled') return { refused: 'endpoint_disabled' as const };
    const inserted = await client.query(
      `INSERT INTO webhook_attempts (message_id, endpoint_id, source_topic, schedule_index, trigger, due_at)
       SELECT id, endpoint_id, source_topic, 0, 'manual', now() FROM webhook_messages WHERE id = $1
       ON CONFLICT (message_id) WHERE status = 'scheduled' DO NOTHING`,
      [messageId],
    );
    if (inserted.rowCount !== 1) return { refused: 'in_progress' as const };
    await client.query(`UPDATE webhook_messages SET status = 'pending', updated_at = now() WHERE id = $1`, [
      messageId,
    ]);
    return {};
  });
}

/** Schedules a new round for up to `max` failed messages created since `since`. Returns how many. */
export async function recoverFailedMessages(
  pool: Pool,
  endpointId: string,
  since: string,
  max: number,
): Promise<number> {
  const { rowCount } = await pool.query(
    `WITH failed AS (
       SELECT id FROM webhook_messages
        WHERE endpoint_id = $1 AND failed AND created_at >= $2
        ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED
     ), reopened AS (
       UPDATE webhook_messages m SET status = 'pending', updated_at = now() FROM failed WHERE m.id = failed.id
       RETURNING m.id, m.source_topic
     )
     INSERT INTO webhook_attempts (message_id, endpoint_id, source_topic, schedule_index, trigger, due_at)
     SELECT id, $1, source_topic, 0, 'recover', now() FROM reopened
     ON CONFLICT (message_id) WHERE status = 'scheduled' DO NOTHING`,
    [endpointId, since, max],
  );
  return rowCount ?? 0;
}
