import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Pool } from '../../platform/postgres';

/**
 * The database's own ceiling: the rows a committed transfer leaves (one transfer, two entries)
 * written by plain multi-row inserts, committed in transactions of `batch` transfers, with no
 * logic, no locks and no Kafka, into scratch copies of the ledger tables (same columns, indexes
 * and checks) so the books are not touched. Returns transfers written per second.
 */
export async function databaseLimit(
  pool: Pool,
  tenantId: string,
  accounts: string[],
  count: number,
  batch = 1_000,
) {
  const hash = createHash('sha256').update('db-limit').digest();
  const client = await pool.connect();
  await client.query('DROP TABLE IF EXISTS bench_limit_entries, bench_limit_transfers');
  await client.query('CREATE TABLE bench_limit_transfers (LIKE transfers INCLUDING ALL)');
  await client.query('CREATE TABLE bench_limit_entries (LIKE entries INCLUDING ALL)');
  const started = performance.now();
  try {
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      const ids = Array.from({ length: n }, () => uuidv7());
      const keys = ids.map((_, j) => `dbl-${i + j}`);
      const sources = ids.map((_, j) => accounts[(i + j) % accounts.length]!);
      const destinations = ids.map((_, j) => accounts[(i + j + 1) % accounts.length]!);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO bench_limit_transfers (id, tenant_id, idempotency_key, request_hash, kind, source_account_id, destination_account_id,
            destination_tenant_id, amount, currency, destination_amount, destination_currency, status, command, finalized_at)
         SELECT u.id, $4, u.k, $5, 'transfer', u.s, u.d, $4, 1, 'USD', 1, 'USD', 'committed', '{}', now()
           FROM unnest($1::uuid[], $2::text[], $3::uuid[], $6::uuid[]) AS u (id, k, s, d)`,
        [ids, keys, sources, tenantId, hash, destinations],
      );
      await client.query(
        `INSERT INTO bench_limit_entries (transfer_id, account_id, currency, amount, balance_after)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::bigint[])`,
        [
          [...ids, ...ids],
          [...sources, ...destinations],
          ids.flatMap(() => ['USD', 'USD']),
          [...ids.map(() => '-1'), ...ids.map(() => '1')],
          [...ids.map(() => '0'), ...ids.map(() => '0')],
        ],
      );
      await client.query('COMMIT');
    }
    return Math.round(count / ((performance.now() - started) / 1000));
  } finally {
    await client.query('DROP TABLE IF EXISTS bench_limit_entries, bench_limit_transfers');
    client.release();
  }
}
