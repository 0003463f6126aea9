import { randomUUID } from 'node:crypto';
import { ledgerViolations } from '../../domain/ledger-invariants';
import { fundedAccount, newTenant } from '../support/client';
import { startSystem, type System } from '../support/system';

describe('the books are append-only and checked for orphans', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  it.each(['tenants', 'accounts', 'transfers', 'entries'])('refuses DELETE on %s', async (table) => {
    await expect(system.pool.query(`DELETE FROM ${table} WHERE false`)).rejects.toMatchObject({
      code: '23001',
      message: `the books are append-only: DELETE on ${table} is refused`,
    });
  });

  it('reports an entry whose transfer or account does not exist', async () => {
    const { api } = await newTenant(system.url);
    const account = await fundedAccount(api, 'USD', 10);
    const client = await system.pool.connect();
    try {
      await client.query('BEGIN');
      expect(await ledgerViolations(client, [account])).toEqual([]);
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO entries (transfer_id, account_id, currency, amount, balance_after)
         VALUES ($1, $2, 'USD', 5, 5), ($1, $2, 'USD', -5, 0) RETURNING id::text`,
        [randomUUID(), randomUUID()],
      );
      const problems = await ledgerViolations(client, [account]);
      for (const { id } of rows) {
        expect(problems).toContain(`entry ${id} of a missing transfer`);
        expect(problems).toContain(`entry ${id} on a missing account`);
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
