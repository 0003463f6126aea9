import type { Pool } from '../platform/postgres';

/**
 * The ledger's books, checked from the database: every currency sums to zero, each balance
 * equals the sum of its entries, each entry's running balance is consistent, no customer
 * balance is negative, every transfer's entries balance per currency, and no entry or transfer
 * points at a row that does not exist (the hot tables carry no per-row foreign keys).
 * Returns the violations found (empty when the books are right).
 */
export async function ledgerViolations(pool: Pick<Pool, 'query'>, accountIds?: string[]): Promise<string[]> {
  const scope = accountIds ? 'WHERE a.id = ANY($1::uuid[])' : '';
  const args = accountIds ? [accountIds] : [];
  const problems: string[] = [];
  const currencies = await pool.query<{ currency: string; total: string }>(
    'SELECT currency, sum(balance)::text AS total FROM accounts GROUP BY currency HAVING sum(balance) <> 0',
  );
  for (const r of currencies.rows) problems.push(`${r.currency} sums to ${r.total}`);
  const balances = await pool.query<{ id: string; balance: string; entries: string }>(
    `SELECT a.id, a.balance::text, coalesce(sum(e.amount), 0)::text AS entries
       FROM accounts a LEFT JOIN entries e ON e.account_id = a.id ${scope}
      GROUP BY a.id HAVING a.balance <> coalesce(sum(e.amount), 0)`,
    args,
  );
  for (const r of balances.rows)
    problems.push(`account ${r.id} balance ${r.balance} but entries sum to ${r.entries}`);
  const negative = await pool.query<{ id: string }>(
    `SELECT a.id FROM accounts a ${scope ? `${scope} AND` : 'WHERE'} a.kind = 'customer' AND a.balance < 0`,
    args,
  );
  for (const r of negative.rows) problems.push(`customer account ${r.id} is negative`);
  const running = await pool.query<{ id: string }>(
    `SELECT id FROM (
       SELECT e.id, e.balance_after, sum(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id) AS expected
         FROM entries e ${accountIds ? 'WHERE e.account_id = ANY($1::uuid[])' : ''}) x
      WHERE balance_after <> expected`,
    args,
  );
  for (const r of running.rows) problems.push(`entry ${r.id} has a wrong running balance`);
  const unbalanced = await pool.query<{ transfer_id: string }>(
    'SELECT transfer_id FROM entries GROUP BY transfer_id, currency HAVING sum(amount) <> 0',
  );
  for (const r of unbalanced.rows) problems.push(`transfer ${r.transfer_id} does not balance`);
  const orphans = await pool.query<{ what: string; id: string }>(
    `SELECT 'entry ' || e.id || ' of a missing transfer' AS what, e.id::text FROM entries e
      WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE t.id = e.transfer_id)
     UNION ALL
     SELECT 'entry ' || e.id || ' on a missing account', e.id::text FROM entries e
      WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = e.account_id)
     UNION ALL
     SELECT 'transfer ' || t.id || ' of a missing tenant', t.id::text FROM transfers t
      WHERE NOT EXISTS (SELECT 1 FROM tenants n WHERE n.id = t.tenant_id)
     LIMIT 100`,
  );
  for (const r of orphans.rows) problems.push(r.what);
  return problems;
}
