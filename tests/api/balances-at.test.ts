import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { client, fundedAccount, idem, newTenant, settled, type Client } from '../support/client';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

interface Entry {
  id: string;
  amount: string;
  balance_after: string;
  created_at: string;
}

const HOUR_MS = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Every entry of the account's statement, all pages, in statement (id) order. */
async function statementOf(api: Client, accountId: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const res = await api.get(
      `/v1/accounts/${accountId}/entries?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status).toBe(200);
    entries.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return entries;
}

/** The replay: the sum of the amounts of the entries the predicate keeps, from zero. */
const replay = (entries: Entry[], keep: (created_ms: number) => boolean) =>
  entries.filter((e) => keep(Date.parse(e.created_at))).reduce((sum, e) => sum + BigInt(e.amount), 0n);

type Step =
  | { kind: 'deposit'; amount: number }
  | { kind: 'withdrawal'; amount: number }
  | { kind: 'pay_out'; amount: number }
  | { kind: 'pay_in'; amount: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), amount: fc.integer({ min: 1, max: 10_000 }) }),
  fc.record({ kind: fc.constant('withdrawal' as const), amount: fc.integer({ min: 1, max: 10_000 }) }),
  fc.record({ kind: fc.constant('pay_out' as const), amount: fc.integer({ min: 1, max: 10_000 }) }),
  fc.record({ kind: fc.constant('pay_in' as const), amount: fc.integer({ min: 1, max: 10_000 }) }),
);

describe('balances at a point in time', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  /** Runs the steps one after the other through the API (rejections for lack of funds included). */
  async function run(api: Client, account: string, other: string, steps: Step[]) {
    for (const s of steps) {
      const body =
        s.kind === 'deposit'
          ? { kind: 'deposit', destination_account_id: account }
          : s.kind === 'withdrawal'
            ? { kind: 'withdrawal', source_account_id: account }
            : s.kind === 'pay_out'
              ? { source_account_id: account, destination_account_id: other }
              : { source_account_id: other, destination_account_id: account };
      const res = await api.post('/v1/transfers', { ...body, amount: s.amount, currency: 'EUR' }, idem());
      expect(res.status).toBe(202);
      await settled(api, res.body.id);
    }
  }

  /**
   * The answers against a replay of the statement: at every entry time, 1 ms either side, before
   * the first entry (0), after the last (the current balance) and at a few instants drawn from
   * `seed`; and the history of intervals ending at each entry time.
   */
  async function agreesWithStatement(api: Client, account: string, seed: number) {
    const entries = await statementOf(api, account);
    const current = (await api.get(`/v1/accounts/${account}/balance`)).body.balance as string;

    // The statement itself: running balances are the replay of the amounts, in id order, and
    // entry times never go back (what makes "at or before an instant" a prefix).
    let running = 0n;
    for (const [i, e] of entries.entries()) {
      running += BigInt(e.amount);
      expect(e.balance_after).toBe(running.toString());
      if (i > 0)
        expect(Date.parse(e.created_at)).toBeGreaterThanOrEqual(Date.parse(entries[i - 1]!.created_at));
    }
    expect(running.toString()).toBe(current);

    const times = entries.map((e) => Date.parse(e.created_at));
    const first = times[0] ?? Date.now();
    const last = times[times.length - 1] ?? Date.now();
    const instants = new Set<number>([
      first - 1,
      last + 1,
      last + 10 * HOUR_MS,
      Date.parse('0001-01-01T00:00:00Z'),
    ]);
    for (const t of times) [t - 1, t, t + 1].forEach((i) => instants.add(i));
    // A few more between the first and the last entry, drawn from the case's own seed.
    for (let k = 1; k <= 3; k++) instants.add(first + ((seed * k) % Math.max(1, last - first + 1)));

    for (const t of instants) {
      const at = await api.get(`/v1/accounts/${account}/balance?at=${encodeURIComponent(iso(t))}`);
      expect(at.status).toBe(200);
      expect(at.body).toMatchObject({
        account_id: account,
        currency: expect.any(String),
        as_of: iso(t),
        converted: null,
      });
      expect(at.body.balance).toBe(replay(entries, (c) => c <= t).toString());
    }
    expect((await api.get(`/v1/accounts/${account}/balance?at=${iso(first - 1)}`)).body.balance).toBe('0');
    expect((await api.get(`/v1/accounts/${account}/balance?at=${iso(last + 1)}`)).body.balance).toBe(current);

    // The history: intervals of an hour ending at each entry time, the last one cut at `to`.
    for (const t of new Set(times)) {
      const res = await api.get(
        `/v1/accounts/${account}/balance-history?interval=hour&from=${iso(t - 2 * HOUR_MS)}&to=${iso(t + 1)}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.data.map((p: { closing_balance: string }) => p.closing_balance)).toEqual([
        '0',
        replay(entries, (c) => c < t).toString(),
        replay(entries, (c) => c <= t).toString(),
      ]);
      expect(Date.parse(res.body.data[2].end)).toBe(t + 1);
    }
  }

  it('agrees with a replay of the statement at every entry time, around it, before the first and after the last', async () => {
    const { api } = await newTenant(system.url);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), fc.nat(), async (steps, seed) => {
        const account = (await api.post('/v1/accounts', { name: 'a', currency: 'EUR' })).body.id as string;
        const other = await fundedAccount(api, 'EUR', 20_000);
        await run(api, account, other, steps);
        await agreesWithStatement(api, account, seed);
      }),
      { numRuns: 8 },
    );
  });

  it('agrees with the statement when many payers credit the account at once (batches of several partitions racing for its row lock)', async () => {
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'GBP', 0);
    const payers = await Promise.all(Array.from({ length: 8 }, () => fundedAccount(api, 'GBP', 1_000)));
    const submitted = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api.post(
          '/v1/transfers',
          {
            source_account_id: payers[i % payers.length],
            destination_account_id: account,
            amount: 1 + i,
            currency: 'GBP',
          },
          idem(),
        ),
      ),
    );
    await Promise.all(submitted.map((s) => settled(api, s.body.id)));
    expect((await api.get(`/v1/accounts/${account}/balance`)).body.balance).toBe(String((40 * 41) / 2));
    await agreesWithStatement(api, account, 7);
  });

  it('states the intervals exactly: fixed lengths from `from`, the last one ending at `to`, microseconds kept', async () => {
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'USD', 500);
    const res = await api.get(
      `/v1/accounts/${account}/balance-history?interval=day&from=2026-03-28T00:00:00.000001%2B01:00&to=2026-03-30T12:00:00Z`,
    );
    expect(res.status).toBe(200);
    // 24 hours each, whatever the calendar (a daylight-saving change falls on 2026-03-29 in Europe).
    expect(res.body).toEqual({
      account_id: account,
      currency: 'USD',
      interval: 'day',
      data: [
        { start: '2026-03-27T23:00:00.000001Z', end: '2026-03-28T23:00:00.000001Z', closing_balance: '0' },
        { start: '2026-03-28T23:00:00.000001Z', end: '2026-03-29T23:00:00.000001Z', closing_balance: '0' },
        { start: '2026-03-29T23:00:00.000001Z', end: '2026-03-30T12:00:00.000000Z', closing_balance: '0' },
      ],
    });
    const later = await api.get(
      `/v1/accounts/${account}/balance-history?interval=day&from=${iso(Date.now() - 86_400_000)}&to=${iso(Date.now() + 1000)}`,
    );
    expect(later.body.data.map((p: { closing_balance: string }) => p.closing_balance)).toEqual([
      '500',
      '500',
    ]);
  });

  it('converts a past balance at the current rate when a currency is asked for too', async () => {
    // This pair is set here only (the rate table is shared by every test of the database).
    const set = await client(system.url).put(
      '/v1/admin/fx-rates/CAD/BRL',
      { rate: '4' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(set.status).toBe(200);
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'CAD', 300);
    const [entry] = await statementOf(api, account);
    const deposit = await api.post(
      '/v1/transfers',
      { kind: 'deposit', destination_account_id: account, amount: 700, currency: 'CAD' },
      idem(),
    );
    await settled(api, deposit.body.id);

    const res = await api.get(`/v1/accounts/${account}/balance?currency=BRL&at=${entry!.created_at}`);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      balance: '300',
      currency: 'CAD',
      as_of: entry!.created_at,
      converted: { amount: '1200', currency: 'BRL', rate: '4', rounding: 'half_even' },
    });
  });

  it("answers 404 for another tenant's account, as for one that does not exist", async () => {
    const owner = await newTenant(system.url);
    const account = await fundedAccount(owner.api, 'USD', 100);
    const stranger = await newTenant(system.url);
    const now = iso(Date.now());
    for (const id of [account, randomUUID()]) {
      const at = await stranger.api.get(`/v1/accounts/${id}/balance?at=${now}`);
      const history = await stranger.api.get(
        `/v1/accounts/${id}/balance-history?interval=day&from=2026-01-01T00:00:00Z&to=${now}`,
      );
      expect([at.status, at.body.error.code]).toEqual([404, 'not_found']);
      expect([history.status, history.body.error.code]).toEqual([404, 'not_found']);
    }
  });

  it.each([
    ['balance?at=yesterday', 'at', 'invalid_format'],
    ['balance?at=2026-01-01T00:00:00%2B15:00', 'at', 'offset_out_of_range'],
    ['balance?at=0000-12-31T23:00:00Z', 'at', 'date_out_of_range'],
    [
      'balance-history?interval=week&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
      'interval',
      'invalid_value',
    ],
    ['balance-history?interval=hour&to=2026-01-02T00:00:00Z', 'from', 'invalid_type'],
    ['balance-history?interval=hour&from=2026-01-02T00:00:00Z&to=2026-01-02T00:00:00Z', 'to', 'range_empty'],
    // 1,001 hours: one interval beyond the bound.
    [
      'balance-history?interval=hour&from=2026-01-01T00:00:00Z&to=2026-02-11T16:00:00.001Z',
      'to',
      'too_many_intervals',
    ],
    [
      'balance-history?interval=day&from=2026-01-01T00:00:00Z&to=2099-01-01T00:00:00Z',
      'to',
      'too_many_intervals',
    ],
  ])('refuses %s with a 400 naming %s', async (query, field, code) => {
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'USD', 0);
    const res = await api.get(`/v1/accounts/${account}/${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ field, code }));
  });

  it('answers exactly 1,000 intervals, the bound', async () => {
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'USD', 0);
    const res = await api.get(
      `/v1/accounts/${account}/balance-history?interval=hour&from=2026-01-01T00:00:00Z&to=2026-02-11T16:00:00Z`,
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1000);
  });

  it('never dates an entry before the previous change of its account, even when that change is later than the processor clock', async () => {
    // What a batch committed by another partition, or by a processor whose clock is ahead, leaves:
    // the account's last change at a time later than this batch's own clock reading.
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'USD', 100);
    const ahead = new Date(Date.now() + HOUR_MS);
    await system.pool.query('UPDATE accounts SET updated_at = $2 WHERE id = $1', [account, ahead]);
    const deposit = await api.post(
      '/v1/transfers',
      { kind: 'deposit', destination_account_id: account, amount: 50, currency: 'USD' },
      idem(),
    );
    await settled(api, deposit.body.id);

    const entries = await statementOf(api, account);

    expect(entries.map((e) => e.balance_after)).toEqual(['100', '150']);
    expect(entries[1]!.created_at).toBe(ahead.toISOString());
  });
});
