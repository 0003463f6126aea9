import { createHash, randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Pool } from '../../platform/postgres';
import { generateApiKey } from '../../api/src/domain/api-key';

export interface Seeded {
  tenantId: string;
  apiKey: string;
  accounts: string[];
}

/**
 * A bench tenant with `count` USD accounts, each funded by a real deposit (transfer + two
 * entries through the tenant's world account), written with set-based SQL so seeding takes seconds.
 */
export async function seedTenant(pool: Pool, count: number, funding: bigint): Promise<Seeded> {
  const tenantId = uuidv7();
  const key = generateApiKey();
  const accounts = Array.from({ length: count }, () => uuidv7());
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO tenants (id, name, email) VALUES ($1, $2, $3)', [
      tenantId,
      'Bench',
      `bench-${randomUUID()}@example.com`,
    ]);
    await client.query(
      "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash) VALUES ($1, $2, 'bench', $3, $4)",
      [uuidv7(), tenantId, key.prefix, key.hash],
    );
    await client.query(
      `INSERT INTO accounts (id, tenant_id, currency, name, balance)
       SELECT id, $2, 'USD', 'bench ' || ord, $3 FROM unnest($1::uuid[]) WITH ORDINALITY AS u (id, ord)`,
      [accounts, tenantId, funding.toString()],
    );
    // The tenant's own world account (migrations/0007_system_accounts_per_tenant.sql), created
    // here rather than by the processor's first deposit because the seed writes the deposits.
    const world = uuidv7();
    await client.query(
      "INSERT INTO accounts (id, tenant_id, kind, currency, name) VALUES ($1, $2, 'world', 'USD', 'world USD')",
      [world, tenantId],
    );
    const transfers = accounts.map(() => uuidv7());
    await client.query(
      `INSERT INTO transfers (id, tenant_id, idempotency_key, request_hash, kind, destination_account_id,
          destination_tenant_id, amount, currency, destination_amount, destination_currency, status, command, finalized_at)
       SELECT t, $3, 'seed-' || a, $4, 'deposit', a, $3, $5, 'USD', $5, 'USD', 'committed', '{}', now()
         FROM unnest($1::uuid[], $2::uuid[]) AS u (t, a)`,
      [transfers, accounts, tenantId, createHash('sha256').update('seed').digest(), funding.toString()],
    );
    await client.query(
      `INSERT INTO entries (transfer_id, account_id, currency, amount, balance_after)
       SELECT t, $3, 'USD', -$4::bigint, 0 FROM unnest($1::uuid[]) AS t
       UNION ALL SELECT t, a, 'USD', $4::bigint, $4::bigint FROM unnest($1::uuid[], $2::uuid[]) AS u (t, a)`,
      [transfers, accounts, world, funding.toString()],
    );
    // The world account's running balance, entry by entry, so the statement invariant holds.
    await client.query(
      `UPDATE entries e SET balance_after = x.running FROM (
         SELECT id, sum(amount) OVER (ORDER BY id) AS running FROM entries WHERE account_id = $1) x
        WHERE e.id = x.id AND e.account_id = $1`,
      [world],
    );
    await client.query(
      'UPDATE accounts SET balance = (SELECT sum(amount) FROM entries WHERE account_id = $1) WHERE id = $1',
      [world],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
  return { tenantId, apiKey: key.key, accounts };
}
