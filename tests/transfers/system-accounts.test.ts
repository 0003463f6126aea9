import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

const AMOUNT_MAX = '100000000000000000'; // 10^17, the most one transfer may move

describe("each tenant's own system accounts", () => {
  let system: System;
  let admin: Client;
  beforeAll(async () => {
    system = await startSystem();
    admin = client(system.url, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await system.stop();
  });

  const deposit = (api: Client, account: string, amount: string) =>
    api.post(
      '/v1/transfers',
      { kind: 'deposit', destination_account_id: account, amount, currency: 'AED' },
      idem(),
    );

  it("keeps one tenant from exhausting another's deposits: a full world account rejects only its own tenant's", async () => {
    const greedy = await newTenant(system.url);
    const full = await fundedAccount(greedy.api, 'AED', 0);
    // 92 deposits of 10^17: the tenant's world account reaches -9.2 * 10^18, near the BIGINT bound.
    const accepted = await Promise.all(
      Array.from({ length: 92 }, () => deposit(greedy.api, full, AMOUNT_MAX)),
    );
    for (const res of accepted) expect((await settled(greedy.api, res.body.id)).status).toBe('committed');

    const more = await fundedAccount(greedy.api, 'AED', 0);
    const refused = await settled(greedy.api, (await deposit(greedy.api, more, AMOUNT_MAX)).body.id);
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'amount_out_of_range' } });

    const other = await newTenant(system.url);
    const empty = await fundedAccount(other.api, 'AED', 0);
    const ok = await settled(other.api, (await deposit(other.api, empty, AMOUNT_MAX)).body.id);
    expect(ok).toMatchObject({ status: 'committed', reason: null });
    expect((await other.api.get(`/v1/accounts/${empty}`)).body.balance).toBe(AMOUNT_MAX);

    const sum = await system.pool.query(
      "SELECT sum(balance)::text AS s FROM accounts WHERE currency = 'AED'",
    );
    expect(sum.rows[0].s).toBe('0');
  });

  it("converts through the paying tenant's own FX house accounts, which no tenant ever sees", async () => {
    expect((await admin.put('/v1/admin/fx-rates/GBP/CHF', { rate: '1.1' })).status).toBe(200);
    const payer = await newTenant(system.url);
    const payee = await newTenant(system.url);
    const from = await fundedAccount(payer.api, 'GBP', 1_000);
    const to = await fundedAccount(payee.api, 'CHF', 0);
    const res = await payer.api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 100, currency: 'GBP' },
      idem(),
    );
    const final = await settled(payer.api, res.body.id);
    expect(final.status).toBe('committed');

    const middle = final.entries.map((e: { account_id: string }) => e.account_id).slice(1, 3);
    const owners = await system.pool.query<{ tenant_id: string; kind: string; currency: string }>(
      'SELECT tenant_id, kind, currency FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY currency DESC',
      [middle],
    );
    expect(owners.rows).toEqual([
      { tenant_id: payer.id, kind: 'fx_house', currency: 'GBP' },
      { tenant_id: payer.id, kind: 'fx_house', currency: 'CHF' },
    ]);
    for (const id of middle) {
      expect((await payer.api.get(`/v1/accounts/${id}`)).status).toBe(404);
      const credit = await payer.api.post(
        '/v1/transfers',
        { source_account_id: from, destination_account_id: id, amount: 1, currency: 'GBP' },
        idem(),
      );
      expect(credit.status).toBe(404);
    }
    const listed = (await payer.api.get('/v1/accounts')).body.data.map((a: { id: string }) => a.id);
    expect(listed).toEqual([from]);
  });
});
