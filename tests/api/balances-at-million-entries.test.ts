import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { balanceAt, closingBalances } from '../../api/src/data-access/balances-at';
import { BALANCE_HISTORY_INTERVALS_MAX } from '../../contracts/src';
import { createPool, type Pool } from '../../platform/postgres';

/*
 * The point-in-time queries on an account with 1,000,000 entries, timed. The entries go into a
 * copy of the entries table in a schema of this file's own (the books are append-only: rows put
 * in the shared table could never be taken out, and would unbalance it), built with the real
 * index's definition as migrated, and dropped at the end. The queries are the API's own
 * (api/src/data-access/balances-at.ts); search_path points them at the copy.
 */

const ENTRIES = 1_000_000;
const BASE_MS = Date.parse('2024-01-01T00:00:00Z');
/** Entries come in batches of two (the same created_at), one batch a minute: ≈ 347 days. */
const BATCH_STEP_MS = 60_000;
const LATENCY_MAX_MS = 50;
const RUNS = 9;

/**
 * Entry i (1-based) of the account: +100 when i is odd, -60 when even, so its balance_after is
 * 20(i-1)+100 or 20i; created at BASE + floor((i-1)/2) minutes.
 */
function expectedBalanceAt(instant_ms: number): bigint {
  if (instant_ms < BASE_MS) return 0n;
  const batches = Math.floor((instant_ms - BASE_MS) / BATCH_STEP_MS) + 1;
  const last = Math.min(2 * batches, ENTRIES);
  return BigInt(last % 2 === 1 ? 20 * (last - 1) + 100 : 20 * last);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; median_ms: number }> {
  await fn(); // warm: the first call also plans and reads the index pages in
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    result = await fn();
    times.push(performance.now() - started);
  }
  return { result, median_ms: median(times) };
}

describe('balances at a point in time on an account with 1,000,000 entries', () => {
  const schema = `balances_1m_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const account = randomUUID();
  const counterparty = randomUUID();
  let admin: Pool;
  let pool: Pool;

  beforeAll(async () => {
    admin = createPool({ url: process.env.DATABASE_URL!, max: 1, applicationName: 'test-1m-setup' });
    const { rows } = await admin.query<{ def: string }>(
      `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
        WHERE i.indexrelid = 'public.entries_account_time'::regclass`,
    );
    const indexDefinition = rows[0]!.def.replace(' ON public.entries ', ` ON ${schema}.entries `);
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(
      `CREATE TABLE ${schema}.entries (LIKE public.entries INCLUDING DEFAULTS INCLUDING IDENTITY)`,
    );
    // One statement; the account's entries and their other side (a world account) alternate, as
    // a batch writes them. The index is built after the load, as one would for a bulk load.
    const started = performance.now();
    await admin.query(
      `INSERT INTO ${schema}.entries (transfer_id, account_id, currency, amount, balance_after, created_at)
       SELECT $1::uuid, side.account_id, 'USD', side.sign * a.amount, side.sign * a.balance_after, a.created_at
         FROM (SELECT CASE WHEN i % 2 = 1 THEN 100 ELSE -60 END AS amount,
                      CASE WHEN i % 2 = 1 THEN 20 * (i - 1) + 100 ELSE 20 * i END AS balance_after,
                      $2::timestamptz + ((i - 1) / 2) * interval '1 minute' AS created_at, i
                 FROM generate_series(1, $3::int) AS i) a
        CROSS JOIN (VALUES ($4::uuid, 1), ($5::uuid, -1)) AS side (account_id, sign)
        ORDER BY a.i, side.sign DESC`,
      [randomUUID(), new Date(BASE_MS), ENTRIES, account, counterparty],
    );
    await admin.query(indexDefinition);
    await admin.query(`VACUUM ANALYZE ${schema}.entries`);
    const seeding_ms = performance.now() - started;
    console.info(`seeded ${2 * ENTRIES} entries (${ENTRIES} on the account) in ${Math.round(seeding_ms)} ms`);

    // The connection's search_path, set at connect (libpq's `options`): the copy first.
    const url = process.env.DATABASE_URL!;
    const options = encodeURIComponent(`-c search_path=${schema},public`);
    pool = createPool({
      url: `${url}${url.includes('?') ? '&' : '?'}options=${options}`,
      max: 1,
      applicationName: 'test-1m',
    });
  }, 180_000);

  afterAll(async () => {
    await pool?.end();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  it('holds the entries it was seeded with', async () => {
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM entries WHERE account_id = $1',
      [account],
    );
    expect(rows[0]!.n).toBe(String(ENTRIES));
  });

  it(`answers the balance at an instant in under ${LATENCY_MAX_MS} ms, exactly`, async () => {
    const instants = [
      BASE_MS - 1,
      BASE_MS,
      BASE_MS + 90_000,
      BASE_MS + 123 * 86_400_000 + 17,
      BASE_MS + (ENTRIES / 2 - 1) * BATCH_STEP_MS,
      BASE_MS + 400 * 86_400_000,
    ];
    for (const t of instants) {
      const { result, median_ms } = await timed(() => balanceAt(pool, account, new Date(t).toISOString()));
      expect(result).toBe(expectedBalanceAt(t).toString());
      expect(median_ms).toBeLessThan(LATENCY_MAX_MS);
      console.info(`balance at ${new Date(t).toISOString()}: median ${median_ms.toFixed(2)} ms`);
    }
  });

  it.each([
    ['hour', '2024-05-01T00:00:00Z', '2024-06-11T16:00:00Z'],
    ['day', '2023-12-01T00:00:00Z', '2026-08-27T00:00:00Z'],
  ] as const)(
    `answers ${BALANCE_HISTORY_INTERVALS_MAX} closing balances of an %s in under ${LATENCY_MAX_MS} ms, exactly`,
    async (interval, from, to) => {
      const { result, median_ms } = await timed(() =>
        closingBalances(pool, {
          accountId: account,
          from,
          to,
          interval,
          intervals_max: BALANCE_HISTORY_INTERVALS_MAX,
        }),
      );
      expect(result).toHaveLength(BALANCE_HISTORY_INTERVALS_MAX);
      for (const point of result)
        // Closing balance: entries created before the end, i.e. at or before the instant 1 ms earlier.
        expect(point.closing_balance).toBe(expectedBalanceAt(Date.parse(point.end) - 1).toString());
      expect(median_ms).toBeLessThan(LATENCY_MAX_MS);
      console.info(`history of ${result.length} ${interval}s: median ${median_ms.toFixed(2)} ms`);
    },
  );

  it('reads each closing balance from the index alone, one descent per interval', async () => {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT balance_after FROM entries WHERE account_id = $1 AND created_at <= $2::timestamptz
        ORDER BY created_at DESC, id DESC LIMIT 1`,
      [account, '2024-06-01T00:00:00Z'],
    );
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(
      /Limit[\s\S]*Index Only Scan Backward using entries_account_time/,
    );
  });
});
