import type { Pool } from '../../../platform/postgres';

/**
 * What the account's holds reserved at an instant: the holds (manual-capture transfers from it)
 * that had been placed by then (`finalized_at`, when the processor reserved them, the same
 * instant as the entries of their batch) and not yet closed (`resolved_at`, when their capture,
 * void or expiry committed). `created_at <= at` is implied (a row is finalised after it is
 * created) and bounds the walk of the account's transfers index.
 */
export async function heldAt(db: Pool, accountId: string, at: string): Promise<string> {
  const { rows } = await db.query<{ held: string }>(
    `SELECT coalesce(sum(amount), 0)::text AS held FROM transfers
      WHERE source_account_id = $1 AND created_at <= $2::timestamptz AND expires_at IS NOT NULL
        AND status IN ('held', 'captured', 'voided', 'expired') AND finalized_at <= $2::timestamptz
        AND (resolved_at IS NULL OR resolved_at > $2::timestamptz)`,
    [accountId, at],
  );
  return rows[0]!.held;
}
