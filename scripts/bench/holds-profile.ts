import type { Producer } from 'kafkajs';
import type { TransferCommandV1 } from '../../contracts/src';
import { deriveTransferId } from '../../platform/ids';
import type { PlannedTransfer } from './publish';

// The same chunking as publish.ts: well under the broker's 1 MB batches.
const CHUNK = 1_000;

/**
 * Profile 7's two-phase load: for each planned transfer, a hold (capture manual) and, right
 * after it on the same partition (both keyed by the source), a capture of half of it. The hold's
 * id is the one the processor derives from its idempotency key, so the capture can name it up
 * front; the capture's key (`<hold key>.c`) falls in the same profile range as the hold's.
 * Returns how many commands it published (two per planned transfer).
 */
export async function publishHoldsAndCaptures(
  producer: Producer,
  topic: string,
  tenantId: string,
  plan: PlannedTransfer[],
): Promise<number> {
  const occurred_at = new Date().toISOString();
  const messages = plan.flatMap((t) => {
    const hold: TransferCommandV1 = {
      type: 'transfer.requested',
      version: 1,
      occurred_at,
      payload: {
        tenant_id: tenantId,
        idempotency_key: t.key,
        kind: 'transfer',
        source_account_id: t.source,
        destination_account_id: t.destination,
        amount: t.amount.toString(),
        currency: 'USD',
        capture: 'manual',
      },
    };
    const capture: TransferCommandV1 = {
      type: 'transfer.capture',
      version: 1,
      occurred_at,
      payload: {
        tenant_id: tenantId,
        idempotency_key: `${t.key}.c`,
        hold_id: deriveTransferId(tenantId, t.key),
        amount: (t.amount / 2n > 0n ? t.amount / 2n : 1n).toString(),
      },
    };
    return [hold, capture].map((c) => ({ key: t.source, value: JSON.stringify(c) }));
  });
  for (let i = 0; i < messages.length; i += CHUNK)
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + CHUNK) });
  return messages.length;
}
