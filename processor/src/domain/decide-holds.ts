import { HOLD_EXPIRY_DEFAULT_MS, HOLD_EXPIRY_MAX_MS } from '../../../contracts/src';
import { LedgerInvariantError } from './errors';
import { Rejection, type LedgerView, type RunningBalances } from './plan-transfer';
import { planAny } from './plan-split';
import type { Command, Decided, HoldSnapshot, Outcome } from './types';

/** What the batch knows while deciding holds and their follow-ups. */
export interface HoldContext {
  view: LedgerView;
  running: RunningBalances;
  now: Date;
  /** Every hold the batch may act on, as it stands: loaded (locked), then as the batch changes them. */
  holds: Map<string, HoldSnapshot>;
}

/**
 * When a new hold lapses: as the API recorded it when it accepted the hold, else as the command
 * asks, else the default after acceptance.
 */
export function holdExpiry(c: Command, createdAt: Date, recorded: Date | null): Date {
  if (recorded) return recorded;
  if (c.hold?.expiresAt) return new Date(c.hold.expiresAt);
  return new Date(createdAt.getTime() + HOLD_EXPIRY_DEFAULT_MS);
}

/**
 * A new hold (manual capture): decided exactly like the transfer it would be (authorization,
 * status, currency, rate, funds on `available`), then its amount is reserved on the source and
 * nothing is posted. Entered in `ctx.holds`, open, for follow-ups later in the batch.
 * @throws Rejection (expiry_out_of_range and every reason of planTransfer)
 */
export function decideNewHold(
  c: Command,
  createdAt: Date,
  expiresAt: Date,
  checkExpiry: boolean,
  ctx: HoldContext,
): Decided {
  if (c.kind !== 'transfer' && c.kind !== 'withdrawal')
    throw new LedgerInvariantError(`a ${c.kind} cannot be held (the contract refuses it)`);
  // The API checked the bounds when it accepted the hold; a Kafka producer's are checked here.
  const lifetime_ms = expiresAt.getTime() - createdAt.getTime();
  if (checkExpiry && (lifetime_ms <= 0 || lifetime_ms > HOLD_EXPIRY_MAX_MS))
    throw new Rejection('expiry_out_of_range');
  const plan = planAny(c, ctx.view, ctx.running);
  const source = plan.source!;
  ctx.running.changeHeld(source, c.amount);
  ctx.holds.set(
    c.transferId,
    holdSnapshot(c, createdAt, expiresAt, 'held', plan.destination.destinationCurrency, ctx.now),
  );
  return {
    status: 'held',
    reason: null,
    destinationTenantId: plan.destination.destinationTenantId,
    // Converted at capture, at the rate in force then.
    destinationAmount: null,
    destinationCurrency: plan.destination.destinationCurrency,
    rate: null,
    legs: plan.splitLegs?.map((l) => ({ ...l, destinationAmount: null, rate: null })) ?? null,
    entries: [],
    expiresAt,
    heldChanges: [{ accountId: source.id, amount: c.amount }],
    holdAfter: null,
  };
}

/** A hold as it stands once decided, for the follow-ups after it (in this batch or later ones). */
export function holdSnapshot(
  c: Command,
  createdAt: Date,
  expiresAt: Date,
  status: 'held' | 'rejected',
  destinationCurrency: HoldSnapshot['destinationCurrency'],
  now: Date,
): HoldSnapshot {
  return {
    id: c.transferId,
    tenantId: c.tenantId,
    kind: c.kind,
    holdId: null,
    sourceAccountId: c.sourceAccountId,
    destinationAccountId: c.destinationAccountId,
    amount: c.amount,
    currency: c.currency,
    destinationAmount: null,
    destinationCurrency,
    rate: null,
    legs:
      c.legs?.map((l) => ({ ...l, destinationAmount: null, destinationCurrency: null, rate: null })) ?? null,
    description: c.description,
    metadata: c.metadata,
    status,
    reason: null,
    createdAt,
    finalizedAt: now,
    entries: [],
    hold: { expiresAt, capturedAmount: null, releasedAmount: null, resolvedBy: null, resolvedAt: null },
  };
}

