import type { CurrencyCode, RejectionReason, TransferRecordKind } from '../../../contracts/src';
import type { TransferRequestFields } from '../../../domain/fingerprint';
import type { Rate } from '../../../domain/money';
import type { TransferLegRecord, TransferRecord } from '../../../domain/transfer-view';
import type { StoredTransfer } from '../../../domain/transfer-rows';

/** A command that passed parsing: money as bigint, ids resolved. */
export interface Command extends TransferRequestFields {
  transferId: string;
  tenantId: string;
  idempotencyKey: string;
  requestHash: Buffer;
  /**
   * transfer / deposit / withdrawal (a hold when `hold` is set), or a follow-up of a hold
   * (capture, void, expire: `holdId`), whose accounts, currency and amount are the hold's,
   * filled in when it is decided.
   */
  kind: TransferRecordKind;
  /** Follow-ups: the hold acted on. */
  holdId: string | null;
  /** Captures: the amount asked for; null for the whole hold (and for void / expire). */
  requestedAmount: bigint | null;
  /** Refunds: the transfer refunded (its accounts, swapped, and currency are filled in when decided). */
  refundOf?: string | null;
  /** Refunds of a split: the leg asked for (null: the only one the tenant owns), resolved when decided. */
  refundLeg?: number | null;
}

/**
 * The W3C traceparent of the span that commits a command, when tracing is on: the events it
 * produces carry it through the outbox, so they join the transfer's trace. Tracing is the entry
 * point's concern, so it travels beside the commands rather than on them.
 */
export type TraceparentOf = (command: Command) => string | undefined;

export const UNTRACED: TraceparentOf = () => undefined;

export type AccountKind = 'customer' | 'world' | 'fx_house';

export interface AccountState {
  id: string;
  tenantId: string;
  kind: AccountKind;
  currency: CurrencyCode;
  status: 'active' | 'frozen' | 'closed';
  balance: bigint;
  /** Reserved by open holds; available = balance - held. */
  held: bigint;
}

/**
 * A hold as it stands: its transfer (kind transfer or withdrawal, `hold` set, no entries) with
 * status pending (not decided yet), rejected, held (open), captured, voided or expired.
 */
export type HoldSnapshot = TransferRecord & { hold: NonNullable<TransferRecord['hold']> };

/** A transfer already on record for a (tenant, idempotency key). */
export interface ExistingTransfer {
  id: string;
  status: TransferRecord['status'];
  requestHash: Buffer;
  createdAt: Date;
  /** A hold's expiry, as the API recorded it when it accepted the hold. */
  expiresAt: Date | null;
}

export interface EntryDraft {
  transferId: string;
  accountId: string;
  currency: CurrencyCode;
  /** Signed: negative debits. */
  amount: bigint;
  balanceAfter: bigint;
}

export interface Outcome {
  command: Command;
  /** insert: a new transfer row; update: finalises the pending row the API wrote. */
  write: 'insert' | 'update';
  createdAt: Date;
  /** held: a new hold, reserved and open. A follow-up that commits is 'committed'. */
  status: 'committed' | 'rejected' | 'held';
  reason: RejectionReason | null;
  destinationTenantId: string | null;
  destinationAmount: bigint | null;
  destinationCurrency: CurrencyCode | null;
  rate: Rate | null;
  /** Split transfers (and captures of split holds): the legs, converted when committed. */
  legs?: TransferLegRecord[] | null;
  /** A rejected split: the index of the leg that failed, when the reason was one leg's. */
  failedLeg?: number | null;
  entries: EntryDraft[];
  /** Holds (manual capture), held or rejected: when the reservation lapses. */
  expiresAt: Date | null;
  /** Signed changes to accounts' `held`: + by a new hold, - by its capture, void or expiry. */
  heldChanges: Array<{ accountId: string; amount: bigint }>;
  /** Committed follow-ups: the hold after this one closed it (its new status, amounts, resolver). */
  holdAfter: HoldSnapshot | null;
  /** Committed refunds: the original transfer with this refund counted in its refunded totals. */
  refundAfter?: OriginalTransfer | null;
}

/** The decided part of an outcome, as the deciders of holds, their follow-ups and refunds give it. */
export type Decided = Pick<
  Outcome,
  | 'status'
  | 'reason'
  | 'destinationTenantId'
  | 'destinationAmount'
  | 'destinationCurrency'
  | 'rate'
  | 'entries'
  | 'expiresAt'
  | 'heldChanges'
  | 'holdAfter'
  | 'legs'
  | 'refundAfter'
>;

/** A transfer named by refunds, as it stands (locked by the batch), with its refunded totals. */
export type OriginalTransfer = StoredTransfer;

export interface Duplicate {
  command: Command;
  /**
   * same: an exact redelivery, nothing to do; conflict: the key was used with another request;
   * transfer_id_conflict: the command's transfer id is held by another (tenant, key);
   * hold_not_found: a follow-up naming no hold of its tenant; refund_of_not_found: a refund
   * naming no transfer into an account of its tenant; expiry_skipped: an expiry of a
   * hold that is no longer open or not due yet (nothing to do, nothing recorded).
   */
  kind:
    | 'same'
    | 'conflict'
    | 'transfer_id_conflict'
    | 'hold_not_found'
    | 'expiry_skipped'
    | 'refund_of_not_found';
}

export interface BatchDecision {
  outcomes: Outcome[];
  duplicates: Duplicate[];
  /** Final balance of every account an entry touched. */
  balances: Map<string, bigint>;
  /** Final held amount of every account a hold, capture, void or expiry touched. */
  held: Map<string, bigint>;
  /** Every hold the batch knew, as the batch leaves it (loaded ones and new ones). */
  holds: Map<string, HoldSnapshot>;
}
