/*
 * Recording outcomes: what happened to a claimed attempt (attempt-claims.ts) and its consequence
 * for the message and the endpoint, written only while the lease is still this dispatcher's.
 */
import { withTransaction, type Pool, type PoolClient } from '../../../platform/postgres';
import { cancelPendingDeliveries } from '../../../domain/webhook-endpoint-disabling';
import type { Decision, SendResult } from '../domain/attempt-outcome';
import type { ClaimedAttempt } from './attempt-claims';

const RESPONSE_BODY_CHARS_MAX = 4096;

/**
 * Writes the outcome of an attempt and its consequence (the next attempt, the message's final
 * state, the endpoint disabled) in one transaction. Returns false when the lease was lost (it
 * expired and another dispatcher took the attempt over, or the endpoint was deleted or
 * disabled meanwhile): then nothing is written.
 */
export async function recordOutcome(
  pool: Pool,
  claimed: ClaimedAttempt,
  result: SendResult,
  decision: Decision,
  error: string | null,
): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const updated = await client.query(
      `UPDATE webhook_attempts
          SET status = $3, finished_at = now(), lease_until = NULL, response_status = $4, response_body = $5,
              latency_ms = $6, error = $7
        WHERE id = $1 AND lease_token = $2 AND status = 'scheduled'`,
      [
        claimed.attempt_id,
        claimed.lease_token,
        decision.kind === 'delivered' ? 'succeeded' : 'failed',
        result.kind === 'response' ? result.status : null,
        result.kind === 'response' ? result.body.slice(0, RESPONSE_BODY_CHARS_MAX) : null,
        Math.min(result.latency_ms, 2_147_483_647),
        error?.slice(0, 1000) ?? null,
      ],
    );
    if (updated.rowCount !== 1) return false;
    switch (decision.kind) {
      case 'delivered':
        await setMessageStatus(client, claimed.message_id, 'delivered');
        await client.query(
          'UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL',
          [claimed.endpoint_id],
        );
        break;
      case 'retry':
        await client.query(
          `INSERT INTO webhook_attempts (message_id, endpoint_id, source_topic, schedule_index, trigger, due_at)
           SELECT $1, $2, source_topic, $3, 'retry', now() + $4 * interval '1 millisecond' FROM webhook_messages WHERE id = $1`,
          [claimed.message_id, claimed.endpoint_id, claimed.schedule_index + 1, decision.delay_ms],
        );
        await markFailing(client, claimed.endpoint_id);
        break;
      case 'give_up':
        await setMessageStatus(client, claimed.message_id, 'failed');
        await markFailing(client, claimed.endpoint_id);
        break;
      case 'disable_endpoint':
        await setMessageStatus(client, claimed.message_id, 'failed');
        await disableEndpoint(client, claimed.endpoint_id, decision.reason);
        break;
    }
    return true;
  });
}

/**
 * Records many successful first-or-later attempts in one statement (one commit, one WAL flush):
 * each attempt succeeded, its message delivered, its endpoint no longer failing. The same effect
 * as recordOutcome with a 'delivered' decision, set-based. Attempts whose lease was lost are left
 * alone; returns the ids of those recorded. Failing endpoints are locked in id order, so two
 * batches clearing the same endpoints cannot deadlock.
 */
export async function recordDelivered(
  pool: Pool,
  items: Array<{ claimed: ClaimedAttempt; result: Extract<SendResult, { kind: 'response' }> }>,
): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const { rows } = await pool.query<{ id: string }>(
    `WITH done AS (
       UPDATE webhook_attempts a
          SET status = 'succeeded', finished_at = now(), lease_until = NULL, response_status = u.status,
              response_body = u.body, latency_ms = u.latency_ms
         FROM unnest($1::bigint[], $2::uuid[], $3::smallint[], $4::text[], $5::int[])
              AS u (id, token, status, body, latency_ms)
        WHERE a.id = u.id AND a.lease_token = u.token AND a.status = 'scheduled'
       RETURNING a.id, a.message_id, a.endpoint_id
     ), delivered AS (
       UPDATE webhook_messages m SET status = 'delivered', updated_at = now() FROM done WHERE m.id = done.message_id
     ), healthy AS (
       UPDATE webhook_endpoints SET failing_since = NULL
        WHERE id IN (SELECT id FROM webhook_endpoints
                      WHERE id IN (SELECT endpoint_id FROM done) AND failing_since IS NOT NULL
                      ORDER BY id FOR UPDATE)
     )
     SELECT id::text FROM done`,
    [
      items.map((i) => i.claimed.attempt_id),
      items.map((i) => i.claimed.lease_token),
      items.map((i) => i.result.status),
      items.map((i) => i.result.body.slice(0, RESPONSE_BODY_CHARS_MAX)),
      items.map((i) => Math.min(i.result.latency_ms, 2_147_483_647)),
    ],
  );
  return new Set(rows.map((r) => r.id));
}

async function setMessageStatus(client: PoolClient, messageId: string, status: 'delivered' | 'failed') {
  await client.query('UPDATE webhook_messages SET status = $2, updated_at = now() WHERE id = $1', [
    messageId,
    status,
  ]);
}

async function markFailing(client: PoolClient, endpointId: string) {
  await client.query(
    'UPDATE webhook_endpoints SET failing_since = now() WHERE id = $1 AND failing_since IS NULL',
    [endpointId],
  );
}

/**
 * Disables the endpoint and cancels its scheduled attempts (their messages fail and can be
 * recovered once the endpoint is fixed and enabled again).
 */
async function disableEndpoint(client: PoolClient, endpointId: string, reason: 'gone' | 'failing') {
  await client.query(
    `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, updated_at = now()
      WHERE id = $1 AND status = 'enabled'`,
    [endpointId, reason],
  );
  await cancelPendingDeliveries(client, endpointId);
}
