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

/** Whether a transfer can be refunded at all: committed, between two accounts. */
export const isRefundable = (t: { kind: string; status: string; destinationAccountId: string | null }) =>
  REFUNDABLE_KINDS.includes(t.kind) && t.status === 'committed' && t.destinationAccountId !== null;

/**
 * The fingerprint of a refund request: which transfer, and the amount as asked (null: all that
 * remains). Its own tag, so it never equals a transfer's or a hold action's.
 */
export function refundFingerprint(refundOf: string, requested: bigint | null): Buffer {
  const canonical = JSON.stringify(['refund', refundOf, requested?.toString() ?? null]);
  return createHash('sha256').update(canonical).digest();
}
