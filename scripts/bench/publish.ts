import type { Producer } from 'kafkajs';

export interface PlannedTransfer {
  key: string;
  source: string;
  destination: string;
  amount: bigint;
}

// At most ~350 KB even if every message of a chunk lands on one partition (the broker takes 1 MB batches).
const CHUNK = 1_000;

/** Produces transfer commands straight to the commands topic, keyed by the debited account. */
export async function publishCommands(
  producer: Producer,
  topic: string,
  tenantId: string,
  plan: PlannedTransfer[],
) {
  const occurredAt = new Date().toISOString();
  for (let i = 0; i < plan.length; i += CHUNK) {
    await producer.send({
      topic,
      acks: -1,
      messages: plan.slice(i, i + CHUNK).map((t) => ({
        key: t.source,
        value: JSON.stringify({
          type: 'transfer.requested',
          version: 1,
          occurred_at: occurredAt,
          payload: {
            tenant_id: tenantId,
            idempotency_key: t.key,
            source_account_id: t.source,
            destination_account_id: t.destination,
            amount: t.amount.toString(),
            currency: 'USD',
          },
        }),
      })),
    });
  }
}
