import type { Pool } from '../platform/postgres';

/**
 * The ledger's books, checked from the database: every currency sums to zero, each balance
 * equals the sum of its entries, each entry's running balance is consistent, no customer
 * balance is negative, every transfer's entries balance per currency, and no entry or transfer
 * points at a row that does not exist (the hot tables carry no per-row foreign keys); and for
 * holds (heldViolations): each account's held amount is the sum of its open holds and never more
 * than its balance, every closed hold was closed once, by the one follow-up it names, with
 * captured + released = held and exactly the captured amount posted.
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
  problems.push(...(await heldViolations(pool, accountIds)));
  return problems;
}

/** The invariants of holds (two-phase transfers); see ledgerViolations. */
export async function heldViolations(pool: Pick<Pool, 'query'>, accountIds?: string[]): Promise<string[]> {
  const args = accountIds ? [accountIds] : [];
  const problems: string[] = [];
  const held = await pool.query<{ id: string; held: string; open: string }>(
    `SELECT a.id, a.held::text, coalesce(sum(t.amount), 0)::text AS open
       FROM accounts a LEFT JOIN transfers t ON t.source_account_id = a.id AND t.status = 'held'
      ${accountIds ? 'WHERE a.id = ANY($1::uuid[])' : ''}
      GROUP BY a.id HAVING a.held <> coalesce(sum(t.amount), 0) OR a.held < 0
         OR (a.kind = 'customer' AND a.balance - a.held < 0)`,
    args,
  );
  for (const r of held.rows)
    problems.push(`account ${r.id} holds ${r.held} but its open holds sum to ${r.open}`);
  const scope = accountIds ? 'AND h.source_account_id = ANY($1::uuid[])' : '';
  const closed = await pool.query<{ id: string; what: string }>(
    `SELECT h.id, CASE
              WHEN h.captured_amount + h.released_amount <> h.amount THEN 'captured + released is not the amount'
              WHEN f.id IS NULL THEN 'is closed by no committed follow-up'
              WHEN f.hold_id <> h.id OR f.kind <> (CASE h.status WHEN 'captured' THEN 'capture'
                   WHEN 'voided' THEN 'void' ELSE 'expire' END) THEN 'is closed by a follow-up of another kind or hold'
              WHEN h.status = 'captured' AND f.amount <> h.captured_amount THEN 'captured another amount than its capture'
              WHEN h.status <> 'captured' AND h.captured_amount <> 0 THEN 'captured without a capture'
              ELSE NULL END AS what
       FROM transfers h LEFT JOIN transfers f ON f.id = h.resolved_by AND f.status = 'committed'
      WHERE h.status IN ('captured', 'voided', 'expired') ${scope}`,
    args,
  );
  for (const r of closed.rows) if (r.what) problems.push(`hold ${r.id} ${r.what}`);
  const followUps = await pool.query<{ hold_id: string; n: string }>(
    `SELECT f.hold_id, count(*)::text AS n FROM transfers f JOIN transfers h ON h.id = f.hold_id
      WHERE f.status = 'committed' ${scope}
      GROUP BY f.hold_id
     HAVING count(*) > 1 OR bool_or(h.resolved_by IS DISTINCT FROM f.id)`,
    args,
  );
  for (const r of followUps.rows) problems.push(`hold ${r.hold_id} has ${r.n} committed follow-ups`);
  // Entries belong to what posts: transfers, deposits, withdrawals and captures, for their amount.
  const posted = await pool.query<{ id: string }>(
    `SELECT t.id FROM transfers t JOIN entries e ON e.transfer_id = t.id
      WHERE ${accountIds ? 'e.account_id = ANY($1::uuid[]) AND' : ''}
            (t.status <> 'committed' OR t.kind IN ('void', 'expire')
             OR (e.account_id = t.source_account_id AND -e.amount <> t.amount))
      GROUP BY t.id LIMIT 100`,
    args,
  );
  for (const r of posted.rows) problems.push(`transfer ${r.id} has entries it should not have`);
  return problems;
}
