import { randomUUID } from 'node:crypto';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { fundedAccount, newTenant, settled, type Client } from '../support/client';
import { startSystem, type System } from '../support/system';

describe('holds, captures, voids and transfers at once on one hot account', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  const post = (api: Client, path: string, body?: object) =>
    api.post(path, body, { 'idempotency-key': randomUUID() });

  it('never overdraws available, closes every hold once, and a capture racing a void wins one way only', async () => {
    const { api } = await newTenant(system.url);
    const hot = await fundedAccount(api, 'USD', 1_000);
    const sinks = await Promise.all([0, 0, 0].map(() => fundedAccount(api, 'USD', 0)));
    const sink = (i: number) => sinks[i % sinks.length]!;

    // 40 holds of 50 and 40 transfers of 30 from the hot account (3,200 asked of 1,000), with
    // transfers into it meanwhile: some of each must be rejected for funds.
    const submissions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        if (i % 5 === 4)
          return post(api, '/v1/transfers', {
            kind: 'deposit',
            destination_account_id: hot,
            amount: 40,
            currency: 'USD',
          });
        if (i % 2 === 0)
          return post(api, '/v1/transfers', {
            source_account_id: hot,
            destination_account_id: sink(i),
            amount: 50,
            currency: 'USD',
            capture: 'manual',
          });
        return post(api, '/v1/transfers', {
          source_account_id: hot,
          destination_account_id: sink(i),
          amount: 30,
          currency: 'USD',
        });
      }),
    );
    expect(submissions.every((r) => r.status === 202)).toBe(true);
    const decided = await Promise.all(submissions.map((r) => settled(api, r.body.id)));
    const holds = decided.filter((t) => t.capture === 'manual');
    const held = holds.filter((t) => t.status === 'held');
    expect(held.length).toBeGreaterThan(0);
    expect(decided.some((t) => t.reason?.code === 'insufficient_funds')).toBe(true);

    // Each open hold gets a capture (of part of it) and a void at the same moment, and more
    // transfers and holds draw on the released money meanwhile.
    const followUps = await Promise.all(
      held.flatMap((h, i) => [
        post(api, `/v1/transfers/${h.id}/capture`, { amount: 1 + (i % 50) }),
        post(api, `/v1/transfers/${h.id}/void`),
        post(api, '/v1/transfers', {
          source_account_id: hot,
          destination_account_id: sink(i),
          amount: 20,
          currency: 'USD',
        }),
        post(api, '/v1/transfers', {
          source_account_id: hot,
          destination_account_id: sink(i),
          amount: 25,
          currency: 'USD',
          capture: 'manual',
        }),
      ]),
    );
    expect(followUps.every((r) => r.status === 202)).toBe(true);
    const outcomes = await Promise.all(followUps.map((r) => settled(api, r.body.id)));
    held.forEach((h, i) => {
      const [capture, voided] = [outcomes[4 * i]!, outcomes[4 * i + 1]!];
      const results = [capture.status, voided.status].sort();
      expect(results).toEqual(['committed', 'rejected']);
      expect([capture, voided].find((t) => t.status === 'rejected').reason.code).toBe('hold_not_open');
    });
    for (const h of held) {
      const after = (await api.get(`/v1/transfers/${h.id}`)).body;
      expect(['captured', 'voided']).toContain(after.status);
      expect(BigInt(after.hold.captured_amount) + BigInt(after.hold.released_amount)).toBe(50n);
    }

    // The account's held amount is its still-open holds (the second wave), and nothing is negative.
    const stillOpen = outcomes.filter((t) => t.status === 'held').reduce((s, t) => s + BigInt(t.amount), 0n);
    const account = (await api.get(`/v1/accounts/${hot}`)).body;
    expect(BigInt(account.held)).toBe(stillOpen);
    expect(BigInt(account.available)).toBeGreaterThanOrEqual(0n);
    expect(await ledgerViolations(system.pool, [hot, ...sinks])).toEqual([]);
  });
});
