import type { CurrencyCode, RejectionReason } from '../contracts/src';
import { rateOf } from './money';
import type { TransferLegRecord, TransferRecord } from './transfer-view';

/**
 * A `transfers` row as every service reads it (the TRANSFER_COLUMNS below), and how it becomes
 * a TransferRecord: one shape for the API's reads and the processor's (a refund's original).
 */
export interface TransferRow {
  id: string;
  tenant_id: string;
  kind: TransferRecord['kind'];
  source_account_id: string | null;
  destination_account_id: string | null;
  destination_tenant_id: string | null;
  amount: string;
  currency: CurrencyCode;
  destination_amount: string | null;
  destination_currency: CurrencyCode | null;
  rate_numerator: string | null;
  rate_denominator: string | null;
  description: string | null;
  metadata: Record<string, string> | null;
  status: TransferRecord['status'];
  reason: RejectionReason | null;
  created_at: Date;
  finalized_at: Date | null;
  expires_at: Date | null;
  hold_id: string | null;
  captured_amount: string | null;
  released_amount: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  refund_of: string | null;
  refunded_amount: string;
  refunded_destination_amount: string;
  failed_leg: number | null;
  refund_leg: number | null;
}

// An amount beyond BIGINT (a Kafka command rejected amount_out_of_range) is in amount_as_sent:
// migrations/0008_amounts_beyond_bigint.sql.
export const TRANSFER_COLUMNS = `id, tenant_id, kind, source_account_id, destination_account_id, destination_tenant_id,
  coalesce(amount::text, amount_as_sent::text) AS amount, currency, destination_amount,
  destination_currency, rate_numerator, rate_denominator, description, metadata, status, reason, created_at, finalized_at,
  expires_at, hold_id, captured_amount, released_amount, resolved_by, resolved_at,
  refund_of, refunded_amount, refunded_destination_amount, failed_leg, refund_leg`;

/** A transfer_legs row (migrations/0013_split_transfers.sql). */
export interface LegRow {
  transfer_id: string;
  position: number;
  destination_account_id: string;
  amount: string;
  destination_amount: string | null;
  destination_currency: CurrencyCode | null;
  rate_numerator: string | null;
  rate_denominator: string | null;
  destination_tenant_id: string | null;
  refunded_amount: string;
  refunded_destination_amount: string;
}

export const LEG_COLUMNS = `transfer_id, position, destination_account_id, amount, destination_amount, destination_currency,
  rate_numerator, rate_denominator, destination_tenant_id, refunded_amount, refunded_destination_amount`;

/** Leg rows (in position order) by transfer. */
export function legsByTransfer(rows: readonly LegRow[]): Map<string, TransferLegRecord[]> {
  const byTransfer = new Map<string, TransferLegRecord[]>();
  for (const r of rows) {
    const list = byTransfer.get(r.transfer_id) ?? [];
    list.push({
      index: r.position,
      destinationTenantId: r.destination_tenant_id,
      refunded: {
        amount: BigInt(r.refunded_amount),
        destinationAmount: BigInt(r.refunded_destination_amount),
      },
      destinationAccountId: r.destination_account_id,
      amount: BigInt(r.amount),
      destinationAmount: r.destination_amount === null ? null : BigInt(r.destination_amount),
      destinationCurrency: r.destination_currency,
      rate: rateOfRow(r),
    });
    byTransfer.set(r.transfer_id, list);
  }
  return byTransfer;
}

/** An entry row (transfer_id, account_id, amount, currency), in id order. */
export interface EntryRow {
  transfer_id: string;
  account_id: string;
  amount: string;
  currency: CurrencyCode;
}

/** Entry rows by transfer, in the order given. */
export function entriesByTransfer(rows: readonly EntryRow[]): Map<string, TransferRecord['entries']> {
  const byTransfer = new Map<string, TransferRecord['entries']>();
  for (const r of rows) {
    const list = byTransfer.get(r.transfer_id) ?? [];
    list.push({ accountId: r.account_id, amount: BigInt(r.amount), currency: r.currency });
    byTransfer.set(r.transfer_id, list);
  }
  return byTransfer;
}

/** A row read from the table always has its refunded totals (0 until a refund), unlike a view built elsewhere. */
export type StoredTransfer = TransferRecord & { refunded: NonNullable<TransferRecord['refunded']> };

export function toTransferRecord(
  r: TransferRow,
  entries: TransferRecord['entries'],
  legs: TransferLegRecord[] | null = null,
): StoredTransfer {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    kind: r.kind,
    holdId: r.hold_id,
    refundOf: r.refund_of,
    refundLeg: r.refund_leg,
    refunded: {
      amount: BigInt(r.refunded_amount),
      destinationAmount: BigInt(r.refunded_destination_amount),
    },
    hold: r.expires_at
      ? {
          expiresAt: r.expires_at,
          capturedAmount: r.captured_amount === null ? null : BigInt(r.captured_amount),
          releasedAmount: r.released_amount === null ? null : BigInt(r.released_amount),
          resolvedBy: r.resolved_by,
          resolvedAt: r.resolved_at,
        }
      : null,
    sourceAccountId: r.source_account_id,
    destinationAccountId: r.destination_account_id,
    destinationTenantId: r.destination_tenant_id,
    amount: BigInt(r.amount),
    currency: r.currency,
    destinationAmount: r.destination_amount === null ? null : BigInt(r.destination_amount),
    destinationCurrency: r.destination_currency,
    rate: rateOfRow(r),
    description: r.description,
    metadata: r.metadata,
    status: r.status,
    reason: r.reason,
    legs,
    failedLeg: r.failed_leg,
    createdAt: r.created_at,
    finalizedAt: r.finalized_at,
    entries,
  };
}

/** The exact rate a row records (numerator / denominator), or null within one currency or before it is set. */
function rateOfRow(r: { rate_numerator: string | null; rate_denominator: string | null }) {
  return r.rate_numerator && r.rate_denominator
    ? rateOf(BigInt(r.rate_numerator), BigInt(r.rate_denominator))
    : null;
}
