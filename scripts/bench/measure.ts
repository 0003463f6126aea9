import type { Pool } from '../../platform/postgres';
import { sleep } from '../../platform/retry';

/** Transfers of one profile: their idempotency keys share a prefix ("p1-..."). */
const range = (prefix: string) => [`${prefix}-`, `${prefix}.`]; // '-' sorts just before '.'

export async function finalCount(pool: Pool, tenantId: string, prefix: string): Promise<number> {
  const [lo, hi] = range(prefix);
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM transfers WHERE tenant_id = $1 AND idempotency_key >= $2 AND idempotency_key < $3
        AND status <> 'pending'`,
    [tenantId, lo, hi],
  );
  return rows[0]!.n;
}

/**
 * Waits until `expected` transfers of the profile are final and returns the throughput measured
 * on the database's own clock: transfers finalised after the first batch, over the time from the
 * first batch's commit to the last one's. Polls once a second, because counting a growing range
 * costs the database CPU the system under test should have.
 */
export async function awaitThroughput(
  pool: Pool,
  tenantId: string,
  prefix: string,
  expected: number,
  timeout_ms: number,
) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const n = await finalCount(pool, tenantId, prefix);
    if (n >= expected) break;
    if (Date.now() > deadline)
      throw new Error(`${prefix}: only ${n} of ${expected} final after ${timeout_ms} ms`);
    await sleep(1_000);
  }
  const [lo, hi] = range(prefix);
  const { rows } = await pool.query<{ after_first: number; seconds: number }>(
    `WITH t AS (SELECT finalized_at FROM transfers
                 WHERE tenant_id = $1 AND idempotency_key >= $2 AND idempotency_key < $3)
     SELECT count(*) FILTER (WHERE finalized_at > (SELECT min(finalized_at) FROM t))::int AS after_first,
            extract(epoch FROM max(finalized_at) - min(finalized_at))::float8 AS seconds
       FROM t`,
    [tenantId, lo, hi],
  );
  const { after_first, seconds } = rows[0]!;
  return { perSecond: seconds > 0 ? Math.round(after_first / seconds) : Number.NaN, seconds };
}

/** Outcome counts and accept-to-final latency percentiles (ms) of a profile, from the database clocks. */
export async function outcomeStats(pool: Pool, tenantId: string, prefix: string) {
  const [lo, hi] = range(prefix);
  const { rows } = await pool.query<{
    committed: number;
    rejected: number;
    pending: number;
    p50: number;
    p99: number;
    max: number;
  }>(
    // A hold ends captured, voided or expired: decided, and no rejection.
    `SELECT count(*) FILTER (WHERE status NOT IN ('pending', 'rejected'))::int AS committed,
            count(*) FILTER (WHERE status = 'rejected')::int AS rejected,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - created_at) * 1000) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finalized_at - created_at) * 1000) AS p99,
            max(extract(epoch FROM finalized_at - created_at) * 1000)::float8 AS max
       FROM transfers WHERE tenant_id = $1 AND idempotency_key >= $2 AND idempotency_key < $3`,
    [tenantId, lo, hi],
  );
  return rows[0]!;
}

/**
 * For timed HTTP profiles: requests still in flight when the clock stopped may have been accepted
 * too, so wait until at least `accepted` transfers exist and none of the profile's is pending.
 */
export async function awaitSettled(
  pool: Pool,
  tenantId: string,
  prefix: string,
  accepted: number,
  timeout_ms: number,
) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const s = await outcomeStats(pool, tenantId, prefix);
    if (s.pending === 0 && s.committed + s.rejected >= accepted) return s;
    if (Date.now() > deadline)
      throw new Error(`${prefix}: ${s.pending} still pending after ${timeout_ms} ms`);
    await sleep(500);
  }
}
