import { INTERVAL_MS, type BalanceInterval } from '../../../contracts/src';
import type { Pool } from '../../../platform/postgres';

/*
 * Balances at past instants, read from the entries alone. Within an account, entry ids follow
 * commit order (they come from an identity column, drawn by the batch's INSERT after it holds the
 * row locks of every account it moves, until commit) and entry times never go back (the processor
 * clamps a batch's time to the latest of its accounts' previous changes: see applyBalanceDeltas).
 * So the last entry by (created_at, id) at or before an instant is the last one committed by
 * then, and its balance_after is the balance. Each lookup is one descent of entries_account_time
 * (migrations/0009), an index-only scan: its cost does not grow with the number of entries.
 */

/** The posted balance as of the instant (entries created at or before it); '0' before the first. */
export async function balanceAt(db: Pool, accountId: string, at: string): Promise<string> {
  const { rows } = await db.query<{ balance_after: string }>(
    `SELECT balance_after FROM entries WHERE account_id = $1 AND created_at <= $2::timestamptz
      ORDER BY created_at DESC, id DESC LIMIT 1`,
    [accountId, at],
  );
  return rows[0]?.balance_after ?? '0';
}

export interface ClosingBalanceRow {
  /** RFC 3339 in UTC with microseconds, as PostgreSQL holds the instant. */
  start: string;
  end: string;
  closing_balance: string;
}

/** Formats an instant exactly (microseconds), where a JavaScript Date would keep milliseconds. */
const RFC3339_UTC = `to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const rfc3339 = (column: string) => RFC3339_UTC.replace('%s', column);

/**
 * The closing balance of each interval [start, end) from `from` to `to` (the last one ends at
 * `to`): the balance after every entry created before `end`. The intervals are made here, from
 * the instants as PostgreSQL reads them, so a boundary in microseconds is kept exactly. At most
 * `intervals_max` rows: the caller checked the count to the millisecond and learns from one row
 * more that the exact count is beyond it.
 */
export async function closingBalances(
  db: Pool,
  q: { accountId: string; from: string; to: string; interval: BalanceInterval; intervals_max: number },
): Promise<ClosingBalanceRow[]> {
  const { rows } = await db.query<ClosingBalanceRow>(
    `WITH bounds AS (
       SELECT s.start, least(s.start + $4::interval, $3::timestamptz) AS "end"
         FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 microsecond', $4::interval) AS s (start)
        LIMIT $5
     )
     SELECT ${rfc3339('b.start')} AS start, ${rfc3339('b."end"')} AS "end",
            coalesce(e.balance_after, 0)::text AS closing_balance
       FROM bounds b
       LEFT JOIN LATERAL (
         SELECT balance_after FROM entries
          WHERE account_id = $1 AND created_at < b."end"
          ORDER BY created_at DESC, id DESC LIMIT 1
       ) e ON true
      ORDER BY b.start`,
    // Seconds, not '1 day': PostgreSQL adds a day as a calendar day of the session's time zone.
    [q.accountId, q.from, q.to, `${INTERVAL_MS[q.interval] / 1000} seconds`, q.intervals_max + 1],
  );
  return rows;
}
