import type { Pool } from '../platform/postgres';

/**
 * What must hold of refunds, checked against the database (tests and audits): every refunded
 * transfer's totals (a split's: each leg's) are exactly the sums of its committed refunds
 * (destination side: the refunds' amounts; source side: what they gave back), never beyond the
 * original (the leg) on either side, a split's own totals stay 0, and every refund's entries move
 * the original's two accounts (a split's: the source and the refunded leg's destination) the
 * opposite way.
 * Returns one line per violation; empty when all hold. `originalIds` limits the check.
 */
export async function refundViolations(pool: Pick<Pool, 'query'>, originalIds?: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ problem: string }>(
    `WITH refunds AS (
       SELECT r.refund_of AS id, sum(r.amount) AS taken, sum(coalesce(r.destination_amount, 0)) AS given
         FROM transfers r
        WHERE r.kind = 'refund' AND r.status = 'committed' AND r.refund_leg IS NULL
          AND ($1::uuid[] IS NULL OR r.refund_of = ANY($1))
        GROUP BY r.refund_of),
     leg_refunds AS (
       SELECT r.refund_of AS id, r.refund_leg AS position, sum(r.amount) AS taken,
              sum(coalesce(r.destination_amount, 0)) AS given
         FROM transfers r
        WHERE r.kind = 'refund' AND r.status = 'committed' AND r.refund_leg IS NOT NULL
          AND ($1::uuid[] IS NULL OR r.refund_of = ANY($1))
        GROUP BY r.refund_of, r.refund_leg)
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
     SELECT format('split %s leg %s: refunded %s/%s of %s/%s, its refunds sum to %s/%s', l.transfer_id, l.position,
                   l.refunded_amount, l.refunded_destination_amount, l.amount, l.destination_amount,
                   coalesce(f.given, 0), coalesce(f.taken, 0)) AS problem
       FROM transfer_legs l LEFT JOIN leg_refunds f ON f.id = l.transfer_id AND f.position = l.position
      WHERE (f.id IS NOT NULL OR l.refunded_destination_amount > 0 OR l.refunded_amount > 0)
        AND ($1::uuid[] IS NULL OR l.transfer_id = ANY($1))
        AND (l.refunded_destination_amount <> coalesce(f.taken, 0) OR l.refunded_amount <> coalesce(f.given, 0)
             OR l.refunded_amount > l.amount OR l.refunded_destination_amount > l.destination_amount)
     UNION ALL
     SELECT format('refund %s of %s moves %s %s on %s', r.id, r.refund_of, e.amount, e.currency, e.account_id)
       FROM transfers r JOIN transfers t ON t.id = r.refund_of JOIN entries e ON e.transfer_id = r.id
       LEFT JOIN transfer_legs l ON l.transfer_id = r.refund_of AND l.position = r.refund_leg
      WHERE r.kind = 'refund' AND ($1::uuid[] IS NULL OR r.refund_of = ANY($1))
        AND NOT ((e.account_id = coalesce(l.destination_account_id, t.destination_account_id) AND e.amount < 0)
                 OR (e.account_id = t.source_account_id AND e.amount > 0)
                 OR e.account_id NOT IN (t.source_account_id, coalesce(l.destination_account_id, t.destination_account_id)))`,
    [originalIds ?? null],
  );
  return rows.map((r) => r.problem);
}
