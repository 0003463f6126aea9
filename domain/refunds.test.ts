import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { AMOUNT_MAX } from './money';
import {
  refundFingerprint,
  refundableRemaining,
  resolveRefundLeg,
  refundSourceAmount,
  withRefund,
  type RefundTotals,
} from './refunds';

const fresh = (amount: bigint, destinationAmount: bigint): RefundTotals => ({
  amount,
  destinationAmount,
  refundedAmount: 0n,
  refundedDestinationAmount: 0n,
});

/** An original transfer (source and destination amounts, any ratio) and a sequence of refund shares. */
const arbCase = fc.record({
  amount: fc.bigInt({ min: 1n, max: AMOUNT_MAX }),
  destinationAmount: fc.bigInt({ min: 1n, max: AMOUNT_MAX }),
  // Each share is a fraction (in 1/1000) of what remains; 1000 refunds all of it.
  shares: fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 20 }),
});

/** Applies the refunds as the processor would; returns each refund's two sides and the totals. */
function refundAll(c: { amount: bigint; destinationAmount: bigint; shares: number[] }) {
  let totals = fresh(c.amount, c.destinationAmount);
  const refunds: Array<{ destination: bigint; source: bigint }> = [];
  for (const share of c.shares) {
    const remaining = refundableRemaining(totals);
    if (remaining === 0n) break;
    const d = (remaining * BigInt(share)) / 1000n || 1n;
    const s = refundSourceAmount(totals, d);
    refunds.push({ destination: d, source: s });
    totals = withRefund(totals, d, s);
  }
  return { refunds, totals };
}

describe('refund arithmetic', () => {
  it('never gives back more than the original on either side, whatever the sequence', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { refunds, totals } = refundAll(c);
        const sumD = refunds.reduce((a, r) => a + r.destination, 0n);
        const sumS = refunds.reduce((a, r) => a + r.source, 0n);
        expect(sumD).toBe(totals.refundedDestinationAmount);
        expect(sumS).toBe(totals.refundedAmount);
        expect(sumD <= c.destinationAmount).toBe(true);
        expect(sumS <= c.amount).toBe(true);
        for (const r of refunds) expect(r.source >= 0n && r.destination > 0n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('gives back exactly the source amount once everything is refunded, in one refund or many', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { totals } = refundAll({ ...c, shares: [...c.shares, 1000] });
        expect(totals.refundedDestinationAmount).toBe(c.destinationAmount);
        expect(totals.refundedAmount).toBe(c.amount);
        expect(refundSourceAmount(fresh(c.amount, c.destinationAmount), c.destinationAmount)).toBe(c.amount);
      }),
      { numRuns: 500 },
    );
  });

  it("prorates each refund within one minor unit of its exact share, and the total by banker's rounding", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { refunds, totals } = refundAll(c);
        for (const r of refunds) {
          // |s - d*S/D| <= 1  <=>  |s*D - d*S| <= D
          const diff = r.source * c.destinationAmount - r.destination * c.amount;
          expect((diff < 0n ? -diff : diff) <= c.destinationAmount).toBe(true);
        }
        // The total depends only on the refunded destination total, never on the split.
        const single = refundSourceAmount(
          fresh(c.amount, c.destinationAmount),
          totals.refundedDestinationAmount,
        );
        expect(totals.refundedAmount).toBe(single);
      }),
      { numRuns: 500 },
    );
  });

  it('within one currency gives back exactly what it takes', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { refunds } = refundAll({ ...c, destinationAmount: c.amount });
        for (const r of refunds) expect(r.source).toBe(r.destination);
      }),
    );
  });

  it('rounds half to even: known vectors', () => {
    // 1000 source for 3 destination units: each unit is worth 333.33...
    let t = fresh(1000n, 3n);
    expect(refundSourceAmount(t, 1n)).toBe(333n);
    t = withRefund(t, 1n, 333n);
    expect(refundSourceAmount(t, 1n)).toBe(334n); // round(666.67) - 333
    t = withRefund(t, 1n, 334n);
    expect(refundSourceAmount(t, 1n)).toBe(333n); // exactly what remains
    // 5 source for 2 destination units: 2.5 rounds to 2 (even), then the rest, 3.
    t = fresh(5n, 2n);
    expect(refundSourceAmount(t, 1n)).toBe(2n);
    expect(refundSourceAmount(withRefund(t, 1n, 2n), 1n)).toBe(3n);
    // 7 source for 2: 3.5 rounds to 4 (even).
    expect(refundSourceAmount(fresh(7n, 2n), 1n)).toBe(4n);
  });

  it('refuses a refund of nothing or of more than remains', () => {
    const t = withRefund(fresh(100n, 100n), 60n, 60n);
    expect(() => refundSourceAmount(t, 0n)).toThrow(RangeError);
    expect(() => refundSourceAmount(t, 41n)).toThrow(RangeError);
    expect(refundSourceAmount(t, 40n)).toBe(40n);
  });

  it('fingerprints the original and the amount as asked', () => {
    const a = '00000000-0000-4000-8000-000000000001';
    expect(refundFingerprint(a, null).equals(refundFingerprint(a, null))).toBe(true);
    expect(refundFingerprint(a, null).equals(refundFingerprint(a, 5n))).toBe(false);
    expect(refundFingerprint(a, 5n).equals(refundFingerprint(a, 6n))).toBe(false);
  });
});

describe('which leg of a split a refund acts on', () => {
  it('takes the leg asked for only if the tenant owns it, and infers the only one it owns', () => {
    expect(resolveRefundLeg([2], null)).toEqual({ leg: 2 });
    expect(resolveRefundLeg([0, 3], 3)).toEqual({ leg: 3 });
    expect(resolveRefundLeg([0, 3], null)).toEqual({ problem: 'refund_leg_required' });
    // Another tenant's leg and an index out of range are alike.
    expect(resolveRefundLeg([0, 3], 1)).toEqual({ problem: 'refund_leg_not_owned' });
    expect(resolveRefundLeg([0, 3], 15)).toEqual({ problem: 'refund_leg_not_owned' });
  });

  it('fingerprints a refund without a leg as before splits were refundable, and each leg apart', () => {
    const id = '0192f7a0-0000-7000-8000-000000000000';
    const before = createHash('sha256')
      .update(JSON.stringify(['refund', id, '5']))
      .digest();
    expect(refundFingerprint(id, 5n)).toEqual(before);
    expect(refundFingerprint(id, 5n, 0)).not.toEqual(before);
    expect(refundFingerprint(id, 5n, 0)).not.toEqual(refundFingerprint(id, 5n, 1));
  });
});
