import fc from 'fast-check';
import type { CurrencyCode } from '../../../contracts/src';
import { INT64_MAX, INT64_MIN, rateOf } from '../../../domain/money';
import { decideBatch, idempotencyScope, type BatchState } from './decide-batch';
import type { AccountState, Command } from './types';

const TENANT = 'tenant-a';
const OTHER = 'tenant-b';

const account = (id: string, balance: bigint, over: Partial<AccountState> = {}): AccountState => ({
  id,
  tenantId: TENANT,
  kind: 'customer',
  currency: 'USD',
  status: 'active',
  balance,
  held: 0n,
  ...over,
});

let seq = 0;
const command = (over: Partial<Command>): Command => {
  const key = `k${seq++}`;
  return {
    transferId: `t-${key}`,
    tenantId: TENANT,
    idempotencyKey: key,
    requestHash: Buffer.from(key),
    kind: 'transfer',
    sourceAccountId: 'a',
    destinationAccountId: 'b',
    amount: 1n,
    currency: 'USD',
    description: null,
    metadata: null,
    holdId: null,
    requestedAmount: null,
    ...over,
  };
};

/** Each tenant's own system accounts, with ids `${tenant}:${kind}:${currency}`. */
function state(accounts: AccountState[], over: Partial<BatchState> = {}): BatchState {
  const system = [TENANT, OTHER].flatMap((tenantId) =>
    (['USD', 'EUR'] as CurrencyCode[]).flatMap((c) => [
      account(`${tenantId}:world:${c}`, 0n, { kind: 'world', currency: c, tenantId }),
      account(`${tenantId}:fx_house:${c}`, 0n, { kind: 'fx_house', currency: c, tenantId }),
    ]),
  );
  const all = new Map([...system, ...accounts].map((a) => [a.id, a]));
  return {
    existing: new Map(),
    transferIdOwners: new Map(),
    accounts: all,
    systemAccountId: (tenantId, kind, currency) => `${tenantId}:${kind}:${currency}`,
    rate: (base, quote) => (base === 'USD' && quote === 'EUR' ? rateOf(9n, 10n) : undefined),
    now: new Date(0),
    ...over,
  };
}

