import type { LedgerEventV1 } from '../../../contracts/src';
import { newId } from '../../../platform/ids';
import type { Logger } from '../../../platform/logger';
import { withTransaction, type Pool } from '../../../platform/postgres';
import { enabledEndpointsOf, insertMessages, type NewMessage } from '../data-access/messages';
import { PayloadTooLargeError, webhookBody } from '../domain/webhook-payload';

export interface FanOutDeps {
  pool: Pool;
  logger: Logger;
  payloadBytesMax: number;
  /** Delay of the first attempt (the retry schedule's first entry), ms. */
  firstDelay_ms: number;
  /** The events topic: messages and their attempts are stamped with it (see the migration). */
  sourceTopic: string;
}

/**
 * Turns ledger events into webhook messages: one per enabled endpoint of the event's tenant that
 * subscribes to its type, each with a first attempt, all in one transaction. Idempotent: events
 * seen before add nothing. An event whose body would be too large is logged and skipped.
 * Returns how many messages were created.
 */
export async function fanOutEvents(deps: FanOutDeps, events: LedgerEventV1[]): Promise<number> {
  if (events.length === 0) return 0;
  const bodies = new Map<LedgerEventV1, string>();
  for (const event of events) {
    try {
      bodies.set(event, webhookBody(event, deps.payloadBytesMax));
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      deps.logger.error(
        { event_id: error.eventId, bytes: error.bytes },
        'webhook body too large; event not delivered',
      );
    }
  }
  return withTransaction(deps.pool, async (client) => {
    const tenantIds = [...new Set(events.map((e) => e.tenant_id))];
    const endpoints = await enabledEndpointsOf(client, tenantIds);
    if (endpoints.length === 0) return 0;
    const messages: NewMessage[] = [];
    for (const [event, body] of bodies) {
      for (const endpoint of endpoints) {
        if (endpoint.tenant_id !== event.tenant_id || !endpoint.event_types.includes(event.type)) continue;
        messages.push({
          id: newId(),
          endpointId: endpoint.id,
          eventId: event.id,
          eventType: event.type,
          body,
        });
      }
    }
    return insertMessages(client, messages, {
      sourceTopic: deps.sourceTopic,
      firstDelay_ms: deps.firstDelay_ms,
    });
  });
}
