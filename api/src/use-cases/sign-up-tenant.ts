import { newId } from '../../../platform/ids';
import { withTransaction, type Pool } from '../../../platform/postgres';
import { generateApiKey } from '../domain/api-key';
import { TenantEmailTaken } from '../domain/errors';
import { insertApiKey, type ApiKeyRow } from '../data-access/api-keys';
import { insertTenant, type TenantRow } from '../data-access/tenants';

/**
 * Signs a business up: the tenant and its first API key, named `default`, in one transaction, so
 * there is never a tenant without a key. The key itself is returned here once and stored only as
 * its hash.
 * @throws TenantEmailTaken (a tenant already has this email, in any letter case)
 */
export async function signUpTenant(
  pool: Pool,
  request: { name: string; email: string },
): Promise<{ tenant: TenantRow; apiKey: ApiKeyRow; key: string }> {
  const tenantId = newId();
  const key = generateApiKey();
  return withTransaction(pool, async (client) => {
    const tenant = await insertTenant(client, { id: tenantId, name: request.name, email: request.email });
    if (!tenant) throw new TenantEmailTaken();
    const apiKey = await insertApiKey(client, { id: newId(), tenantId, name: 'default', ...key });
    return { tenant, apiKey, key: key.key };
  });
}
