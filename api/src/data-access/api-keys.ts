import type { Pool, PoolClient } from '../../../platform/postgres';

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function insertApiKey(
  db: Pool | PoolClient,
  key: { id: string; tenantId: string; name: string; prefix: string; hash: Buffer },
): Promise<ApiKeyRow> {
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5)
     RETURNING id, tenant_id, name, prefix, created_at, last_used_at, revoked_at`,
    [key.id, key.tenantId, key.name, key.prefix, key.hash],
  );
  return rows[0]!;
}

export async function findApiKeyByHash(db: Pool, hash: Buffer): Promise<ApiKeyRow | undefined> {
  const { rows } = await db.query<ApiKeyRow>(
    'SELECT id, tenant_id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE key_hash = $1',
    [hash],
  );
  return rows[0];
}

export async function listApiKeys(db: Pool, tenantId: string): Promise<ApiKeyRow[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT id, tenant_id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys
      WHERE tenant_id = $1 AND revoked_at IS NULL ORDER BY created_at, id LIMIT 1000`,
    [tenantId],
  );
  return rows;
}

/** Returns the hash of the revoked key, or undefined when the tenant has no such live key. */
export async function revokeApiKey(db: Pool, tenantId: string, id: string): Promise<Buffer | undefined> {
  const { rows } = await db.query<{ key_hash: Buffer }>(
    `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL RETURNING key_hash`,
    [id, tenantId],
  );
  return rows[0]?.key_hash;
}

export async function touchApiKey(db: Pool, id: string): Promise<void> {
  await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
}
