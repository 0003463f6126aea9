import type { LedgerEventV1, WebhookPayload } from '../../../contracts/src';

/** A permanent problem with an event: it is never delivered, retrying cannot help. */
export class PayloadTooLargeError extends Error {
  constructor(
    readonly eventId: string,
    readonly bytes: number,
    readonly bytesMax: number,
  ) {
    super(`the webhook body of event ${eventId} is ${bytes} bytes, above the ${bytesMax} allowed`);
  }
}

/**
 * The exact JSON body sent (and signed) for an event: `{id, type, created_at, data}`.
 * @throws PayloadTooLargeError when it exceeds bytesMax
 */
export function webhookBody(event: LedgerEventV1, bytesMax: number): string {
  const payload = {
    id: event.id,
    type: event.type,
    created_at: event.occurred_at,
    data: event.payload,
  } as WebhookPayload;
  const body = JSON.stringify(payload);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > bytesMax) throw new PayloadTooLargeError(event.id, bytes, bytesMax);
  return body;
}
