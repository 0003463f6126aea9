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

/**
 * The batch was decided on balances read without locks; `locked` holds, per account, the balance
 * and status right after the batch's netted update, under the row lock. Other partitions may
 * have moved these accounts in between, so each entry's running balance is shifted by what the
 * base really was. That is harmless for an account this batch only credits. An account it
 * debits is debited by this partition alone, so elsewhere it can only have been credited; if
 * its base went down instead (a rebalance let two consumers work one partition, or a producer
 * keyed a command by another account), the funds checks no longer hold. The same goes for an
 * account no longer active, or a balance leaving the 64-bit range.
 * @throws StaleBalanceError
 */
export function reconcileBalances(
  outcomes: Outcome[],
  read: Map<string, AccountState>,
  deltas: Map<string, bigint>,
  locked: Map<string, { balance: bigint; status: AccountState['status'] }>,
): void {
  const debited = new Set(
    outcomes.flatMap((o) => o.entries.filter((e) => e.amount < 0n).map((e) => e.accountId)),
  );
  const shift = new Map<string, bigint>();
  for (const [id, delta] of deltas) {
    const now = locked.get(id);
    const before = read.get(id)!;
    if (!now) throw new StaleBalanceError(`account ${id} vanished`);
    if (before.kind === 'customer' && now.status !== 'active')
      throw new StaleBalanceError(`account ${id} is ${now.status}`);
    const base = now.balance - delta;
    if (before.kind === 'customer' && debited.has(id) && base < before.balance)
      throw new StaleBalanceError(`account ${id} was debited outside this batch`);
    shift.set(id, base - before.balance);
  }
  for (const o of outcomes)
    for (const e of o.entries) {
      e.balanceAfter += shift.get(e.accountId) ?? 0n;
      if (e.balanceAfter > INT64_MAX || e.balanceAfter < INT64_MIN)
        throw new StaleBalanceError(`account ${e.accountId} would leave the 64-bit range`);
    }
}
