import { encryptSecret, generateSecret } from '../../../domain/secret-box';
import { newId } from '../../../platform/ids';
import type { Pool } from '../../../platform/postgres';
import type { ApiConfig } from '../config';
import { insertEndpoint, type WebhookEndpointRow } from '../data-access/webhook-endpoints';
import { WebhookEndpointLimitReached } from '../domain/errors';

/**
 * Subscribes the tenant's URL to the given event types, with a new signing secret stored
 * encrypted (bound to the endpoint's id) and returned here in the clear, once.
 * @throws WebhookEndpointLimitReached (the tenant already has WEBHOOK_ENDPOINTS_PER_TENANT_MAX)
 */
export async function createWebhookEndpoint(
  deps: {
    pool: Pool;
    config: Pick<ApiConfig, 'WEBHOOK_SECRETS_KEY' | 'WEBHOOK_ENDPOINTS_PER_TENANT_MAX'>;
  },
  tenantId: string,
  request: { url: string; description?: string | undefined; event_types: string[] },
): Promise<{ row: WebhookEndpointRow; secret: string }> {
  const id = newId();
  const secret = generateSecret();
  const row = await insertEndpoint(
    deps.pool,
    {
      id,
      tenantId,
      url: request.url,
      description: request.description ?? '',
      eventTypes: request.event_types,
      secretEncrypted: encryptSecret(deps.config.WEBHOOK_SECRETS_KEY, id, secret),
    },
    deps.config.WEBHOOK_ENDPOINTS_PER_TENANT_MAX,
  );
  if (!row) throw new WebhookEndpointLimitReached(deps.config.WEBHOOK_ENDPOINTS_PER_TENANT_MAX);
  return { row, secret };
}
