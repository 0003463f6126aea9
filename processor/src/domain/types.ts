import type { CurrencyCode, RejectionReason, TransferCommandPayloadV1 } from '../../../contracts/src';
import type { TransferRequestFields } from '../../../domain/fingerprint';
import type { Rate } from '../../../domain/money';

/** A command that passed parsing: money as bigint, ids resolved. */
export interface Command extends TransferRequestFields {
  transferId: string;
  tenantId: string;
  idempotencyKey: string;
  requestHash: Buffer;
  kind: TransferCommandPayloadV1['kind'];
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
}

/** A transfer already on record for a (tenant, idempotency key). */
export interface ExistingTransfer {
  id: string;
  status: 'pending' | 'committed' | 'rejected';
  requestHash: Buffer;
  createdAt: Date;
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
  status: 'committed' | 'rejected';
  reason: RejectionReason | null;
  destinationTenantId: string | null;
  destinationAmount: bigint | null;
  destinationCurrency: CurrencyCode | null;
  rate: Rate | null;
  entries: EntryDraft[];
}

export interface Duplicate {
  command: Command;
  /**
   * same: an exact redelivery, nothing to do; conflict: the key was used with another request;
   * transfer_id_conflict: the command's transfer id is held by another (tenant, key).
   */
  kind: 'same' | 'conflict' | 'transfer_id_conflict';
}

export interface BatchDecision {
  outcomes: Outcome[];
  duplicates: Duplicate[];
  /** Final balance of every account an entry touched. */
  balances: Map<string, bigint>;
}
