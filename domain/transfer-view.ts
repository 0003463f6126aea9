import type { CurrencyCode, RejectionReason, Transfer } from '../contracts/src';
import { REJECTION_REASONS } from '../contracts/src';
import { formatRate, type Rate } from './money';
import { isRefundable } from './refunds';

/** The reservation of a hold: open until resolved (captured + released = amount then). */
export interface HoldRecord {
  expiresAt: Date;
  capturedAmount: bigint | null;
  releasedAmount: bigint | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
}

/** One destination of a split transfer; the converted side is known once it committed. */
export interface TransferLegRecord {
  destinationAccountId: string;
  amount: bigint;
  destinationAmount: bigint | null;
  destinationCurrency: CurrencyCode | null;
  rate: Rate | null;
  /** Its index in the split's legs (absent: its position in the list, nothing redacted). */
  index?: number;
  /** The owner of the destination, once the split was decided held or committed (it may read the split). */
  destinationTenantId?: string | null;
  /** What this leg's refunds gave back to the source (in the split's currency) and took from its destination. */
  refunded?: { amount: bigint; destinationAmount: bigint } | null;
}

/** A transfer as the ledger holds it; money as bigint. Mapped to the wire shape by toTransferView. */
export interface TransferRecord {
  id: string;
  tenantId: string;
  kind: Transfer['kind'];
  /** Follow-ups (capture, void, expire): the hold they act on. */
  holdId: string | null;
  /** Holds (manual capture) only. */
  hold: HoldRecord | null;
  /** Refunds: the transfer refunded. */
  refundOf?: string | null;
  /** Refunds of a split: the index of the leg refunded. */
  refundLeg?: number | null;
  /** Refundable transfers: what their refunds gave back so far (absent: nothing yet). */
  refunded?: { amount: bigint; destinationAmount: bigint } | null;
  sourceAccountId: string | null;
  destinationAccountId: string | null;
  /** The payee tenant, once decided: it may read the transfer (absent where not read from the table). */
  destinationTenantId?: string | null;
  amount: bigint;
  /** Unsupported only on a transfer rejected with unsupported_currency. */
  currency: string;
  destinationAmount: bigint | null;
  destinationCurrency: CurrencyCode | null;
  rate: Rate | null;
  description: string | null;
  metadata: Record<string, string> | null;
  status: Transfer['status'];
  reason: RejectionReason | null;
  /** Split transfers: the destinations in request order (absent or null otherwise). */
  legs?: TransferLegRecord[] | null;
  /** A rejected split: the index of the leg that failed, when the reason was one leg's. */
  failedLeg?: number | null;
  createdAt: Date;
  finalizedAt: Date | null;
  /** Signed: negative debits, positive credits. */
  entries: Array<{ accountId: string; amount: bigint; currency: CurrencyCode }>;
}

export function toTransferView(t: TransferRecord): Transfer {
  const refundable = isRefundable(t);
  return {
    id: t.id,
    status: t.status,
    kind: t.kind,
    capture: t.hold ? 'manual' : 'automatic',
    hold_id: t.holdId,
    hold: t.hold
      ? {
          expires_at: t.hold.expiresAt.toISOString(),
          held_amount: t.amount.toString(),
          captured_amount: t.hold.capturedAmount?.toString() ?? null,
          released_amount: t.hold.releasedAmount?.toString() ?? null,
          resolved_by: t.hold.resolvedBy,
          resolved_at: t.hold.resolvedAt?.toISOString() ?? null,
        }
      : null,
    ...refundFields(t, refundable),
    source_account_id: t.sourceAccountId,
    destination_account_id: t.destinationAccountId,
    amount: t.amount.toString(),
    currency: t.currency,
    destination_amount: t.destinationAmount?.toString() ?? null,
    destination_currency: t.destinationCurrency,
    rate: t.rate ? formatRate(t.rate) : null,
    description: t.description,
    metadata: t.metadata,
    reason: t.reason ? { code: t.reason, message: REJECTION_REASONS[t.reason] } : null,
    legs:
      t.legs?.map((l, position) => ({
        index: l.index ?? position,
        destination_account_id: l.destinationAccountId,
        amount: l.amount.toString(),
        destination_amount: l.destinationAmount?.toString() ?? null,
        destination_currency: l.destinationCurrency,
        rate: l.rate ? formatRate(l.rate) : null,
        refunded_amount: refundable ? (l.refunded?.amount ?? 0n).toString() : null,
        refunded_destination_amount: refundable ? (l.refunded?.destinationAmount ?? 0n).toString() : null,
      })) ?? null,
    failed_leg: t.failedLeg ?? null,
    entries: t.entries.map((e) => ({
      account_id: e.accountId,
      direction: e.amount < 0n ? 'debit' : 'credit',
      amount: (e.amount < 0n ? -e.amount : e.amount).toString(),
      currency: e.currency,
    })),
    created_at: t.createdAt.toISOString(),
    finalized_at: t.finalizedAt?.toISOString() ?? null,
  };
}

/**
 * A refund's link (and leg), and a refundable transfer's refunded totals ("0" until its first
 * refund). A split's totals are its legs': the source side summed (one currency), the destination
 * side per leg only (legs may be in several currencies, as `destination_amount` is null on a split).
 */
function refundFields(t: TransferRecord, refundable: boolean) {
  const given = t.legs
    ? t.legs.reduce((sum, l) => sum + (l.refunded?.amount ?? 0n), 0n)
    : (t.refunded?.amount ?? 0n);
  return {
    refund_of: t.refundOf ?? null,
    refund_leg: t.refundLeg ?? null,
    refunded_amount: refundable ? given.toString() : null,
    refunded_destination_amount:
      refundable && !t.legs ? (t.refunded?.destinationAmount ?? 0n).toString() : null,
  };
}
