import { withTransaction, type Pool, type PoolClient } from '../../../platform/postgres';
import { cancelPendingDeliveries } from '../../../domain/webhook-endpoint-disabling';

export interface WebhookEndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  event_types: string[];
  status: 'enabled' | 'disabled';
  disabled_reason: 'manual' | 'gone' | 'failing' | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

// Never the secret columns: they leave the database only towards the dispatcher.
const COLUMNS = `id, tenant_id, url, description, event_types, status, disabled_reason,
  CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END AS previous_secret_expires_at,
  created_at, updated_at`;

/**
 * Creates an endpoint unless the tenant already has `perTenantMax` (checked under a lock on the
 * tenant row, so concurrent creations cannot overshoot). Returns undefined at the limit.
 */
export async function insertEndpoint(
  pool: Pool,
  e: {
    id: string;
    tenantId: string;
    url: string;
    description: string;
    eventTypes: string[];
    secretEncrypted: Buffer;
  },
  perTenantMax: number,
): Promise<WebhookEndpointRow | undefined> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE', [e.tenantId]);
    const { rows: count } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_endpoints WHERE tenant_id = $1',
      [e.tenantId],
    );
    if (count[0]!.n >= perTenantMax) return undefined;
    const { rows } = await client.query<WebhookEndpointRow>(
      `INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, secret_encrypted)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [e.id, e.tenantId, e.url, e.description, e.eventTypes, e.secretEncrypted],
    );
    return rows[0]!;
  });
}

/** The tenant's endpoint, or undefined (also for another tenant's). */
export async function findOwnEndpoint(db: Pool | PoolClient, tenantId: string, id: string) {
  const { rows } = await db.query<WebhookEndpointRow>(
    `SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2`,
    [id, tenantId],
  );
  return rows[0];
}

export async function listOwnEndpoints(db: Pool, tenantId: string, after: string | undefined, limit: number) {
  const { rows } = await db.query<WebhookEndpointRow>(
    `SELECT ${COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3`,
    [tenantId, after ?? null, limit],
  );
  return rows;
}

export async function updateOwnEndpoint(
  db: Pool,
  tenantId: string,
  id: string,
  changes: { url?: string | undefined; description?: string | undefined; eventTypes?: string[] | undefined },
) {
  const { rows } = await db.query<WebhookEndpointRow>(
    `UPDATE webhook_endpoints SET url = COALESCE($3, url), description = COALESCE($4, description),
            event_types = COALESCE($5, event_types), updated_at = now()
      WHERE id = $1 AND tenant_id = $2 RETURNING ${COLUMNS}`,
    [id, tenantId, changes.url ?? null, changes.description ?? null, changes.eventTypes ?? null],
  );
  return rows[0];
}

/** Deletes the endpoint with its messages and attempts. Returns whether it existed. */
export async function deleteOwnEndpoint(db: Pool, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2', [
    id,
    tenantId,
  ]);
  return rowCount === 1;
}

/**
 * Disables the endpoint: its scheduled attempts are cancelled and their messages fail (they can
 * be recovered after it is enabled again).
 */
export async function disableOwnEndpoint(pool: Pool, tenantId: string, id: string) {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<WebhookEndpointRow>(
      `UPDATE webhook_endpoints
          SET status = 'disabled', disabled_reason = CASE WHEN status = 'disabled' THEN disabled_reason ELSE 'manual' END,
              updated_at = now()
        WHERE id = $1 AND tenant_id = $2 RETURNING ${COLUMNS}`,
      [id, tenantId],
    );
    if (!rows[0]) return undefined;
    await cancelPendingDeliveries(client, id);
    return rows[0];
  });
}

/** Enables the endpoint and forgets its failures (the 5-day clock restarts). */
export async function enableOwnEndpoint(db: Pool, tenantId: string, id: string) {
  const { rows } = await db.query<WebhookEndpointRow>(
    `UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL, failing_since = NULL, updated_at = now()
      WHERE id = $1 AND tenant_id = $2 RETURNING ${COLUMNS}`,
    [id, tenantId],
  );
  return rows[0];
}

/**
 * Replaces the secret; the current one keeps signing beside it until overlap_ms from now (a
 * rotation during an overlap drops the oldest).
 */
export async function rotateOwnSecret(
  db: Pool,
  tenantId: string,
  id: string,
  secretEncrypted: Buffer,
  overlap_ms: number,
) {
  const { rows } = await db.query<WebhookEndpointRow>(
    `UPDATE webhook_endpoints
        SET previous_secret_encrypted = secret_encrypted, secret_encrypted = $3,
            previous_secret_expires_at = now() + $4 * interval '1 millisecond', updated_at = now()
      WHERE id = $1 AND tenant_id = $2 RETURNING ${COLUMNS}`,
    [id, tenantId, secretEncrypted, overlap_ms],
  );
  return rows[0];
}
