import { reconcileBalances, netDeltas, StaleBalanceError } from './reconcile-balances';
import type { AccountState, Outcome } from './types';

const account = (id: string, balance: bigint): AccountState => ({
  id,
  tenantId: 't',
  kind: 'customer',
  currency: 'USD',
  status: 'active',
  balance,
  held: 0n,
});

const outcome = (from: string, to: string, amount: bigint, fromAfter: bigint, toAfter: bigint): Outcome =>
  ({
    status: 'committed',
    heldChanges: [],
    entries: [
      { transferId: 'x', accountId: from, currency: 'USD', amount: -amount, balanceAfter: fromAfter },
      { transferId: 'x', accountId: to, currency: 'USD', amount, balanceAfter: toAfter },
    ],
  }) as unknown as Outcome;

describe('reconciling a batch decided on unlocked reads with the locked balances', () => {
  const read = new Map([
    ['a', account('a', 100n)],
    ['b', account('b', 50n)],
  ]);

  it('shifts running balances by what other partitions did meanwhile to an account only credited here', () => {
    const outcomes = [outcome('a', 'b', 10n, 90n, 60n)];
    const deltas = netDeltas(outcomes);
    // b's own partition debited it by 20 in between: b now holds 50 - 20 + 10.
    reconcileBalances(
      outcomes,
      read,
      deltas,
      new Map([
        ['a', { balance: 90n, held: 0n, status: 'active' as const }],
        ['b', { balance: 40n, held: 0n, status: 'active' as const }],
      ]),
    );
    expect(outcomes[0]!.entries.map((e) => e.balanceAfter)).toEqual([90n, 40n]);
  });

  it('refuses when an account debited here was debited elsewhere too', () => {
    const outcomes = [outcome('a', 'b', 10n, 90n, 60n)];
    const locked = new Map([
      ['a', { balance: 85n, held: 0n, status: 'active' as const }],
      ['b', { balance: 60n, held: 0n, status: 'active' as const }],
    ]);
    expect(() => reconcileBalances(outcomes, read, netDeltas(outcomes), locked)).toThrow(StaleBalanceError);
  });

  it('refuses when an account was frozen before the locks were taken', () => {
    const outcomes = [outcome('a', 'b', 10n, 90n, 60n)];
    const locked = new Map([
      ['a', { balance: 90n, held: 0n, status: 'active' as const }],
      ['b', { balance: 60n, held: 0n, status: 'frozen' as const }],
    ]);
    expect(() => reconcileBalances(outcomes, read, netDeltas(outcomes), locked)).toThrow(StaleBalanceError);
  });
});
