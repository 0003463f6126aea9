import type { Pool } from '../platform/postgres';

/**
 * What must hold of refunds, checked against the database (tests and audits): every refunded
 * transfer's totals are exactly the sums of its committed refunds (destination side: the
 * refunds' amounts; source side: what they gave back), never beyond the original on either side,
 * and every refund's entries move the original's two accounts the opposite way.
 * Returns one line per violation; empty when all hold. `originalIds` limits the check.
 */
export async function refundViolations(pool: Pick<Pool, 'query'>, originalIds?: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ problem: string }>(
    `WITH refunds AS (
       SELECT r.refund_of AS id, sum(r.amount) AS taken, sum(coalesce(r.destination_amount, 0)) AS given
         FROM transfers r
        WHERE r.kind = 'refund' AND r.status = 'committed' AND ($1::uuid[] IS NULL OR r.refund_of = ANY($1))
        GROUP BY r.refund_of)
     SELECT format('transfer %s: refunded %s/%s of %s/%s, its refunds sum to %s/%s', t.id,
                   t.refunded_amount, t.refunded_destination_amount, t.amount,
                   coalesce(t.destination_amount, t.amount), coalesce(f.given, 0), coalesce(f.taken, 0)) AS problem
       FROM transfers t LEFT JOIN refunds f ON f.id = t.id
      WHERE (f.id IS NOT NULL OR t.refunded_destination_amount > 0 OR t.refunded_amount > 0)
        AND ($1::uuid[] IS NULL OR t.id = ANY($1))
        AND (t.refunded_destination_amount <> coalesce(f.taken, 0) OR t.refunded_amount <> coalesce(f.given, 0)
             OR t.refunded_amount > t.amount
             OR t.refunded_destination_amount > coalesce(t.destination_amount, t.amount))
     UNION ALL
     SELECT format('refund %s of %s moves %s %s on %s', r.id, r.refund_of, e.amount, e.currency, e.account_id)
       FROM transfers r JOIN transfers t ON t.id = r.refund_of JOIN entries e ON e.transfer_id = r.id
      WHERE r.kind = 'refund' AND ($1::uuid[] IS NULL OR r.refund_of = ANY($1))
        AND NOT ((e.account_id = t.destination_account_id AND e.amount < 0)
                 OR (e.account_id = t.source_account_id AND e.amount > 0)
                 OR e.account_id NOT IN (t.source_account_id, t.destination_account_id))`,
    [originalIds ?? null],
  );
  return rows.map((r) => r.problem);
}
