import type { TransferRecord } from './transfer-view';

/**
 * A transfer as one tenant may see it. Its payer (the tenant that submitted it) sees all of it,
 * and so does the payee of an ordinary transfer. The payee of a leg of a split sees the split
 * *restricted to the legs it was paid*, as if the payer had paid it those alone:
 *
 * - the common fields as they are: id, kind, status, source account, currency, description,
 *   metadata (the payer's words, as an ordinary payee reads them), times, hold id and expiry;
 * - `legs`: only the legs whose destination it owns, each with its `index` in the split (the
 *   `leg` of a refund of it);
 * - `amount` (and a hold's held / captured / released amounts): the sum of those legs, never the
 *   split's (which would tell what the others were paid);
 * - `entries`: only those on its own accounts (the source's debit is the sum of every leg);
 * - refunded totals: those of its legs; `failed_leg`: null (it sees no rejected split).
 *
 * Pure: `legs` must carry their destination's owner (destinationTenantId), as read from the table.
 */
export function asSeenBy<T extends TransferRecord>(t: T, tenantId: string): T {
  if (!t.legs || t.tenantId === tenantId) return t;
  const legs = t.legs
    .map((leg, position) => ({ ...leg, index: leg.index ?? position }))
    .filter((leg) => leg.destinationTenantId === tenantId);
  const mine = new Set(legs.map((leg) => leg.destinationAccountId));
  const amount = legs.reduce((sum, leg) => sum + leg.amount, 0n);
  // A split hold is captured whole or not at all: either nothing or everything of each leg.
  const part = (whole: bigint | null) => (whole === null ? null : whole === 0n ? 0n : amount);
  return {
    ...t,
    amount,
    legs,
    failedLeg: null,
    hold: t.hold
      ? {
          ...t.hold,
          capturedAmount: part(t.hold.capturedAmount),
          releasedAmount: part(t.hold.releasedAmount),
        }
      : null,
    entries: t.entries.filter((e) => mine.has(e.accountId)),
  };
}
