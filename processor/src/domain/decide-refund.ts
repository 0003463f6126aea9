import { INT64_MAX, INT64_MIN, invertRate } from '../../../domain/money';
import {
  isRefundable,
  legTotals,
  REFUNDABLE_KINDS,
  refundableRemaining,
  refundSourceAmount,
  resolveRefundLeg,
  withRefund,
  type RefundTotals,
} from '../../../domain/refunds';
import { LedgerInvariantError } from './errors';
import { assertBalanced, Rejection, type Leg, type LedgerView, type RunningBalances } from './plan-transfer';
import type { AccountState, Command, Decided, OriginalTransfer } from './types';

/** What the batch knows while deciding refunds. */
export interface RefundContext {
  view: LedgerView;
  running: RunningBalances;
  /** Every transfer the batch's refunds name, as it stands: loaded (locked), then as refunds change it. */
  originals: Map<string, OriginalTransfer>;
}

/**
 * Whether a refund command may name this transfer at all, as the API decides it for a REST
 * refund (api/src/use-cases/refund-transfer.ts): the tenant can read it (its own; one whose payee
 * it was recorded as; a split with a leg recorded as paying it: what the API's reads allow) and,
 * when it is of a refundable kind, is its payee (owns its destination, or a leg's). Otherwise (no
 * such transfer, another tenant's, the payer refunding its own payment to another business, a
 * payment to it not decided yet or rejected) the command is set aside as refund_of_not_found, all
 * alike. What passes may still be rejected with a reason the tenant may know (not_refundable: its
 * own deposit or withdrawal, a hold it was paid by, ...).
 */
export function mayRefund(c: Command, original: OriginalTransfer | undefined, view: LedgerView): boolean {
  if (!original) return false;
  const readable =
    original.tenantId === c.tenantId ||
    original.destinationTenantId === c.tenantId ||
    (original.legs ?? []).some((l) => l.destinationTenantId === c.tenantId);
  if (!readable) return false;
  const payee = ownedLegs(c, original, view).length > 0 || ownsDestination(c, original, view);
  return !REFUNDABLE_KINDS.includes(original.kind) || payee;
}

const ownsDestination = (c: Command, original: OriginalTransfer, view: LedgerView) =>
  original.destinationAccountId !== null &&
  view.accounts.get(original.destinationAccountId)?.tenantId === c.tenantId;

/** The indexes of the split's legs whose destination the command's tenant owns (none: no split). */
function ownedLegs(c: Command, original: OriginalTransfer, view: LedgerView): number[] {
  return (original.legs ?? []).flatMap((leg, position) =>
    view.accounts.get(leg.destinationAccountId)?.tenantId === c.tenantId ? [leg.index ?? position] : [],
  );
}

/** The leg a refund of a split acts on, or why none (see resolveRefundLeg); undefined: no split. */
function refundedLeg(c: Command, original: OriginalTransfer, view: LedgerView) {
  if (!original.legs) return undefined;
  const resolved = resolveRefundLeg(ownedLegs(c, original, view), c.refundLeg ?? null);
  if ('problem' in resolved) return resolved;
  const leg = original.legs.find((l, position) => (l.index ?? position) === resolved.leg);
  if (!leg) throw new LedgerInvariantError(`leg ${resolved.leg} of ${original.id} was not loaded`);
  return { index: resolved.leg, leg };
}

const totalsOf = (t: OriginalTransfer): RefundTotals => ({
  amount: t.amount,
  destinationAmount: t.destinationAmount ?? t.amount,
  refundedAmount: t.refunded.amount,
  refundedDestinationAmount: t.refunded.destinationAmount,
});

/**
 * A refund runs the original backwards: it debits the original destination (a split's: the
 * refunded leg's) and credits the original source, in that destination's currency. Its amount is
 * what was asked, else all that remains refundable (of the leg) as the partition leaves the
 * original (decided here, in order, not when the API accepted it); when nothing remains, the
 * whole original (leg) (rejected, as more than remains). A split's refund whose leg cannot be
 * told (see decideRefund) keeps the leg as asked, with the split's currency and amount.
 */
export function withRefundFields(c: Command, original: OriginalTransfer, view: LedgerView): Command {
  const refunded = refundedLeg(c, original, view);
  if (refunded && 'problem' in refunded)
    return {
      ...c,
      sourceAccountId: null,
      destinationAccountId: original.sourceAccountId,
      currency: original.currency,
      amount: c.requestedAmount ?? original.amount,
    };
  const totals = refunded ? legTotals(refunded.leg) : totalsOf(original);
  const remaining = refundableRemaining(totals);
  return {
    ...c,
    sourceAccountId: refunded ? refunded.leg.destinationAccountId : original.destinationAccountId,
    destinationAccountId: original.sourceAccountId,
    currency: refunded
      ? (refunded.leg.destinationCurrency ?? original.currency)
      : (original.destinationCurrency ?? original.currency),
    amount: c.requestedAmount ?? (remaining > 0n ? remaining : totals.destinationAmount),
    // No split: a leg asked for stays, for decideRefund to reject (refund_leg_not_owned).
    refundLeg: refunded ? refunded.index : (c.refundLeg ?? null),
  };
}

/**
 * A refund (`c` already carries the original's fields, see withRefundFields), decided against the
 * original as the partition leaves it: only a committed transfer between two accounts, or a leg
 * of a committed split whose destination the tenant owns (the one asked for; none asked, the only
 * one it owns), whose totals are the leg's own; at most
 * what remains refundable (so refunds racing each other, on one partition, are capped in order);
 * both accounts usable (the payer's status is told only to its own tenant, like any payee's); the
 * refunder's available funds. Cross-currency refunds convert at the original's recorded rate,
 * prorated cumulatively (domain/refunds.ts). `ctx.originals` holds the original's new totals.
 * @throws Rejection not_refundable, refund_leg_required, refund_leg_not_owned,
 *   refund_exceeds_original, account_not_found, account_frozen, account_closed,
 *   insufficient_funds, amount_out_of_range
 */
export function decideRefund(c: Command, original: OriginalTransfer, ctx: RefundContext): Decided {
  // In the API's order: the kind, then which leg, then whether it is committed.
  if (!REFUNDABLE_KINDS.includes(original.kind)) throw new Rejection('not_refundable');
  const refunded = refundedLeg(c, original, ctx.view);
  if (refunded && 'problem' in refunded) throw new Rejection(refunded.problem);
  if (!refunded && c.refundLeg !== null && c.refundLeg !== undefined)
    throw new Rejection('refund_leg_not_owned');
  if (!isRefundable(original)) throw new Rejection('not_refundable');
  const totals = refunded ? legTotals(refunded.leg) : totalsOf(original);
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
  const counted = { amount: after.refundedAmount, destinationAmount: after.refundedDestinationAmount };
  // A split's totals are its legs': the refunded leg's change, the split's own stay as they are.
  const refundAfter: OriginalTransfer = refunded
    ? {
        ...original,
        legs: original.legs!.map((l) => (l === refunded.leg ? { ...l, refunded: counted } : l)),
      }
    : { ...original, refunded: counted };
  ctx.originals.set(original.id, refundAfter);
  const recordedRate = refunded ? refunded.leg.rate : original.rate;
  return {
    status: 'committed',
    reason: null,
    destinationTenantId: payer.tenantId,
    destinationAmount: given,
    destinationCurrency: payer.currency,
    rate: crossCurrency && recordedRate ? invertRate(recordedRate) : null,
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
