import type { PoolClient } from '../../../platform/postgres';

export interface SubscribedEndpoint {
  id: string;
  tenant_id: string;
  event_types: string[];
}

/** The enabled endpoints of these tenants. */
export async function enabledEndpointsOf(
  client: PoolClient,
  tenantIds: string[],
): Promise<SubscribedEndpoint[]> {
  const { rows } = await client.query<SubscribedEndpoint>(
    `SELECT id, tenant_id, event_types FROM webhook_endpoints WHERE tenant_id = ANY($1::uuid[]) AND status = 'enabled'`,
    [tenantIds],
  );
  return rows;
}

export interface NewMessage {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  body: string;
}

/**
 * Inserts the messages that do not exist yet (one per endpoint and event: a redelivered event
 * adds nothing) and a first attempt for each, due after firstDelay_ms. Returns how many were new.
 */
export async function insertMessages(
  client: PoolClient,
  messages: NewMessage[],
  q: { sourceTopic: string; firstDelay_ms: number },
): Promise<number> {
  if (messages.length === 0) return 0;
  // One event's body goes to each of its endpoints: sent once, referred to by position.
  const bodyIndex = new Map<string, number>();
  for (const m of messages) if (!bodyIndex.has(m.body)) bodyIndex.set(m.body, bodyIndex.size + 1);
  const { rows } = await client.query<{ id: string; endpoint_id: string }>(
    `INSERT INTO webhook_messages (id, endpoint_id, event_id, event_type, body, source_topic)
     SELECT u.id, u.endpoint_id, u.event_id, u.event_type, b.body, $7
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[]) WITH ORDINALITY
              AS u (id, endpoint_id, event_id, event_type, body_at, ord)
       JOIN unnest($6::text[]) WITH ORDINALITY AS b (body, at) ON b.at = u.body_at
      ORDER BY u.ord
     ON CONFLICT (endpoint_id, event_id) DO NOTHING
     RETURNING id, endpoint_id`,
    [
      messages.map((m) => m.id),
      messages.map((m) => m.endpointId),
      messages.map((m) => m.eventId),
      messages.map((m) => m.eventType),
      messages.map((m) => bodyIndex.get(m.body)!),
      [...bodyIndex.keys()],
      q.sourceTopic,
    ],
  );
  if (rows.length === 0) return 0;
  await client.query(
    `INSERT INTO webhook_attempts (message_id, endpoint_id, source_topic, schedule_index, trigger, due_at)
     SELECT m, e, $3, 0, 'event', now() + $4 * interval '1 millisecond' FROM unnest($1::uuid[], $2::uuid[]) AS t (m, e)`,
    [rows.map((r) => r.id), rows.map((r) => r.endpoint_id), q.sourceTopic, q.firstDelay_ms],
  );
  return rows.length;
}
