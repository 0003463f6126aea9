import { createHash } from 'node:crypto';
import { divRoundHalfEven } from './money';

/**
 * What a transfer has given back so far, beside what it moved: `amount` left the source, in the
 * source currency; `destinationAmount` reached the destination, in its currency (equal to
 * `amount` within one currency).
 */
export interface RefundTotals {
  amount: bigint;
  destinationAmount: bigint;
  refundedAmount: bigint;
  refundedDestinationAmount: bigint;
}

/** What the destination may still give back, in the destination currency. */
export const refundableRemaining = (t: RefundTotals): bigint =>
  t.destinationAmount - t.refundedDestinationAmount;

/**
 * The source-side amount of a refund of `destinationRefund` (taken from the destination, in its
 * currency), at the original's recorded rate: the refunds of a transfer are prorated
 * *cumulatively*. After refunds totalling R on the destination side, the source has received
 * exactly round_half_even(R × amount / destinationAmount), so this refund gives
 *
 *   round_half_even((R + d) × amount / destinationAmount) − refundedAmount.
 *
 * Hence, whatever the sequence of partial refunds: each gives back ≥ 0 and within one minor unit
 * of its exact share; together they never give back more than `amount` (rounding is monotone and
 * R never exceeds destinationAmount), and the refund that brings R to destinationAmount gives back
 * exactly what remains, so refunding everything returns exactly `amount`. The total never depends
 * on how the refunds were split. Within one currency it is `d` itself.
 * A refund worth less than half a minor unit of the source currency may give back 0 on that side
 * (the next ones make up for it).
 * @throws RangeError when d is not in 1..refundableRemaining(t) (the caller checks first)
 */
export function refundSourceAmount(t: RefundTotals, destinationRefund: bigint): bigint {
  if (destinationRefund <= 0n || destinationRefund > refundableRemaining(t))
    throw new RangeError(`refund ${destinationRefund} is not within 1..${refundableRemaining(t)}`);
  const after = t.refundedDestinationAmount + destinationRefund;
  const sourceAfter = divRoundHalfEven(after * t.amount, t.destinationAmount);
  return sourceAfter - t.refundedAmount;
}

/** The totals once a refund of `destinationRefund` (giving back `sourceRefund`) is counted. */
export const withRefund = (
  t: RefundTotals,
  destinationRefund: bigint,
  sourceRefund: bigint,
): RefundTotals => ({
  ...t,
  refundedAmount: t.refundedAmount + sourceRefund,
  refundedDestinationAmount: t.refundedDestinationAmount + destinationRefund,
});

/** Kinds of transfer that can be refunded: money moved between two customer accounts. */
export const REFUNDABLE_KINDS: readonly string[] = ['transfer', 'capture'];

/**
 * Whether a transfer can be refunded at all: committed, between accounts (one destination, or the
 * legs of a split, each refunded on its own).
 */
export const isRefundable = (t: {
  kind: string;
  status: string;
  destinationAccountId: string | null;
  legs?: readonly unknown[] | null;
}) =>
  REFUNDABLE_KINDS.includes(t.kind) &&
  t.status === 'committed' &&
  (t.destinationAccountId !== null || (t.legs?.length ?? 0) > 0);

/** A split leg as refunds see it: what it moved, and what its refunds gave back so far. */
export interface RefundableLeg {
  amount: bigint;
  destinationAmount: bigint | null;
  refunded?: { amount: bigint; destinationAmount: bigint } | null;
}

/** A committed leg's refund totals: the source side in the split's currency, the other in the leg's. */
export const legTotals = (leg: RefundableLeg): RefundTotals => ({
  amount: leg.amount,
  destinationAmount: leg.destinationAmount ?? leg.amount,
  refundedAmount: leg.refunded?.amount ?? 0n,
  refundedDestinationAmount: leg.refunded?.destinationAmount ?? 0n,
});

/**
 * Which leg of a split a refund by a tenant acts on: the one asked for if the tenant owns its
 * destination; else, none asked, the only leg it owns. `owned` are the indexes of the legs whose
 * destination the tenant owns. An index out of range and another tenant's leg are alike.
 */
export function resolveRefundLeg(
  owned: readonly number[],
  asked: number | null,
): { leg: number } | { problem: 'refund_leg_required' | 'refund_leg_not_owned' } {
  if (asked !== null) return owned.includes(asked) ? { leg: asked } : { problem: 'refund_leg_not_owned' };
  if (owned.length === 1) return { leg: owned[0]! };
  return { problem: owned.length === 0 ? 'refund_leg_not_owned' : 'refund_leg_required' };
}

/**
 * The fingerprint of a refund request: which transfer, the amount as asked (null: all that
 * remains) and, refunding a split, the leg. Its own tag, so it never equals a transfer's or a hold
 * action's; without a leg, the same as before splits were refundable (keys already used keep
 * their meaning).
 */
export function refundFingerprint(
  refundOf: string,
  requested: bigint | null,
  leg: number | null = null,
): Buffer {
  const parts: Array<string | number | null> = ['refund', refundOf, requested?.toString() ?? null];
  if (leg !== null) parts.push(leg);
  return createHash('sha256').update(JSON.stringify(parts)).digest();
}
