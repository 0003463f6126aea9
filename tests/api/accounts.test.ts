import { randomInt } from 'node:crypto';
import { CURRENCIES, type CurrencyCode } from '../../contracts/src';
import { client, fundedAccount, idem, newTenant, settled, type Client, type Reply } from '../support/client';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

const expectError = (res: Reply, status: number, code: string) => {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
};

const openAccount = async (api: Client, currency: string, name = `acct ${currency}`) => {
  const res = await api.post('/v1/accounts', { name, currency });
  if (res.status !== 201)
    throw new Error(`account creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
};

/** Submits a transfer and waits for its final state. */
const transfer = async (api: Client, body: Record<string, unknown>) => {
  const submitted = await api.post('/v1/transfers', body, idem());
  if (submitted.status !== 202)
    throw new Error(`transfer refused: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  return settled(api, submitted.body.id);
};

const deposit = (api: Client, accountId: string, amount: string | number, currency: string) =>
  transfer(api, { kind: 'deposit', destination_account_id: accountId, amount, currency });

/** Follows next_cursor from the first page to the last, returning every page. */
async function allPages(api: Client, path: string): Promise<Reply[]> {
  const pages: Reply[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await api.get(cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`);
    expect(res.status).toBe(200);
    pages.push(res);
    cursor = res.body.next_cursor;
  } while (cursor !== null && pages.length < 50);
  return pages;
}

describe('accounts: multi-currency, metadata, status, balance, statement, isolation', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  describe('POST /v1/accounts', () => {
    it.each(['USD', 'EUR', 'GBP', 'JPY', 'KWD', 'AED'])(
      'opens an active %s account with a zero balance and a Location',
      async (currency) => {
        const { api } = await newTenant(system.url);

        const res = await api.post('/v1/accounts', {
          name: `Treasury ${currency}`,
          currency,
          metadata: { desk: 'fx' },
        });

        expect(res.status).toBe(201);
        expect(res.headers.get('location')).toBe(`/v1/accounts/${res.body.id}`);
        expect(res.body).toEqual({
          id: expect.any(String),
          name: `Treasury ${currency}`,
          currency,
          status: 'active',
          balance: '0',
          held: '0',
          available: '0',
          metadata: { desk: 'fx' },
          created_at: expect.any(String),
          updated_at: expect.any(String),
        });
      },
    );

    it('holds amounts in minor units exactly, beyond 2^53 (JPY has no minor unit)', async () => {
      const { api } = await newTenant(system.url);
      const yen = await openAccount(api, 'JPY');

      const committed = await deposit(api, yen, '9007199254740993', 'JPY');

      expect(committed.status).toBe('committed');
      expect((await api.get(`/v1/accounts/${yen}`)).body.balance).toBe('9007199254740993');
    });

    it('holds KWD in fils (three decimals) as given', async () => {
      const { api } = await newTenant(system.url);
      const dinar = await fundedAccount(api, 'KWD', '1005');

      expect((await api.get(`/v1/accounts/${dinar}`)).body).toMatchObject({
        currency: 'KWD',
        balance: '1005',
      });
    });

    it.each(['XXX', 'usd', 'US', 'BTC', ''])(
      'when the currency is %p, answers 400 naming `currency`',
      async (currency) => {
        const { api } = await newTenant(system.url);

        const res = await api.post('/v1/accounts', { name: 'Wallet', currency });

        expectError(res, 400, 'validation_failed');
        expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'currency' })]);
      },
    );

    it('when the name is missing, answers 400 naming `name`', async () => {
      const { api } = await newTenant(system.url);

      const res = await api.post('/v1/accounts', { currency: 'USD' });

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'name' })]);
    });

    it('when an unknown field is sent, answers 400 rather than ignoring it', async () => {
      const { api } = await newTenant(system.url);

      const res = await api.post('/v1/accounts', { name: 'Wallet', currency: 'USD', balance: '1000000' });

      expectError(res, 400, 'validation_failed');
    });

    it('accepts metadata at its bounds: 50 keys, 40-character keys, 500-character values', async () => {
      const { api } = await newTenant(system.url);
      const metadata = Object.fromEntries(
        Array.from({ length: 50 }, (_, i) => [
          `${String(i).padStart(2, '0')}${'k'.repeat(38)}`,
          'v'.repeat(500),
        ]),
      );

      const res = await api.post('/v1/accounts', { name: 'Full', currency: 'USD', metadata });

      expect(res.status).toBe(201);
      expect(res.body.metadata).toEqual(metadata);
    });

    it.each([
      ['51 keys', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`key${i}`, 'v']))],
      ['a 41-character key', { ['k'.repeat(41)]: 'v' }],
      ['an empty key', { '': 'v' }],
      ['a 501-character value', { note: 'v'.repeat(501) }],
      ['a non-string value', { count: 3 }],
    ])('when metadata has %s, answers 400 naming `metadata`', async (_label, metadata) => {
      const { api } = await newTenant(system.url);

      const res = await api.post('/v1/accounts', { name: 'Wallet', currency: 'USD', metadata });

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([
        expect.objectContaining({ field: expect.stringMatching(/^metadata\b/) }),
      ]);
    });
  });

  describe('GET /v1/accounts/:id and GET /v1/accounts', () => {
    it('returns one account as it was created', async () => {
      const { api } = await newTenant(system.url);
      const created = await api.post('/v1/accounts', {
        name: 'Payroll',
        currency: 'GBP',
        metadata: { team: 'hr' },
      });

      const res = await api.get(`/v1/accounts/${created.body.id}`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual(created.body);
    });

    it('when the id is not a UUID, answers 400 naming `id`', async () => {
      const { api } = await newTenant(system.url);

      const res = await api.get('/v1/accounts/42');

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'id' })]);
    });

    it('when no account has the id, answers 404 not_found', async () => {
      const { api } = await newTenant(system.url);

      const res = await api.get('/v1/accounts/018f0000-0000-7000-8000-000000000000');

      expectError(res, 404, 'not_found');
    });

    it('pages through five accounts two at a time: each seen exactly once, next_cursor null on the last page', async () => {
      const { api } = await newTenant(system.url);
      const ids: string[] = [];
      for (const currency of ['USD', 'EUR', 'JPY', 'KWD', 'CHF']) ids.push(await openAccount(api, currency));

      const pages = await allPages(api, '/v1/accounts?limit=2');

      expect(pages.map((p) => p.body.data.length)).toEqual([2, 2, 1]);
      expect(pages.map((p) => p.body.next_cursor === null)).toEqual([false, false, true]);
      const seen = pages.flatMap((p) => p.body.data.map((a: { id: string }) => a.id));
      expect(seen).toHaveLength(5);
      expect([...seen].sort()).toEqual([...ids].sort());
    });

    it('when the limit is out of range, answers 400 naming `limit`', async () => {
      const { api } = await newTenant(system.url);

      for (const limit of ['0', '101', 'ten']) {
        const res = await api.get(`/v1/accounts?limit=${limit}`);
        expectError(res, 400, 'validation_failed');
        expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'limit' })]);
      }
    });

    it.each([
      ['garbage', 'not-a-cursor!'],
      ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
      ['a tuple of the wrong shape', Buffer.from(JSON.stringify([1, 2])).toString('base64url')],
      [
        'a well-formed tuple holding no account id',
        Buffer.from(JSON.stringify(['not-a-uuid'])).toString('base64url'),
      ],
    ])('when the cursor is %s, answers 400 naming `cursor`', async (_label, cursor) => {
      const { api } = await newTenant(system.url);
      await openAccount(api, 'USD');

      const res = await api.get(`/v1/accounts?limit=1&cursor=${encodeURIComponent(cursor)}`);

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'cursor' })]);
    });
  });

  describe('PATCH /v1/accounts/:id', () => {
    it('renames and replaces metadata, leaving the rest as it was', async () => {
      const { api } = await newTenant(system.url);
      const created = await api.post('/v1/accounts', { name: 'Old', currency: 'USD', metadata: { a: '1' } });

      const res = await api.patch(`/v1/accounts/${created.body.id}`, { name: 'New', metadata: { b: '2' } });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: created.body.id,
        name: 'New',
        metadata: { b: '2' },
        currency: 'USD',
        status: 'active',
      });
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));
      expect((await api.get(`/v1/accounts/${created.body.id}`)).body).toEqual(res.body);
    });

    it.each([
      ['an empty body', {}],
      ['an unknown status', { status: 'deleted' }],
      ['a currency change', { currency: 'EUR' }],
      ['a balance', { balance: '100' }],
    ])('when the body is %s, answers 400', async (_label, body) => {
      const { api } = await newTenant(system.url);
      const id = await openAccount(api, 'USD');

      const res = await api.patch(`/v1/accounts/${id}`, body);

      expectError(res, 400, 'validation_failed');
      expect((await api.get(`/v1/accounts/${id}`)).body).toMatchObject({
        currency: 'USD',
        status: 'active',
        balance: '0',
      });
    });

    it('freezing an account makes transfers debiting it rejected with account_frozen; unfreezing lets them through', async () => {
      const { api } = await newTenant(system.url);
      const from = await fundedAccount(api, 'USD', 1_000);
      const to = await openAccount(api, 'USD');

      const frozen = await api.patch(`/v1/accounts/${from}`, { status: 'frozen' });
      expect(frozen.status).toBe(200);
      expect(frozen.body.status).toBe('frozen');
      const refused = await transfer(api, {
        source_account_id: from,
        destination_account_id: to,
        amount: 100,
        currency: 'USD',
      });

      expect(refused.status).toBe('rejected');
      expect(refused.reason.code).toBe('account_frozen');
      expect(refused.entries).toEqual([]);
      expect((await api.get(`/v1/accounts/${from}`)).body.balance).toBe('1000');

      const thawed = await api.patch(`/v1/accounts/${from}`, { status: 'active' });
      expect(thawed.body.status).toBe('active');
      const accepted = await transfer(api, {
        source_account_id: from,
        destination_account_id: to,
        amount: 100,
        currency: 'USD',
      });
      expect(accepted.status).toBe('committed');
      expect((await api.get(`/v1/accounts/${from}`)).body.balance).toBe('900');
      expect((await api.get(`/v1/accounts/${to}`)).body.balance).toBe('100');
    });

    it('when closing an account that holds money, answers 409 account_not_empty and leaves it active', async () => {
      const { api } = await newTenant(system.url);
      const id = await fundedAccount(api, 'EUR', 1);

      const res = await api.patch(`/v1/accounts/${id}`, { status: 'closed' });

      expectError(res, 409, 'account_not_empty');
      expect((await api.get(`/v1/accounts/${id}`)).body.status).toBe('active');
    });

    it('closes an empty account for good: any later PATCH answers 409 account_closed', async () => {
      const { api } = await newTenant(system.url);
      const id = await fundedAccount(api, 'EUR', 500);
      const sink = await openAccount(api, 'EUR');
      expect(
        (
          await transfer(api, {
            source_account_id: id,
            destination_account_id: sink,
            amount: 500,
            currency: 'EUR',
          })
        ).status,
      ).toBe('committed');

      const closed = await api.patch(`/v1/accounts/${id}`, { status: 'closed' });

      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({ status: 'closed', balance: '0' });
      for (const change of [
        { status: 'active' },
        { status: 'frozen' },
        { name: 'Reopened' },
        { metadata: { x: 'y' } },
        { status: 'closed' },
      ]) {
        expectError(await api.patch(`/v1/accounts/${id}`, change), 409, 'account_closed');
      }
      expect((await api.get(`/v1/accounts/${id}`)).body).toMatchObject({
        status: 'closed',
        name: closed.body.name,
      });
    });
  });

  describe('GET /v1/accounts/:id/balance', () => {
    // The rate table is shared by every test in the database: this pair is set here only, and read
    // in the same test. Rate 0.9 from a 2-decimal to a 2-decimal currency makes x.5 ties at 25 and
    // 35 minor units, which tell banker's rounding from half-up (25 -> 23) and from truncation (35 -> 31).
    it('converts at the rate the operator set, stating the rate and half_even rounding', async () => {
      const set = await client(system.url).put(
        '/v1/admin/fx-rates/AUD/CHF',
        { rate: '0.9' },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      );
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ base: 'AUD', quote: 'CHF', rate: '0.9' });
      const { api } = await newTenant(system.url);
      const big = await fundedAccount(api, 'AUD', 100_000);
      const tieDown = await fundedAccount(api, 'AUD', 25);
      const tieUp = await fundedAccount(api, 'AUD', 35);

      const res = await api.get(`/v1/accounts/${big}/balance?currency=CHF`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        account_id: big,
        balance: '100000',
        held: '0',
        available: '100000',
        currency: 'AUD',
        as_of: null,
        converted: {
          amount: '90000',
          currency: 'CHF',
          rate: '0.9',
          rounding: 'half_even',
          rate_updated_at: set.body.updated_at,
        },
      });
      expect((await api.get(`/v1/accounts/${tieDown}/balance?currency=CHF`)).body.converted.amount).toBe(
        '22',
      );
      expect((await api.get(`/v1/accounts/${tieUp}/balance?currency=CHF`)).body.converted.amount).toBe('32');
    });

    it('without ?currency, or in the account’s own currency, answers the balance with converted null', async () => {
      const { api } = await newTenant(system.url);
      const id = await fundedAccount(api, 'GBP', 1234);

      for (const path of [`/v1/accounts/${id}/balance`, `/v1/accounts/${id}/balance?currency=GBP`]) {
        const res = await api.get(path);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          account_id: id,
          balance: '1234',
          held: '0',
          available: '1234',
          currency: 'GBP',
          as_of: null,
          converted: null,
        });
      }
    });

    it('when no rate is set between the two currencies, answers 422 fx_rate_unavailable', async () => {
      // A pair nobody has set, in either direction: chosen from the table rather than assumed.
      const { rows } = await system.pool.query<{ base: string; quote: string }>(
        'SELECT base, quote FROM fx_rates',
      );
      const set = new Set(rows.flatMap((r) => [`${r.base}/${r.quote}`, `${r.quote}/${r.base}`]));
      const codes = Object.keys(CURRENCIES) as CurrencyCode[];
      const unset = codes.flatMap((b) =>
        codes.filter((q) => q !== b && !set.has(`${b}/${q}`)).map((q) => [b, q] as const),
      );
      expect(unset.length).toBeGreaterThan(0);
      const [base, quote] = unset[randomInt(unset.length)]!;
      const { api } = await newTenant(system.url);
      const id = await fundedAccount(api, base, 100);

      const res = await api.get(`/v1/accounts/${id}/balance?currency=${quote}`);

      expectError(res, 422, 'fx_rate_unavailable');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'currency' })]);
    });

    it('when the currency asked for is not supported, answers 400 naming `currency`', async () => {
      const { api } = await newTenant(system.url);
      const id = await openAccount(api, 'USD');

      const res = await api.get(`/v1/accounts/${id}/balance?currency=XXX`);

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'currency' })]);
    });
  });

  describe('the admin FX route refuses anyone but the operator', () => {
    it.each([
      ['no credentials', () => ({})],
      ['a wrong admin token', () => ({ authorization: `Bearer ${ADMIN_TOKEN}x` })],
    ])('with %s, answers 401 admin_token_invalid', async (_label, headers) => {
      const res = await client(system.url).put('/v1/admin/fx-rates/AUD/CHF', { rate: '1000' }, headers());

      expectError(res, 401, 'admin_token_invalid');
    });

    it('with a tenant’s API key, answers 401 admin_token_invalid', async () => {
      const tenant = await newTenant(system.url);

      const res = await tenant.api.put('/v1/admin/fx-rates/AUD/CHF', { rate: '1000' });

      expectError(res, 401, 'admin_token_invalid');
    });

    it.each([
      ['a zero rate', '/v1/admin/fx-rates/AUD/CHF', { rate: '0' }, 'rate'],
      ['a negative rate', '/v1/admin/fx-rates/AUD/CHF', { rate: '-0.9' }, 'rate'],
      ['a float rate', '/v1/admin/fx-rates/AUD/CHF', { rate: 0.9 }, 'rate'],
      ['an exponent', '/v1/admin/fx-rates/AUD/CHF', { rate: '9e-1' }, 'rate'],
      ['the same currency twice', '/v1/admin/fx-rates/AUD/AUD', { rate: '1' }, 'quote'],
      ['an unsupported currency', '/v1/admin/fx-rates/AUD/XXX', { rate: '1' }, 'quote'],
    ])('with the admin token but %s, answers 400 naming the field', async (_label, path, body, field) => {
      const res = await client(system.url).put(path, body, { authorization: `Bearer ${ADMIN_TOKEN}` });

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field })]);
    });
  });

  describe('GET /v1/accounts/:id/entries (the statement)', () => {
    it('lists each entry in order with its running balance, paginated by cursor', async () => {
      const { api } = await newTenant(system.url);
      const id = await openAccount(api, 'USD');
      const other = await openAccount(api, 'USD');
      const d1 = await deposit(api, id, 1_000, 'USD');
      const t1 = await transfer(api, {
        source_account_id: id,
        destination_account_id: other,
        amount: 300,
        currency: 'USD',
      });
      const d2 = await deposit(api, id, 50, 'USD');
      const w1 = await transfer(api, {
        kind: 'withdrawal',
        source_account_id: id,
        amount: 750,
        currency: 'USD',
      });
      expect([d1, t1, d2, w1].map((t) => t.status)).toEqual([
        'committed',
        'committed',
        'committed',
        'committed',
      ]);

      const pages = await allPages(api, `/v1/accounts/${id}/entries?limit=3`);

      expect(pages.map((p) => p.body.data.length)).toEqual([3, 1]);
      const entries = pages.flatMap((p) => p.body.data);
      expect(entries.map((e) => [e.transfer_id, e.direction, e.amount, e.currency, e.balance_after])).toEqual(
        [
          [d1.id, 'credit', '1000', 'USD', '1000'],
          [t1.id, 'debit', '-300', 'USD', '700'],
          [d2.id, 'credit', '50', 'USD', '750'],
          [w1.id, 'debit', '-750', 'USD', '0'],
        ],
      );
      expect(new Set(entries.map((e) => e.id)).size).toBe(4);
      const times = entries.map((e) => Date.parse(e.created_at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect((await api.get(`/v1/accounts/${id}`)).body.balance).toBe('0');
    });

    it('filters by time range: from is inclusive, to is exclusive', async () => {
      const { api } = await newTenant(system.url);
      const id = await openAccount(api, 'EUR');
      const first = await deposit(api, id, 100, 'EUR');
      const second = await deposit(api, id, 20, 'EUR');
      const third = await deposit(api, id, 3, 'EUR');
      const all = (await api.get(`/v1/accounts/${id}/entries`)).body.data;
      expect(all.map((e: { transfer_id: string }) => e.transfer_id)).toEqual([first.id, second.id, third.id]);
      const secondAt: string = all[1].created_at;
      const thirdAt: string = all[2].created_at;

      const window = await api.get(`/v1/accounts/${id}/entries?from=${secondAt}&to=${thirdAt}`);
      const since = await api.get(`/v1/accounts/${id}/entries?from=${secondAt}`);
      const until = await api.get(`/v1/accounts/${id}/entries?to=${secondAt}`);

      expect(window.body.data.map((e: { balance_after: string }) => e.balance_after)).toEqual(['120']);
      expect(since.body.data.map((e: { balance_after: string }) => e.balance_after)).toEqual(['120', '123']);
      expect(until.body.data.map((e: { balance_after: string }) => e.balance_after)).toEqual(['100']);
    });

    it('when from is not a timestamp, answers 400 naming `from`', async () => {
      const { api } = await newTenant(system.url);
      const id = await openAccount(api, 'USD');

      const res = await api.get(`/v1/accounts/${id}/entries?from=yesterday`);

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'from' })]);
    });

    it('when the cursor was forged, answers 400 naming `cursor`', async () => {
      const { api } = await newTenant(system.url);
      const id = await fundedAccount(api, 'USD', 10);

      for (const cursor of ['%%%', Buffer.from(JSON.stringify(['twelve'])).toString('base64url')]) {
        const res = await api.get(`/v1/accounts/${id}/entries?cursor=${encodeURIComponent(cursor)}`);
        expectError(res, 400, 'validation_failed');
        expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'cursor' })]);
      }
    });
  });

  describe('isolation between tenants', () => {
    it('another tenant gets 404 not_found, never 403, on every route of someone else’s account, and does not list it', async () => {
      const owner = await newTenant(system.url);
      const stranger = await newTenant(system.url);
      const id = await fundedAccount(owner.api, 'USD', 700);
      await openAccount(stranger.api, 'USD');

      const reads = [
        await stranger.api.get(`/v1/accounts/${id}`),
        await stranger.api.patch(`/v1/accounts/${id}`, { name: 'mine now' }),
        await stranger.api.patch(`/v1/accounts/${id}`, { status: 'frozen' }),
        await stranger.api.get(`/v1/accounts/${id}/balance`),
        await stranger.api.get(`/v1/accounts/${id}/entries`),
      ];
      const listed = await stranger.api.get('/v1/accounts?limit=100');

      for (const res of reads) expectError(res, 404, 'not_found');
      const missing = await stranger.api.get('/v1/accounts/018f0000-0000-7000-8000-000000000000');
      expect(reads[0]!.body.error.message).toBe(missing.body.error.message);
      expect(listed.body.data.map((a: { id: string }) => a.id)).not.toContain(id);
      expect(listed.body.data).toHaveLength(1);
      expect((await owner.api.get(`/v1/accounts/${id}`)).body).toMatchObject({
        name: 'acct USD',
        status: 'active',
        balance: '700',
      });
    });
  });
});
