import type {
  BatchDecision,
  Decided,
  Duplicate,
  ExistingTransfer,
  HoldSnapshot,
  OriginalTransfer,
  Outcome,
} from './types';
import type { Command } from './types';
import type { TransferLegRecord } from '../../../domain/transfer-view';
import {
  decideHoldAction,
  decideNewHold,
  holdExpiry,
  holdSnapshot,
  lapsed,
  withHoldFields,
} from './decide-holds';
import { expiryCommand } from './parse-command';
import { Rejection, RunningBalances, type LedgerView } from './plan-transfer';
import { LegRejection, planAny } from './plan-split';
import { decideRefund, mayRefund, withRefundFields } from './decide-refund';

export interface BatchState extends LedgerView {
  /** Keyed by `${tenantId}\n${idempotencyKey}`. */
  existing: Map<string, ExistingTransfer>;
  /**
   * Transfer ids of the batch already on record, with the idempotency scope of the row that
   * holds each: a command bringing such an id for another scope can never be written.
   */
  transferIdOwners: Map<string, string>;
  /** The holds named by the batch's follow-ups, locked, as they stood before the batch. */
  holds?: Map<string, HoldSnapshot>;
  /** The transfers named by the batch's refunds, locked, as they stood before the batch. */
  refunds?: Map<string, OriginalTransfer>;
  now: Date;
}

export const idempotencyScope = (tenantId: string, key: string) => `${tenantId}\n${key}`;

/**
 * Decides a batch of commands in partition order, entirely in memory: deduplicates, checks
 * accounts and funds against running balances (funds on `available`: balance - held), converts
 * currencies and drafts the entries; reserves new holds and decides their captures, voids and
 * expiries against the holds as the batch leaves them (see decide-holds.ts). A follow-up naming
 * no hold of its tenant is set aside as `hold_not_found`; an expiry of a hold not open or not due
 * as `expiry_skipped` (nothing is recorded: the sweeper asks again while the hold is open). A
 * capture or void decided at or after the hold's `expires_at` first expires the hold (an expiry
 * outcome of its own, as the sweeper's would be) and is then rejected `hold_not_open`.
 * A command whose transfer id is already held by another (tenant, idempotency key), on record
 * or earlier in the batch, is a `transfer_id_conflict` duplicate: it can never be written.
 * Pure: the caller loads the state (with row locks) and writes the decision.
 * @throws LedgerInvariantError when the drafted entries of a transfer do not balance (a bug).
 */
