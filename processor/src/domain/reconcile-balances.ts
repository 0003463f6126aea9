import { INT64_MAX, INT64_MIN } from '../../../domain/money';
import type { AccountState, Outcome } from './types';

/** The balances a batch was decided on moved before its row locks were taken; decide again. */
export class StaleBalanceError extends Error {
  readonly code = 'stale_balance';
}

/**
 * Net balance change per account of the committed outcomes: one row update each, however many
 * transfers moved the account.
 */
export function netDeltas(outcomes: Outcome[]): Map<string, bigint> {
  const deltas = new Map<string, bigint>();
  for (const o of outcomes)
    for (const e of o.entries) deltas.set(e.accountId, (deltas.get(e.accountId) ?? 0n) + e.amount);
  return deltas;
}

/** Net change of `held` per account of the outcomes (holds, captures, voids, expiries). */
export function netHeldDeltas(outcomes: Outcome[]): Map<string, bigint> {
  const deltas = new Map<string, bigint>();
  for (const o of outcomes)
    for (const h of o.heldChanges) deltas.set(h.accountId, (deltas.get(h.accountId) ?? 0n) + h.amount);
  return deltas;
}

export interface LockedAccount {
  balance: bigint;
  held: bigint;
  status: AccountState['status'];
}

/**
 * The batch was decided on balances read without locks; `locked` holds, per account, the balance,
 * held amount and status right after the batch's netted update, under the row lock. Other partitions may
 * have moved these accounts in between, so each entry's running balance is shifted by what the
 * base really was. That is harmless for an account this batch only credits. An account it
 * debits is debited by this partition alone, so elsewhere it can only have been credited; if
 * its base went down instead (a rebalance let two consumers work one partition, or a producer
 * keyed a command by another account), the funds checks no longer hold. The same goes for an
 * account no longer active, or a balance leaving the 64-bit range. Holds are placed, captured,
 * voided and expired by the same partition as the debits of their account: the same goes for
 * its `held` amount, and so for `available` (balance - held), on which funds are checked. An
 * account whose hold is only released may have been frozen meanwhile: releasing needs no status.
 * @throws StaleBalanceError
 */
export function reconcileBalances(
  outcomes: Outcome[],
  read: Map<string, AccountState>,
  deltas: Map<string, bigint>,
  locked: Map<string, LockedAccount>,
  heldDeltas: Map<string, bigint> = new Map(),
): void {
  // Accounts a funds check of this batch relied on: debited, or newly held.
  const drawn = new Set(
    outcomes.flatMap((o) => [
      ...o.entries.filter((e) => e.amount < 0n).map((e) => e.accountId),
      ...o.heldChanges.filter((h) => h.amount > 0n).map((h) => h.accountId),
    ]),
  );
  const shift = new Map<string, bigint>();
  for (const id of new Set([...deltas.keys(), ...heldDeltas.keys()])) {
    const delta = deltas.get(id) ?? 0n;
    const heldDelta = heldDeltas.get(id) ?? 0n;
    const now = locked.get(id);
    const before = read.get(id)!;
    if (!now) throw new StaleBalanceError(`account ${id} vanished`);
    const statusMatters = deltas.has(id) || drawn.has(id);
    if (before.kind === 'customer' && statusMatters && now.status !== 'active')
      throw new StaleBalanceError(`account ${id} is ${now.status}`);
    const base = now.balance - delta;
    const baseHeld = now.held - heldDelta;
    if (
      before.kind === 'customer' &&
      drawn.has(id) &&
      (base < before.balance || base - baseHeld < before.balance - before.held)
    )
      throw new StaleBalanceError(`account ${id} was debited or held outside this batch`);
    shift.set(id, base - before.balance);
  }
  for (const o of outcomes)
    for (const e of o.entries) {
      e.balanceAfter += shift.get(e.accountId) ?? 0n;
      if (e.balanceAfter > INT64_MAX || e.balanceAfter < INT64_MIN)
        throw new StaleBalanceError(`account ${e.accountId} would leave the 64-bit range`);
    }
}
