import { randomUUID } from 'node:crypto';
import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

describe('what a transfer ends as', () => {
  let system: System;
  let admin: Client;
  beforeAll(async () => {
    system = await startSystem();
    admin = client(system.url, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await system.stop();
  });

  const submit = (api: Client, body: object) => api.post('/v1/transfers', body, idem());

  it('rejects with insufficient_funds and moves nothing when the balance is short', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const to = await fundedAccount(api, 'USD', 0);
    const res = await submit(api, {
      source_account_id: from,
      destination_account_id: to,
      amount: 101,
      currency: 'USD',
    });
    const final = await settled(api, res.body.id);
    expect(final.status).toBe('rejected');
    expect(final.reason.code).toBe('insufficient_funds');
    expect(final.entries).toEqual([]);
    expect((await api.get(`/v1/accounts/${from}`)).body.balance).toBe('100');
  });

  it.each([
    [
      'same_account',
      (a: string) => ({ source_account_id: a, destination_account_id: a, amount: 1, currency: 'USD' }),
    ],
    [
      'currency_mismatch',
      (a: string, b: string) => ({
        source_account_id: a,
        destination_account_id: b,
        amount: 1,
        currency: 'EUR',
      }),
    ],
  ])('rejects with %s', async (reason, body) => {
    const { api } = await newTenant(system.url);
    const a = await fundedAccount(api, 'USD', 100);
    const b = await fundedAccount(api, 'USD', 0);
    const final = await settled(api, (await submit(api, body(a, b))).body.id);
    expect(final.status).toBe('rejected');
    expect(final.reason.code).toBe(reason);
  });

  it('rejects transfers touching a frozen or a closed account', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 100);
    const frozen = await fundedAccount(api, 'USD', 0);
    const closed = await fundedAccount(api, 'USD', 0);
    await api.patch(`/v1/accounts/${frozen}`, { status: 'frozen' });
    await api.patch(`/v1/accounts/${closed}`, { status: 'closed' });
    const toFrozen = await settled(
      api,
      (
        await submit(api, {
          source_account_id: from,
          destination_account_id: frozen,
          amount: 1,
          currency: 'USD',
        })
      ).body.id,
    );
    const toClosed = await settled(
      api,
      (
        await submit(api, {
          source_account_id: from,
          destination_account_id: closed,
          amount: 1,
          currency: 'USD',
        })
      ).body.id,
    );
    expect(toFrozen.reason.code).toBe('account_frozen');
    expect(toClosed.reason.code).toBe('account_closed');
  });

  it("rejects paying another tenant's frozen or closed account as account_not_found, as if it did not exist", async () => {
    const payer = await newTenant(system.url);
    const payee = await newTenant(system.url);
    const from = await fundedAccount(payer.api, 'USD', 100);
    const frozen = await fundedAccount(payee.api, 'USD', 0);
    const closed = await fundedAccount(payee.api, 'USD', 0);
    await payee.api.patch(`/v1/accounts/${frozen}`, { status: 'frozen' });
    await payee.api.patch(`/v1/accounts/${closed}`, { status: 'closed' });
    const pay = async (to: string) =>
      settled(
        payer.api,
        (
          await submit(payer.api, {
            source_account_id: from,
            destination_account_id: to,
            amount: 1,
            currency: 'USD',
          })
        ).body.id,
      );
    for (const to of [frozen, closed])
      expect(await pay(to)).toMatchObject({ status: 'rejected', reason: { code: 'account_not_found' } });
    expect((await payer.api.get(`/v1/accounts/${from}`)).body.balance).toBe('100');
  });

  it('answers 404 naming the field when a tenant debits an account that is not its own', async () => {
    const victim = await newTenant(system.url);
    const thief = await newTenant(system.url);
    const victimAccount = await fundedAccount(victim.api, 'USD', 1_000);
    const thiefAccount = await fundedAccount(thief.api, 'USD', 0);
    const res = await submit(thief.api, {
      source_account_id: victimAccount,
      destination_account_id: thiefAccount,
      amount: 1_000,
      currency: 'USD',
    });
    expect(res.status).toBe(404);
    expect(res.body.error.details).toEqual([
      { field: 'source_account_id', reason: 'no such account', code: 'account_not_found' },
    ]);
    expect((await victim.api.get(`/v1/accounts/${victimAccount}`)).body.balance).toBe('1000');
  });

  it('lets a tenant pay another business, which can then read the transfer it received', async () => {
    const payer = await newTenant(system.url);
    const payee = await newTenant(system.url);
    const from = await fundedAccount(payer.api, 'GBP', 5_000);
    const to = await fundedAccount(payee.api, 'GBP', 0);
    const res = await submit(payer.api, {
      source_account_id: from,
      destination_account_id: to,
      amount: 1_234,
      currency: 'GBP',
    });
    expect((await settled(payer.api, res.body.id)).status).toBe('committed');

    expect((await payee.api.get(`/v1/accounts/${to}`)).body.balance).toBe('1234');
    expect((await payee.api.get(`/v1/transfers/${res.body.id}`)).body.amount).toBe('1234');
    const stranger = await newTenant(system.url);
    expect((await stranger.api.get(`/v1/transfers/${res.body.id}`)).status).toBe(404);
    expect((await payee.api.get(`/v1/accounts/${from}`)).status).toBe(404);
  });

  it('moves deposits and withdrawals through the currency world account, so the currency sums to zero', async () => {
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'CHF', 10_000);
    const out = await settled(
      api,
      (await submit(api, { kind: 'withdrawal', source_account_id: account, amount: 4_000, currency: 'CHF' }))
        .body.id,
    );
    expect(out.status).toBe('committed');
    expect(out.entries.map((e: { direction: string }) => e.direction)).toEqual(['debit', 'credit']);
    expect((await api.get(`/v1/accounts/${account}`)).body.balance).toBe('6000');
    const sums = await system.pool.query(
      "SELECT sum(balance)::text AS s FROM accounts WHERE currency = 'CHF'",
    );
    expect(sums.rows[0].s).toBe('0');
  });

  it('moves amounts beyond 2^53 exactly when sent as strings, and refuses them as JSON numbers', async () => {
    const { api } = await newTenant(system.url);
    const big = '9007199254740993'; // 2^53 + 1
    const from = await fundedAccount(api, 'JPY', big);
    const to = await fundedAccount(api, 'JPY', 0);
    const ok = await settled(
      api,
      (
        await submit(api, {
          source_account_id: from,
          destination_account_id: to,
          amount: big,
          currency: 'JPY',
        })
      ).body.id,
    );
    expect(ok.status).toBe('committed');
    expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe(big);

    const asNumber = await api.raw(
      'POST',
      '/v1/transfers',
      `{"source_account_id":"${to}","destination_account_id":"${from}","amount":9007199254740993,"currency":"JPY"}`,
      { 'idempotency-key': randomUUID(), 'content-type': 'application/json' },
    );
    expect(asNumber.status).toBe(400);
    expect(asNumber.body.error.details[0].field).toBe('amount');
  });

  it('converts across currencies at the rate in force, rounding half to even, through the FX house accounts', async () => {
    // 1 KWD = 3.25 USD: 1.005 KWD (1005 fils) -> 3.26625 USD -> 327 cents (not a tie) ;
    // 0.002 KWD (2 fils) -> 0.0065 USD = 0.65 cents -> 1 cent; 0.006 KWD -> 1.95 cents -> 2 cents.
    expect((await admin.put('/v1/admin/fx-rates/KWD/USD', { rate: '3.25' })).status).toBe(200);
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'KWD', 10_000);
    const to = await fundedAccount(api, 'USD', 0);
    const final = await settled(
      api,
      (
        await submit(api, {
          source_account_id: from,
          destination_account_id: to,
          amount: 1_005,
          currency: 'KWD',
        })
      ).body.id,
    );

    expect(final.status).toBe('committed');
    expect(final.rate).toBe('3.25');
    expect(final.destination_amount).toBe('327');
    expect(final.destination_currency).toBe('USD');
    expect(final.entries).toHaveLength(4);
    expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe('327');
    for (const currency of ['KWD', 'USD']) {
      const sums = await system.pool.query(
        'SELECT sum(balance)::text AS s FROM accounts WHERE currency = $1',
        [currency],
      );
      expect(sums.rows[0].s).toBe('0');
    }
  });

  it('rejects with fx_rate_unavailable when no rate links the currencies', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'BRL', 100);
    const to = await fundedAccount(api, 'AED', 0);
    await system.pool.query("DELETE FROM fx_rates WHERE (base, quote) IN (('BRL','AED'), ('AED','BRL'))");
    const final = await settled(
      api,
      (
        await submit(api, {
          source_account_id: from,
          destination_account_id: to,
          amount: 10,
          currency: 'BRL',
        })
      ).body.id,
    );
    expect(final.reason.code).toBe('fx_rate_unavailable');
  });

  it('waits for the final state with Prefer: wait and lists transfers with filters and cursors', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'CAD', 1_000);
    const to = await fundedAccount(api, 'CAD', 0);
    const ids: string[] = [];
    for (const amount of [1, 2, 3, 5_000])
      ids.push(
        (await submit(api, { source_account_id: from, destination_account_id: to, amount, currency: 'CAD' }))
          .body.id,
      );
    const waited = await api.get(`/v1/transfers/${ids[3]}`, { prefer: 'wait=10' });
    expect(waited.body.status).not.toBe('pending');
    for (const id of ids) await settled(api, id);

    const rejected = await api.get(`/v1/transfers?account_id=${to}&status=rejected`);
    expect(rejected.body.data.map((t: { id: string }) => t.id)).toEqual([ids[3]]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; next_cursor: string | null } } = await api.get(
        `/v1/transfers?account_id=${from}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.data.map((t) => t.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    // The funding deposit and the four transfers, each exactly once.
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(ids.every((id) => seen.includes(id))).toBe(true);
  });
});
