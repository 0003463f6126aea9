import fc from 'fast-check';
import type { CurrencyCode } from '../../../contracts/src';
import { convertMinor, rateOf, type Rate } from '../../../domain/money';
import { RunningBalances, type LedgerView } from './plan-transfer';
import { LegRejection, planSplit } from './plan-split';
import type { AccountState } from './types';

const TENANT = 'payer';
const account = (id: string, currency: CurrencyCode, over: Partial<AccountState> = {}): AccountState => ({
  id,
  tenantId: TENANT,
  kind: 'customer',
  currency,
  status: 'active',
  balance: 0n,
  held: 0n,
  ...over,
});

const RATES: Record<string, Rate> = {
  'USD:EUR': rateOf(9137n, 10_000n),
  'USD:JPY': rateOf(151_237n, 1_000n),
};
const EXPONENT: Record<string, number> = { USD: 2, EUR: 2, JPY: 0 };

function view(accounts: AccountState[]): LedgerView {
  const system = (['USD', 'EUR', 'JPY'] as CurrencyCode[]).map((c) =>
    account(`fx:${c}`, c, { kind: 'fx_house' }),
  );
  return {
    accounts: new Map([...system, ...accounts].map((a) => [a.id, a])),
    systemAccountId: (_tenant, _kind, currency) => `fx:${currency}`,
    rate: (base, quote) => RATES[`${base}:${quote}`],
  };
}

const payees = [
  ...[0, 1, 2].map((i) => account(`usd${i}`, 'USD')),
  ...[0, 1, 2].map((i) => account(`eur${i}`, 'EUR')),
  ...[0, 1].map((i) => account(`jpy${i}`, 'JPY')),
];
const source = account('source', 'USD', { balance: 10n ** 15n });
const split = (legs: Array<{ destinationAccountId: string; amount: bigint }>) => ({
  kind: 'transfer' as const,
  tenantId: TENANT,
  transferId: 't',
  sourceAccountId: 'source',
  destinationAccountId: null,
  currency: 'USD',
  amount: legs.reduce((s, l) => s + l.amount, 0n),
  legs,
});

describe('planning a split transfer', () => {
  it('debits the sum once, credits each leg converted on its own, moves each account once, balanced per currency (property)', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(payees, { minLength: 1 }),
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), {
          minLength: payees.length,
          maxLength: payees.length,
        }),
        (chosen, amounts) => {
          const legs = chosen.map((p, i) => ({ destinationAccountId: p.id, amount: amounts[i]! }));
          const plan = planSplit(split(legs), view([source, ...payees]), new RunningBalances());
          const sum = legs.reduce((s, l) => s + l.amount, 0n);
          const byAccount = new Map(plan.legs.map((l) => [l.account.id, l.amount]));
          expect(byAccount.size).toBe(plan.legs.length);
          expect(byAccount.get('source')).toBe(-sum);
          chosen.forEach((p, i) => {
            const expected =
              p.currency === 'USD'
                ? amounts[i]!
                : convertMinor(amounts[i]!, 2, EXPONENT[p.currency]!, RATES[`USD:${p.currency}`]!);
            expect(byAccount.get(p.id)).toBe(expected);
            expect(plan.splitLegs[i]!.destinationAmount).toBe(expected);
          });
          const perCurrency = new Map<string, bigint>();
          for (const l of plan.legs)
            perCurrency.set(l.account.currency, (perCurrency.get(l.account.currency) ?? 0n) + l.amount);
          for (const total of perCurrency.values()) expect(total).toBe(0n);
          // The FX house of the source currency took in exactly what the converted legs paid.
          const converted = legs.filter((_, i) => chosen[i]!.currency !== 'USD');
          const fxIn = converted.reduce((s, l) => s + l.amount, 0n);
          expect(byAccount.get('fx:USD') ?? 0n).toBe(fxIn);
        },
      ),
    );
  });

  it('names the failing leg, and checks funds on the sum', () => {
    const frozen = account('frozen', 'USD', { status: 'frozen' });
    const theirs = account('theirs', 'USD', { status: 'closed', tenantId: 'other' });
    const v = view([source, ...payees, frozen, theirs]);
    const fail = (legs: Array<{ destinationAccountId: string; amount: bigint }>) => {
      try {
        planSplit(split(legs), v, new RunningBalances());
      } catch (error) {
        return error instanceof LegRejection
          ? [error.reason, error.leg]
          : [(error as LegRejection).reason, null];
      }
      return undefined;
    };
    expect(
      fail([
        { destinationAccountId: 'usd0', amount: 1n },
        { destinationAccountId: 'frozen', amount: 1n },
      ]),
    ).toEqual(['account_frozen', 1]);
    expect(fail([{ destinationAccountId: 'theirs', amount: 1n }])).toEqual(['account_not_found', 0]);
    expect(
      fail([
        { destinationAccountId: 'usd0', amount: 1n },
        { destinationAccountId: 'nowhere', amount: 1n },
      ]),
    ).toEqual(['account_not_found', 1]);
    expect(
      fail([
        { destinationAccountId: 'usd0', amount: 1n },
        { destinationAccountId: 'usd0', amount: 1n },
      ]),
    ).toEqual(['same_account', 1]);
    expect(fail([{ destinationAccountId: 'source', amount: 1n }])).toEqual(['same_account', 0]);
    const poor = view([{ ...source, balance: 10n }, ...payees]);
    expect(() =>
      planSplit(
        split([
          { destinationAccountId: 'usd0', amount: 6n },
          { destinationAccountId: 'usd1', amount: 5n },
        ]),
        poor,
        new RunningBalances(),
      ),
    ).toThrow(expect.objectContaining({ reason: 'insufficient_funds' }));
    expect(
      fail([
        { destinationAccountId: 'usd0', amount: 6n },
        { destinationAccountId: 'usd1', amount: 5n },
      ]),
    ).toBeUndefined();
  });
});
