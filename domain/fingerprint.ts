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
  /** Holds only: the expiry as requested (ISO 8601 in UTC, ms), null for the default. */
  hold?: { expiresAt: string | null } | null;
  /** Split transfers only: the destinations in request order (`amount` is then their sum). */
  legs?: SplitLeg[] | null;
}

/** One destination of a split transfer: its account and what the source pays it, in `currency`. */
export interface SplitLeg {
  destinationAccountId: string;
  amount: bigint;
}

/** SHA-256 over a canonical form (fixed field order, sorted metadata keys), so REST and Kafka agree. */
export function requestFingerprint(f: TransferRequestFields): Buffer {
  const metadata = f.metadata
    ? Object.keys(f.metadata)
        .sort()
        .map((k) => [k, f.metadata![k]])
    : null;
  const fields: unknown[] = [
    f.kind,
    f.sourceAccountId,
    f.destinationAccountId,
    f.amount.toString(),
    f.currency,
    f.description,
    metadata,
  ];
  // Appended only for holds, so every fingerprint recorded before holds existed stays the same.
  if (f.hold) fields.push('manual', f.hold.expiresAt);
  // Likewise only for splits, tagged, so no plain transfer's fingerprint changes or collides.
  if (f.legs)
    fields.push(
      'legs',
      f.legs.map((l) => [l.destinationAccountId, l.amount.toString()]),
    );
  return createHash('sha256').update(JSON.stringify(fields)).digest();
}

/**
 * The fingerprint of a hold's follow-up (capture, void, expire): what it does to which hold, and
 * the capture amount as asked (null: the whole hold). Its own tag, so it never equals a transfer's.
 */
export function holdActionFingerprint(kind: string, holdId: string, amount: bigint | null): Buffer {
  const canonical = JSON.stringify(['hold-action', kind, holdId, amount?.toString() ?? null]);
  return createHash('sha256').update(canonical).digest();
}

/** A requested expiry in the one form both REST and Kafka fingerprint it in. */
export const canonicalInstant = (value: string): string => new Date(value).toISOString();
