import { randomUUID } from 'node:crypto';
import { fundedAccount, newTenant, settled } from '../support/client';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { startSystem, type System } from '../support/system';

describe('many transfers at once among a few accounts, one of them hot', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  it('commits exactly the transfers the funds allow and keeps the books balanced', async () => {
    const { api } = await newTenant(system.url);
    const hot = await fundedAccount(api, 'USD', 1_000);
    const others = await Promise.all([500, 300, 0, 0].map((amount) => fundedAccount(api, 'USD', amount)));
    const all = [hot, ...others];
    // Every account sends 100 six times to the hot account or from it: 1,000 + 500 + 300 of funds
    // cannot cover all of them, so some must be rejected for funds, and none may overdraw.
    const plans = Array.from({ length: 120 }, (_, i) => {
      const other = others[i % others.length]!;
      return i % 2 === 0 ? { from: hot, to: other } : { from: other, to: hot };
    });
    const replies = await Promise.all(
      plans.map(({ from, to }) =>
        api.post(
          '/v1/transfers',
          { source_account_id: from, destination_account_id: to, amount: 100, currency: 'USD' },
          { 'idempotency-key': randomUUID() },
        ),
      ),
    );
    expect(replies.every((r) => r.status === 202)).toBe(true);
    const finals = await Promise.all(replies.map((r) => settled(api, r.body.id)));

    const committed = finals.filter((t) => t.status === 'committed');
    const rejected = finals.filter((t) => t.status === 'rejected');
    expect(committed.length + rejected.length).toBe(120);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((t) => t.reason.code === 'insufficient_funds')).toBe(true);

    // Replaying the committed transfers from the initial balances gives the final balances.
    const expected = new Map<string, bigint>([
      [hot, 1_000n],
      [others[0]!, 500n],
      [others[1]!, 300n],
      [others[2]!, 0n],
      [others[3]!, 0n],
    ]);
    for (const t of committed) {
      expected.set(t.source_account_id, expected.get(t.source_account_id)! - 100n);
      expected.set(t.destination_account_id, expected.get(t.destination_account_id)! + 100n);
    }
    for (const id of all)
      expect((await api.get(`/v1/accounts/${id}`)).body.balance).toBe(expected.get(id)!.toString());
    expect(await ledgerViolations(system.pool, all)).toEqual([]);
  });
});
