import type { Pool } from '../../../platform/postgres';

/** Whether the tenant has used this idempotency key, for any request. */
export async function idempotencyKeyUsed(db: Pool, tenantId: string, key: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM transfers WHERE tenant_id = $1 AND idempotency_key = $2',
    [tenantId, key],
  );
  return (rowCount ?? 0) > 0;
}