describe('deciding a batch of commands in partition order', () => {
  it('checks funds against the running balance, so a later command sees the earlier debits', () => {
    const d = decideBatch(
      [command({ amount: 60n }), command({ amount: 60n }), command({ amount: 40n })],
      state([account('a', 100n), account('b', 0n)]),
    );
    expect(d.outcomes.map((o) => o.reason)).toEqual([null, 'insufficient_funds', null]);
    expect(d.balances.get('a')).toBe(0n);
    expect(d.balances.get('b')).toBe(100n);
    expect(d.outcomes[2]!.entries.map((e) => e.balanceAfter)).toEqual([0n, 100n]);
  });

  it('treats an exact redelivery as a duplicate and the same key with another request as a conflict', () => {
    const first = command({ amount: 10n });
    const redelivered = { ...first };
    const conflicting = { ...first, requestHash: Buffer.from('other') };
    const d = decideBatch([first, redelivered, conflicting], state([account('a', 100n), account('b', 0n)]));
    expect(d.outcomes).toHaveLength(1);
    expect(d.duplicates.map((x) => x.kind)).toEqual(['same', 'conflict']);
  });

  it('skips commands already final in the ledger, and finalises a pending one the API recorded', () => {
    const done = command({});
    const pending = command({ amount: 5n });
    const existing = new Map([
      [
        idempotencyScope(TENANT, done.idempotencyKey),
        {
          id: done.transferId,
          status: 'committed' as const,
          requestHash: done.requestHash,
          createdAt: new Date(0),
          expiresAt: null,
        },
      ],
      [
        idempotencyScope(TENANT, pending.idempotencyKey),
        {
          id: pending.transferId,
          status: 'pending' as const,
          requestHash: pending.requestHash,
          createdAt: new Date(1),
          expiresAt: null,
        },
      ],
    ]);
    const d = decideBatch([done, pending], state([account('a', 100n), account('b', 0n)], { existing }));
    expect(d.duplicates.map((x) => x.kind)).toEqual(['same']);
    expect(d.outcomes.map((o) => [o.write, o.status])).toEqual([['update', 'committed']]);
  });

  it('refuses to debit another tenant and to deposit into another tenant', () => {
    const s = state([account('a', 100n, { tenantId: OTHER }), account('b', 0n, { tenantId: OTHER })]);
    const d = decideBatch(
      [command({}), command({ kind: 'deposit', sourceAccountId: null, destinationAccountId: 'b' })],
      s,
    );
    expect(d.outcomes.map((o) => o.reason)).toEqual(['account_not_owned', 'account_not_owned']);
  });

  it('rejects a currency the ledger does not hold, moving nothing, before any account check', () => {
    const s = state([account('a', 100n), account('b', 0n)]);
    const d = decideBatch(
      [
        command({ currency: 'XTS' }),
        command({ kind: 'deposit', sourceAccountId: null, destinationAccountId: 'nobody', currency: 'XTS' }),
      ],
      s,
    );
    expect(d.outcomes.map((o) => [o.status, o.reason, o.entries.length])).toEqual([
      ['rejected', 'unsupported_currency', 0],
      ['rejected', 'unsupported_currency', 0],
    ]);
  });

  it('converts through both FX house accounts so each currency balances', () => {
    const d = decideBatch(
      [command({ amount: 1_005n, destinationAccountId: 'e' })],
      state([account('a', 10_000n), account('e', 0n, { currency: 'EUR' })]),
    );
    const o = d.outcomes[0]!;
    expect(o.destinationAmount).toBe(904n); // 10.05 * 0.9 = 9.045 -> 9.04 (half to even)
    expect(o.entries.map((e) => [e.accountId, e.amount])).toEqual([
      ['a', -1_005n],
      [`${TENANT}:fx_house:USD`, 1_005n],
      [`${TENANT}:fx_house:EUR`, -904n],
      ['e', 904n],
    ]);
  });

  it('sets aside a command whose transfer id another request holds, on record or earlier in the batch', () => {
    const taken = command({ amount: 1n });
    const reusing = command({ transferId: taken.transferId, tenantId: OTHER });
    const fresh = command({ amount: 2n });
    const sameIdInBatch = command({ transferId: fresh.transferId, amount: 3n });
    const s = state([account('a', 100n), account('b', 0n)], {
      transferIdOwners: new Map([[taken.transferId, idempotencyScope('tenant-z', 'their-key')]]),
    });
    const d = decideBatch([taken, reusing, fresh, sameIdInBatch], s);
    expect(d.duplicates.map((x) => [x.command, x.kind])).toEqual([
      [taken, 'transfer_id_conflict'],
      [reusing, 'transfer_id_conflict'],
      [sameIdInBatch, 'transfer_id_conflict'],
    ]);
    expect(d.outcomes.map((o) => [o.command.transferId, o.status])).toEqual([
      [fresh.transferId, 'committed'],
    ]);
  });

  it('recognises a redelivery of a transfer on record by its key, not as a transfer id conflict', () => {
    const done = command({});
    const scope = idempotencyScope(TENANT, done.idempotencyKey);
    const s = state([account('a', 100n), account('b', 0n)], {
      existing: new Map([
        [
          scope,
          {
            id: done.transferId,
            status: 'committed',
            requestHash: done.requestHash,
            createdAt: new Date(0),
            expiresAt: null,
          },
        ],
      ]),
      transferIdOwners: new Map([[done.transferId, scope]]),
    });
    expect(decideBatch([done], s).duplicates.map((x) => x.kind)).toEqual(['same']);
  });

  it('finalises the pending transfer the API recorded when the same request comes under another transfer id', () => {
    const resent = command({ transferId: 'producer-chosen-id' });
    const scope = idempotencyScope(TENANT, resent.idempotencyKey);
    const s = state([account('a', 100n), account('b', 0n)], {
      existing: new Map([
        [
          scope,
          {
            id: 'api-id',
            status: 'pending',
            requestHash: resent.requestHash,
            createdAt: new Date(0),
            expiresAt: null,
          },
        ],
      ]),
      transferIdOwners: new Map([['api-id', scope]]),
    });
    const d = decideBatch([resent], s);
    expect(d.outcomes.map((o) => [o.command.transferId, o.write, o.status])).toEqual([
      ['api-id', 'update', 'committed'],
    ]);
  });

  it("answers account_not_found for another tenant's frozen or closed account, and the precise reason for one's own", () => {
    const s = state([
      account('a', 100n),
      account('their-frozen', 0n, { tenantId: OTHER, status: 'frozen' }),
      account('their-closed', 0n, { tenantId: OTHER, status: 'closed' }),
      account('own-frozen', 0n, { status: 'frozen' }),
      account('own-closed', 0n, { status: 'closed' }),
    ]);
    const to = (id: string) => command({ destinationAccountId: id });
    const d = decideBatch(
      [to('their-frozen'), to('their-closed'), to('nowhere'), to('own-frozen'), to('own-closed')],
      s,
    );
    expect(d.outcomes.map((o) => o.reason)).toEqual([
      'account_not_found',
      'account_not_found',
      'account_not_found',
      'account_frozen',
      'account_closed',
    ]);
  });

  it("bounds each tenant by its own world account: one tenant's full account rejects only its own deposits", () => {
    const s = state([
      account(`${TENANT}:world:USD`, INT64_MIN + 10n, { kind: 'world', tenantId: TENANT }),
      account('a', 0n),
      account('o', 0n, { tenantId: OTHER }),
    ]);
    const deposit = (tenantId: string, to: string) =>
      command({ tenantId, kind: 'deposit', sourceAccountId: null, destinationAccountId: to, amount: 11n });
    const d = decideBatch([deposit(TENANT, 'a'), deposit(OTHER, 'o')], s);
    expect(d.outcomes.map((o) => [o.status, o.reason])).toEqual([
      ['rejected', 'amount_out_of_range'],
      ['committed', null],
    ]);
    expect(d.outcomes[1]!.entries.map((e) => e.accountId)).toEqual([`${OTHER}:world:USD`, 'o']);
  });

  it('rejects an amount beyond 64 bits as amount_out_of_range', () => {
    const d = decideBatch(
      [command({ amount: INT64_MAX + 1n }), command({ amount: 9_999_999_999_999_999_999n })],
      state([account('a', 100n), account('b', 0n)]),
    );
    expect(d.outcomes.map((o) => o.reason)).toEqual(['amount_out_of_range', 'amount_out_of_range']);
  });

  it('never overdraws a customer account and balances every currency, whatever the commands (property)', () => {
    const ids = ['a', 'b', 'c', 'e'];
    const arbCommand = fc.record({
      kind: fc.constantFrom('transfer', 'deposit', 'withdrawal') as fc.Arbitrary<Command['kind']>,
      from: fc.constantFrom(...ids),
      to: fc.constantFrom(...ids),
      amount: fc.bigInt({ min: 0n, max: 500n }),
      currency: fc.constantFrom('USD', 'EUR') as fc.Arbitrary<CurrencyCode>,
    });
    fc.assert(
      fc.property(
        fc.array(arbCommand, { maxLength: 60 }),
        fc.array(fc.bigInt({ min: 0n, max: 1_000n }), { minLength: 4, maxLength: 4 }),
        (specs, funds) => {
          const accounts = ids.map((id, i) =>
            account(id, funds[i]!, { currency: id === 'e' ? 'EUR' : 'USD' }),
          );
          const s = state(accounts);
          const commands = specs.map((x) =>
            command({
              kind: x.kind,
              sourceAccountId: x.kind === 'deposit' ? null : x.from,
              destinationAccountId: x.kind === 'withdrawal' ? null : x.to,
              amount: x.amount,
              currency: x.currency,
            }),
          );
          const d = decideBatch(commands, s);
          const net = new Map<string, bigint>();
          for (const o of d.outcomes)
            for (const e of o.entries) {
              net.set(e.currency, (net.get(e.currency) ?? 0n) + e.amount);
            }
          for (const sum of net.values()) expect(sum).toBe(0n);
          for (const a of accounts) {
            const final = d.balances.get(a.id) ?? a.balance;
            expect(final >= 0n).toBe(true);
            const moved = d.outcomes
              .flatMap((o) => o.entries)
              .filter((e) => e.accountId === a.id)
              .reduce((n, e) => n + e.amount, 0n);
            expect(final).toBe(a.balance + moved);
          }
          expect(d.outcomes.length + d.duplicates.length).toBe(commands.length);
        },
      ),
    );
  });
});
