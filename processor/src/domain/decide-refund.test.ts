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
  destinationTenantId: PAYEE,
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
const refund = (
  amount: bigint | null,
  tenantId = PAYEE,
  refundOf = 'orig',
  leg: number | null = null,
): Command => {
  const key = `r${seq++}`;
  return {
    kind: 'refund',
    transferId: `t-${key}`,
    tenantId,
    idempotencyKey: key,
    requestHash: refundFingerprint(refundOf, amount, leg),
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
    refundLeg: leg,
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
    // A payment to another business that was rejected is not the payee's to see (REST: 404).
    const unseen = decideBatch(
      [refund(5n)],
      state(original({ status: 'rejected', destinationTenantId: null })),
    );
    expect(unseen.duplicates.map((d) => d.kind)).toEqual(['refund_of_not_found']);
    for (const o of [
      original({ kind: 'deposit' }),
      original({ kind: 'withdrawal', destinationAccountId: null }),
    ])
      expect(
        decideBatch([refund(5n, o.kind === 'deposit' ? PAYEE : PAYER)], state(o)).outcomes[0],
      ).toMatchObject({
        status: 'rejected',
        reason: 'not_refundable',
      });
    // Its own payment, rejected: it may know (REST: 409).
    const own = original({ status: 'rejected', tenantId: PAYEE });
    expect(decideBatch([refund(5n)], state(own)).outcomes[0]).toMatchObject({
      status: 'rejected',
      reason: 'not_refundable',
    });
    expect(decideBatch([refund(5n)], state(original(), 4n)).outcomes[0]!.reason).toBe('insufficient_funds');
    const used = original({ refunded: { amount: 100_000n, destinationAmount: 163_457n } });
    expect(decideBatch([refund(null)], state(used)).outcomes[0]!.reason).toBe('refund_exceeds_original');
  });
});

describe('deciding refunds of a split, leg by leg', () => {
  /** 100.00 CHF split: 600 to the payee's JPY till (98074 yen), 300 to its CHF till, 100 to the payer's fee account. */
  const split = (over: Partial<OriginalTransfer> = {}): OriginalTransfer =>
    original({
      destinationAccountId: null,
      destinationTenantId: null,
      destinationAmount: null,
      destinationCurrency: null,
      rate: null,
      amount: 1_000n,
      legs: [
        {
          index: 0,
          destinationAccountId: 'till',
          destinationTenantId: PAYEE,
          amount: 600n,
          destinationAmount: 98_074n,
          destinationCurrency: 'JPY',
          rate: rateOf(1_634_567n, 10_000n),
          refunded: { amount: 0n, destinationAmount: 0n },
        },
        {
          index: 1,
          destinationAccountId: 'chf-till',
          destinationTenantId: PAYEE,
          amount: 300n,
          destinationAmount: 300n,
          destinationCurrency: 'CHF',
          rate: null,
          refunded: { amount: 0n, destinationAmount: 0n },
        },
        {
          index: 2,
          destinationAccountId: 'fee',
          destinationTenantId: PAYER,
          amount: 100n,
          destinationAmount: 100n,
          destinationCurrency: 'CHF',
          rate: null,
          refunded: { amount: 0n, destinationAmount: 0n },
        },
      ],
      ...over,
    });
  const splitState = (o: OriginalTransfer) => {
    const s = state(o);
    for (const a of [account('chf-till', PAYEE, 'CHF', 1_000n), account('fee', PAYER, 'CHF', 1_000n)])
      s.accounts.set(a.id, a);
    return s;
  };

  it('asks which leg when the payee owns several, refuses a leg it does not own, lets the payer refund the leg it was paid, and refuses a held split', () => {
    const [required] = decideBatch([refund(5n)], splitState(split())).outcomes;
    expect(required).toMatchObject({ status: 'rejected', reason: 'refund_leg_required' });
    for (const leg of [2, 9])
      expect(decideBatch([refund(5n, PAYEE, 'orig', leg)], splitState(split())).outcomes[0]).toMatchObject({
        status: 'rejected',
        reason: 'refund_leg_not_owned',
      });
    // The payer owns the fee leg: it may refund that one (inferred), as a payee of itself.
    const [fee] = decideBatch([refund(null, PAYER)], splitState(split())).outcomes;
    expect(fee).toMatchObject({ status: 'committed', destinationAmount: 100n });
    expect(fee!.command).toMatchObject({
      refundLeg: 2,
      sourceAccountId: 'fee',
      destinationAccountId: 'card',
    });
    const held = decideBatch([refund(5n, PAYEE, 'orig', 1)], splitState(split({ status: 'held' })));
    expect(held.outcomes[0]).toMatchObject({ status: 'rejected', reason: 'not_refundable' });
  });

  it('keeps every leg within itself on both sides, and a full refund of every leg returns exactly the source amount (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            leg: fc.constantFrom(0, 1),
            amount: fc.option(fc.bigInt({ min: 1n, max: 60_000n }), { nil: null }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        (asks) => {
          const commands = [
            ...asks.map((a) => refund(a.amount, PAYEE, 'orig', a.leg)),
            refund(null, PAYEE, 'orig', 0),
            refund(null, PAYEE, 'orig', 1),
          ];
          const decision = decideBatch(commands, splitState(split()));
          const per = [0, 1].map((leg) =>
            decision.outcomes
              .filter((o) => o.status === 'committed' && o.command.refundLeg === leg)
              .reduce(
                (t, o) => ({ taken: t.taken + o.command.amount, given: t.given + o.destinationAmount! }),
                { taken: 0n, given: 0n },
              ),
          );
          for (const o of decision.outcomes)
            if (o.status !== 'committed') expect(o.reason).toBe('refund_exceeds_original');
          // Everything given back in the end (the last two take what remains): exactly each leg.
          expect(per).toEqual([
            { taken: 98_074n, given: 600n },
            { taken: 300n, given: 300n },
          ]);
          const last = decision.outcomes.filter((o) => o.refundAfter).at(-1)!.refundAfter!;
          expect(last.legs!.map((l) => l.refunded)).toEqual([
            { amount: 600n, destinationAmount: 98_074n },
            { amount: 300n, destinationAmount: 300n },
            { amount: 0n, destinationAmount: 0n },
          ]);
          expect(last.refunded).toEqual({ amount: 0n, destinationAmount: 0n });
        },
      ),
    );
  });
});
