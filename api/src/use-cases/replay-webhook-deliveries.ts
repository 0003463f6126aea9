import type { Pool } from '../../../platform/postgres';
import { recoverFailedMessages, retryOwnMessage } from '../data-access/webhook-deliveries';
import { findOwnEndpoint } from '../data-access/webhook-endpoints';
import { ResourceNotFound, WebhookDeliveryInProgress, WebhookEndpointDisabled } from '../domain/errors';

/**
 * Schedules one more round of attempts of one of the tenant's deliveries, due now.
 * @throws ResourceNotFound (no such delivery, or another tenant's), WebhookEndpointDisabled (its
 *   endpoint is disabled: enable it first), WebhookDeliveryInProgress (an attempt is scheduled)
 */
export async function retryDelivery(pool: Pool, tenantId: string, deliveryId: string): Promise<void> {
  const { refused } = await retryOwnMessage(pool, tenantId, deliveryId);
  switch (refused) {
    case undefined:
      return;
    case 'not_found':
      throw new ResourceNotFound('webhook delivery', deliveryId);
    case 'endpoint_disabled':
      throw new WebhookEndpointDisabled('retry');
    case 'in_progress':
      throw new WebhookDeliveryInProgress(deliveryId);
  }
}

/**
 * Schedules a new round for the endpoint's failed deliveries created since `since`, at most
 * `max` of them. Returns how many.
 * @throws ResourceNotFound (no such endpoint, or another tenant's), WebhookEndpointDisabled
 */
export async function recoverDeliveries(
  pool: Pool,
  tenantId: string,
  endpointId: string,
  since: string,
  max: number,
): Promise<number> {
  const endpoint = await findOwnEndpoint(pool, tenantId, endpointId);
  if (!endpoint) throw new ResourceNotFound('webhook endpoint', endpointId);
  if (endpoint.status !== 'enabled') throw new WebhookEndpointDisabled('recover');
  return recoverFailedMessages(pool, endpointId, since, max);
}
