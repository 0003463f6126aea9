import { createHash } from 'node:crypto';

/** What identifies a transfer request for idempotency: the same key must come with the same of these. */
export interface TransferRequestFields {
  kind: string;
  sourceAccountId: string | null;
  destinationAccountId: string | null;
  amount: bigint;
  /** ISO 4217; a Kafka command may name one the ledger does not support (it is then rejected). */
  currency: string;
  description: string | null;
  metadata: Record<string, string> | null;
}

/** SHA-256 over a canonical form (fixed field order, sorted metadata keys), so REST and Kafka agree. */
export function requestFingerprint(f: TransferRequestFields): Buffer {
  const metadata = f.metadata
    ? Object.keys(f.metadata)
        .sort()
        .map((k) => [k, f.metadata![k]])
    : null;
  const canonical = JSON.stringify([
    f.kind,
    f.sourceAccountId,
    f.destinationAccountId,
    f.amount.toString(),
    f.currency,
    f.description,
    metadata,
  ]);
  return createHash('sha256').update(canonical).digest();
}