/** A follow-up carries the hold's accounts and currency; its amount is what it posts or releases. */
export function withHoldFields(c: Command, hold: HoldSnapshot): Command {
  return {
    ...c,
    sourceAccountId: hold.sourceAccountId,
    destinationAccountId: hold.destinationAccountId,
    currency: hold.currency,
    amount: c.kind === 'capture' ? (c.requestedAmount ?? hold.amount) : hold.amount,
    legs: hold.legs?.map((l) => ({ destinationAccountId: l.destinationAccountId, amount: l.amount })) ?? null,
  };
}

/**
 * Whether a capture or void comes too late: its hold is open but was due to lapse at or before
 * `now` (the batch's clock, the one expiries are decided by). Its hold is released by the system,
 * not by the follow-up.
 */
export function lapsed(c: Command, hold: HoldSnapshot, now: Date): boolean {
  return c.kind !== 'expire' && hold.status === 'held' && now >= hold.hold.expiresAt;
}

/**
 * A capture, void or expiry of an open hold (`c` already carries the hold's fields). A capture
 * is decided like the transfer itself at this moment (status of both accounts, the rate in force
 * now) with the reserved amount counted as available, posts the captured amount and releases the
 * whole reservation; a void or expiry releases it. The hold closes: `ctx.holds` holds its new
 * state, so whatever comes after it in the partition finds it closed. A capture or void at or
 * after the hold's expiry is too late (hold_not_open), even while the hold is still open.
 * @throws Rejection hold_not_open, capture_exceeds_hold, and for captures every reason of planTransfer
 */
export function decideHoldAction(c: Command, hold: HoldSnapshot, ctx: HoldContext): Decided {
  // A lapsed hold is the system's to release (decideBatch expires it first), never a client's.
  if (hold.status !== 'held' || lapsed(c, hold, ctx.now)) throw new Rejection('hold_not_open');
  const source = ctx.view.accounts.get(hold.sourceAccountId!);
  if (!source) throw new LedgerInvariantError(`source account of hold ${hold.id} was not loaded`);
  let captured = 0n;
  let decided: Pick<Decided, 'destinationTenantId' | 'destinationAmount' | 'destinationCurrency' | 'rate'> = {
    destinationTenantId: null,
    destinationAmount: null,
    destinationCurrency: null,
    rate: null,
  };
  let entries: Outcome['entries'] = [];
  let splitLegs: Decided['legs'] = null;
  if (c.kind === 'capture') {
    if (c.amount > hold.amount) throw new Rejection('capture_exceeds_hold');
    // A split is captured whole: which legs a part would come from is the payer's to say, in a
    // new transfer, not ours to guess.
    if (c.legs && c.amount !== hold.amount) throw new Rejection('partial_capture_of_split');
    const plan = planAny({ ...c, kind: hold.kind }, ctx.view, ctx.running, hold.amount);
    entries = ctx.running.post(c.transferId, plan.legs);
    decided = plan.destination;
    splitLegs = plan.splitLegs;
    captured = c.amount;
  }
  ctx.running.changeHeld(source, -hold.amount);
  const after: HoldSnapshot = {
    ...hold,
    status: c.kind === 'capture' ? 'captured' : c.kind === 'void' ? 'voided' : 'expired',
    hold: {
      ...hold.hold,
      capturedAmount: captured,
      releasedAmount: hold.amount - captured,
      resolvedBy: c.transferId,
      resolvedAt: ctx.now,
    },
  };
  ctx.holds.set(hold.id, after);
  return {
    status: 'committed',
    reason: null,
    ...decided,
    legs: splitLegs,
    entries,
    expiresAt: null,
    heldChanges: [{ accountId: source.id, amount: -hold.amount }],
    holdAfter: after,
  };
}
