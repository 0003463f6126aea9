import type { PoolClient } from '../platform/postgres';

/**
 * What disabling a webhook endpoint does to its pending work, whoever disables it (a tenant
 * through the API, or the dispatcher on a 410 or after days of failure): its scheduled attempts
 * are cancelled and its pending messages fail, so they can be recovered once it is enabled again.
 * Run in the transaction that disables the endpoint.
 */
export async function cancelPendingDeliveries(client: PoolClient, endpointId: string): Promise<void> {
  await client.query(
    `UPDATE webhook_attempts SET status = 'cancelled', finished_at = now(), lease_until = NULL, error = 'endpoint disabled'
      WHERE endpoint_id = $1 AND status = 'scheduled'`,
    [endpointId],
  );
  await client.query(
    `UPDATE webhook_messages SET status = 'failed', updated_at = now() WHERE endpoint_id = $1 AND status = 'pending'`,
    [endpointId],
  );
}
