import { INT64_MAX, INT64_MIN, invertRate } from '../../../domain/money';
import {
  isRefundable,
  refundableRemaining,
  refundSourceAmount,
  withRefund,
  type RefundTotals,
} from '../../../domain/refunds';
import { LedgerInvariantError } from './errors';
import { assertBalanced, Rejection, type Leg, type LedgerView, type RunningBalances } from './plan-transfer';
import type { AccountState, Command, OriginalTransfer, Outcome } from './types';

/** What the batch knows while deciding refunds. */
export interface RefundContext {
  view: LedgerView;
  running: RunningBalances;
  /** Every transfer the batch's refunds name, as it stands: loaded (locked), then as refunds change it. */
  originals: Map<string, OriginalTransfer>;
}

/** The decided part of a refund's outcome. */
export type DecidedRefund = Pick<
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
  | 'refundAfter'
>;

/**
 * Whether a refund command may act on this transfer at all: only a tenant owning the account the
 * transfer credited may refund it. Otherwise (the payer refunding its own payment, another
 * tenant, no such transfer) the command is set aside as refund_of_not_found, all alike.
 */
export function mayRefund(c: Command, original: OriginalTransfer | undefined, view: LedgerView): boolean {
  if (!original?.destinationAccountId) return false;
  return view.accounts.get(original.destinationAccountId)?.tenantId === c.tenantId;
}

const totalsOf = (t: OriginalTransfer): RefundTotals => ({
  amount: t.amount,
  destinationAmount: t.destinationAmount ?? t.amount,
  refundedAmount: t.refunded.amount,
  refundedDestinationAmount: t.refunded.destinationAmount,
});

/**
 * A refund runs the original backwards: it debits the original destination and credits the
 * original source, in the original destination's currency. Its amount is what was asked, else
 * all that remains refundable as the partition leaves the original (decided here, in order, not
 * when the API accepted it); when nothing remains, the whole original (rejected, as more than
 * remains).
 */
export function withRefundFields(c: Command, original: OriginalTransfer): Command {
  const remaining = refundableRemaining(totalsOf(original));
  return {
    ...c,
    sourceAccountId: original.destinationAccountId,
    destinationAccountId: original.sourceAccountId,
    currency: original.destinationCurrency ?? original.currency,
    amount: c.requestedAmount ?? (remaining > 0n ? remaining : totalsOf(original).destinationAmount),
  };
}

/**
 * A refund (`c` already carries the original's fields, see withRefundFields), decided against the
 * original as the partition leaves it: only a committed transfer between two accounts; at most
 * what remains refundable (so refunds racing each other, on one partition, are capped in order);
 * both accounts usable (the payer's status is told only to its own tenant, like any payee's); the
 * refunder's available funds. Cross-currency refunds convert at the original's recorded rate,
 * prorated cumulatively (domain/refunds.ts). `ctx.originals` holds the original's new totals.
 * @throws Rejection not_refundable, refund_exceeds_original, account_not_found, account_frozen,
 *   account_closed, insufficient_funds, amount_out_of_range
 */
export function decideRefund(c: Command, original: OriginalTransfer, ctx: RefundContext): DecidedRefund {
  if (!isRefundable(original)) throw new Rejection('not_refundable');
  const totals = totalsOf(original);
  const remaining = refundableRemaining(totals);
  if (c.amount <= 0n || c.amount > remaining) throw new Rejection('refund_exceeds_original');

  const refunder = customer(ctx.view, c.sourceAccountId!);
  const payer = customer(ctx.view, c.destinationAccountId!);
  for (const account of [refunder, payer]) {
    if (account.status === 'active') continue;
    if (account.tenantId !== c.tenantId) throw new Rejection('account_not_found');
    throw new Rejection(account.status === 'frozen' ? 'account_frozen' : 'account_closed');
  }
  // `available` (balance - held): money reserved by the refunder's open holds is not its to give.
  if (ctx.running.availableOf(refunder) < c.amount) throw new Rejection('insufficient_funds');

  const given = refundSourceAmount(totals, c.amount);
  const crossCurrency = refunder.currency !== payer.currency;
  const system = (currency: AccountState['currency']) => {
    const account = ctx.view.accounts.get(ctx.view.systemAccountId(c.tenantId, 'fx_house', currency));
    if (!account)
      throw new LedgerInvariantError(`fx_house ${currency} of tenant ${c.tenantId} was not loaded`);
    return account;
  };
  const legs: Leg[] = (
    crossCurrency
      ? [
          { account: refunder, amount: -c.amount },
          { account: system(refunder.currency), amount: c.amount },
          { account: system(payer.currency), amount: -given },
          { account: payer, amount: given },
        ]
      : [
          { account: refunder, amount: -c.amount },
          { account: payer, amount: given },
        ]
  ).filter((leg) => leg.amount !== 0n); // a sub-unit share of the source side moves nothing there
  for (const leg of legs) {
    const after = ctx.running.balanceOf(leg.account) + leg.amount;
    if (after > INT64_MAX || after < INT64_MIN) throw new Rejection('amount_out_of_range');
  }
  assertBalanced(c.transferId, legs);

  const after = withRefund(totals, c.amount, given);
  const refundAfter: OriginalTransfer = {
    ...original,
    refunded: { amount: after.refundedAmount, destinationAmount: after.refundedDestinationAmount },
  };
  ctx.originals.set(original.id, refundAfter);
  return {
    status: 'committed',
    reason: null,
    destinationTenantId: payer.tenantId,
    destinationAmount: given,
    destinationCurrency: payer.currency,
    rate: crossCurrency && original.rate ? invertRate(original.rate) : null,
    entries: ctx.running.post(c.transferId, legs),
    expiresAt: null,
    heldChanges: [],
    holdAfter: null,
    refundAfter,
  };
}

function customer(view: LedgerView, id: string): AccountState {
  const account = view.accounts.get(id);
  if (!account || account.kind !== 'customer') throw new Rejection('account_not_found');
  return account;
}
