import type { PoolClient } from '../../../platform/postgres';

export interface TenantRow {
  id: string;
  name: string;
  email: string;
  created_at: Date;
}

/**
 * Inserts a tenant, or nothing when its email is taken (tenants_email_key, in any letter case):
 * undefined then. ON CONFLICT rather than catching the unique violation keeps the caller's
 * transaction usable, and a concurrent sign-up with the same email waits for the first to commit.
 */
export async function insertTenant(
  client: PoolClient,
  tenant: { id: string; name: string; email: string },
): Promise<TenantRow | undefined> {
  const { rows } = await client.query<TenantRow>(
    `INSERT INTO tenants (id, name, email) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
     RETURNING id, name, email, created_at`,
    [tenant.id, tenant.name, tenant.email],
  );
  return rows[0];
}
