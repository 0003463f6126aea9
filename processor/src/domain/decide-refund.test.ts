import fc from 'fast-check';
import { rateOf } from '../../../domain/money';
import { refundFingerprint } from '../../../domain/refunds';
import { decideBatch, type BatchState } from './decide-batch';
import type { AccountState, Command, OriginalTransfer } from './types';

const PAYER = 'payer-tenant';
const PAYEE = 'payee-tenant';

const account = (
  id: string,
  tenantId: string,
  currency: AccountState['currency'],
  balance: bigint,
  kind: AccountState['kind'] = 'customer',
): AccountState => ({ id, tenantId, kind, currency, status: 'active', balance, held: 0n });

/** A payment of 1000 CHF centimes that credited 163457 yen, as the processor recorded it. */
const original = (over: Partial<OriginalTransfer> = {}): OriginalTransfer => ({
  id: 'orig',
  tenantId: PAYER,
  kind: 'transfer',
  holdId: null,
  hold: null,
  refundOf: null,
  refunded: { amount: 0n, destinationAmount: 0n },
  sourceAccountId: 'card',
  destinationAccountId: 'till',
  amount: 100_000n,
  currency: 'CHF',
  destinationAmount: 163_457n,
  destinationCurrency: 'JPY',
  rate: rateOf(1_634_567n, 10_000n),
  description: null,
  metadata: null,
  status: 'committed',
  reason: null,
  createdAt: new Date(0),
  finalizedAt: new Date(0),
  entries: [],
  ...over,
});

function state(o: OriginalTransfer, tillBalance = 1_000_000n): BatchState {
  const accounts = new Map(
    [
      account('card', PAYER, 'CHF', 0n),
      account('till', PAYEE, 'JPY', tillBalance),
      account(`${PAYEE}:fx_house:JPY`, PAYEE, 'JPY', 0n, 'fx_house'),
      account(`${PAYEE}:fx_house:CHF`, PAYEE, 'CHF', 0n, 'fx_house'),
    ].map((a) => [a.id, a]),
  );
  return {
    existing: new Map(),
    transferIdOwners: new Map(),
    accounts,
    systemAccountId: (tenantId, kind, currency) => `${tenantId}:${kind}:${currency}`,
    rate: () => undefined, // a refund never asks for today's rate
    refunds: new Map([[o.id, o]]),
    now: new Date(1),
  };
}

let seq = 0;
const refund = (amount: bigint | null, tenantId = PAYEE, refundOf = 'orig'): Command => {
  const key = `r${seq++}`;
  return {
    kind: 'refund',
    transferId: `t-${key}`,
    tenantId,
    idempotencyKey: key,
    requestHash: refundFingerprint(refundOf, amount),
    sourceAccountId: null,
    destinationAccountId: null,
    amount: amount ?? 0n,
    currency: '',
    description: null,
    metadata: null,
    hold: null,
    holdId: null,
    requestedAmount: amount,
    refundOf,
  };
};

describe('deciding refunds', () => {
  it('caps the refunds of one batch in partition order, on both sides, and books them balanced per currency', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.bigInt({ min: 1n, max: 200_000n }), { nil: null }), {
          minLength: 1,
          maxLength: 15,
        }),
        (amounts) => {
          const decision = decideBatch(
            amounts.map((a) => refund(a)),
            state(original()),
          );
          let taken = 0n;
          let given = 0n;
          for (const o of decision.outcomes) {
            if (o.status !== 'committed') {
              expect(o.reason).toBe('refund_exceeds_original');
              continue;
            }
            taken += o.command.amount;
            given += o.destinationAmount!;
            const sums = new Map<string, bigint>();
            for (const e of o.entries) sums.set(e.currency, (sums.get(e.currency) ?? 0n) + e.amount);
            for (const sum of sums.values()) expect(sum).toBe(0n);
            expect(o.refundAfter!.refunded).toEqual({ amount: given, destinationAmount: taken });
          }
          expect(taken <= 163_457n && given <= 100_000n).toBe(true);
          if (taken === 163_457n) expect(given).toBe(100_000n);
        },
      ),
    );
  });

  it('moves the refunder`s money through its own FX house accounts at the recorded rate', () => {
    const [o] = decideBatch([refund(null)], state(original())).outcomes;
    expect(o).toMatchObject({ status: 'committed', destinationAmount: 100_000n, destinationCurrency: 'CHF' });
    expect(o!.entries.map((e) => [e.accountId, e.amount])).toEqual([
      ['till', -163_457n],
      [`${PAYEE}:fx_house:JPY`, 163_457n],
      [`${PAYEE}:fx_house:CHF`, -100_000n],
      ['card', 100_000n],
    ]);
  });

  it('sets aside refunds by anyone but the payee, and rejects what cannot be refunded', () => {
    const asPayer = decideBatch([refund(5n, PAYER)], state(original()));
    expect(asPayer.duplicates.map((d) => d.kind)).toEqual(['refund_of_not_found']);
    const missing = decideBatch([refund(5n, PAYEE, 'nope')], state(original()));
    expect(missing.duplicates.map((d) => d.kind)).toEqual(['refund_of_not_found']);
    for (const o of [original({ status: 'rejected' }), original({ kind: 'deposit' })])
      expect(decideBatch([refund(5n)], state(o)).outcomes[0]).toMatchObject({
        status: 'rejected',
        reason: 'not_refundable',
      });
    expect(decideBatch([refund(5n)], state(original(), 4n)).outcomes[0]!.reason).toBe('insufficient_funds');
    const used = original({ refunded: { amount: 100_000n, destinationAmount: 163_457n } });
    expect(decideBatch([refund(null)], state(used)).outcomes[0]!.reason).toBe('refund_exceeds_original');
  });
});