export function decideBatch(commands: Command[], state: BatchState): BatchDecision {
  const running = new RunningBalances();
  const holds = new Map(state.holds);
  const originals = new Map(state.refunds);
  const ctx = { view: state, running, now: state.now, holds, originals };
  const seen = new Map<string, Buffer>(
    [...state.existing].filter(([, t]) => t.status !== 'pending').map(([k, t]) => [k, t.requestHash]),
  );
  const idOwners = new Map(state.transferIdOwners);
  const outcomes: Outcome[] = [];
  const duplicates: Duplicate[] = [];

  for (const received of commands) {
    let command = received;
    const scope = idempotencyScope(command.tenantId, command.idempotencyKey);
    const done = seen.get(scope);
    if (done) {
      duplicates.push({ command, kind: done.equals(command.requestHash) ? 'same' : 'conflict' });
      continue;
    }
    const pending = state.existing.get(scope);
    if (pending && !pending.requestHash.equals(command.requestHash)) {
      duplicates.push({ command, kind: 'conflict' });
      continue;
    }
    // The same request under another transfer id (a producer re-sending what the API accepted):
    // it finalises the transfer on record, whose id the client already holds.
    if (pending && pending.id !== command.transferId) command = { ...command, transferId: pending.id };
    const owner = idOwners.get(command.transferId);
    if (owner !== undefined && owner !== scope) {
      duplicates.push({ command: received, kind: 'transfer_id_conflict' });
      continue;
    }
    // A follow-up acts on the hold as the partition left it, resolved before anything is recorded.
    let hold: HoldSnapshot | undefined;
    if (command.holdId !== null) {
      hold = holds.get(command.holdId);
      if (!hold || hold.tenantId !== command.tenantId) {
        duplicates.push({ command: received, kind: 'hold_not_found' });
        continue;
      }
      if (command.kind === 'expire' && (hold.status !== 'held' || state.now < hold.hold.expiresAt)) {
        duplicates.push({ command: received, kind: 'expiry_skipped' });
        continue;
      }
      command = withHoldFields(command, hold);
      // A capture or void decided at or after the hold's expiry comes too late: the hold lapsed.
      // It is expired first, exactly as the sweeper's expiry would (which then finds it closed),
      // and the follow-up is rejected hold_not_open by decideHoldAction.
      if (lapsed(command, hold, state.now)) {
        const expiry = withHoldFields(expiryCommand(hold.tenantId, hold.id), hold);
        const expiryScope = idempotencyScope(expiry.tenantId, expiry.idempotencyKey);
        const expiryOwner = idOwners.get(expiry.transferId);
        // An open hold has no expiry on record, so its scope is free unless a producer took the
        // expiry's transfer id for a request of its own: then the hold stays reserved (the
        // sweeper's expiry is refused alike), and the follow-up is rejected all the same.
        if (!seen.has(expiryScope) && (expiryOwner === undefined || expiryOwner === expiryScope)) {
          idOwners.set(expiry.transferId, expiryScope);
          seen.set(expiryScope, expiry.requestHash);
          const decided = decideHoldAction(expiry, hold, ctx);
          outcomes.push({ command: expiry, write: 'insert', createdAt: state.now, ...decided });
          hold = holds.get(hold.id)!;
        }
      }
    }
    // A refund, likewise, acts on its original as the partition left it (see decide-refund.ts).
    let original: OriginalTransfer | undefined;
    if (command.refundOf) {
      original = originals.get(command.refundOf);
      if (!original || !mayRefund(command, original, state)) {
        duplicates.push({ command: received, kind: 'refund_of_not_found' });
        continue;
      }
      command = withRefundFields(command, original, state);
    }
    idOwners.set(command.transferId, scope);
    seen.set(scope, command.requestHash);

    const createdAt = pending?.createdAt ?? state.now;
    const base = { command, write: pending ? ('update' as const) : ('insert' as const), createdAt };
    const expiresAt = command.hold ? holdExpiry(command, createdAt, pending?.expiresAt ?? null) : null;
    try {
      let decided: Decided;
      if (original) decided = decideRefund(command, original, ctx);
      else if (hold) decided = decideHoldAction(command, hold, ctx);
      else if (expiresAt) decided = decideNewHold(command, createdAt, expiresAt, !pending?.expiresAt, ctx);
      else {
        const plan = planAny(command, state, running);
        decided = {
          status: 'committed',
          reason: null,
          ...plan.destination,
          legs: plan.splitLegs,
          entries: running.post(command.transferId, plan.legs),
          expiresAt: null,
          heldChanges: [],
          holdAfter: null,
        };
      }
      outcomes.push({ ...base, ...decided });
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      // A rejected hold is still a hold to its follow-ups later in the partition: closed (hold_not_open).
      if (expiresAt && !hold)
        holds.set(
          command.transferId,
          holdSnapshot(command, createdAt, expiresAt, 'rejected', null, state.now),
        );
      outcomes.push({
        ...base,
        status: 'rejected',
        reason: error.reason,
        destinationTenantId: null,
        destinationAmount: null,
        destinationCurrency: null,
        rate: null,
        // A rejected split keeps its legs as asked, and which of them failed.
        legs: requestedLegs(command),
        failedLeg: error instanceof LegRejection ? error.leg : null,
        entries: [],
        expiresAt,
        heldChanges: [],
        holdAfter: null,
      });
    }
  }
  return { outcomes, duplicates, balances: running.balances, held: running.held, holds };
}

/** A split's legs as requested, nothing converted. */
export function requestedLegs(c: Command): TransferLegRecord[] | null {
  return (
    c.legs?.map((l) => ({ ...l, destinationAmount: null, destinationCurrency: null, rate: null })) ?? null
  );
}
