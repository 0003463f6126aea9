import type { Pool } from '../../platform/postgres';

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
 * Waits until `expected` transfers of the profile are final, polling every 100 ms, and returns
 * the throughput from the first poll that saw progress to the one that saw the last.
 */
export async function awaitThroughput(
  pool: Pool,
  tenantId: string,
  prefix: string,
  expected: number,
  timeout_ms: number,
) {
  const deadline = Date.now() + timeout_ms;
  let first: { at: number; n: number } | undefined;
  for (;;) {
    const n = await finalCount(pool, tenantId, prefix);
    const now = performance.now();
    if (!first && n > 0) first = { at: now, n };
    if (n >= expected) {
      const seconds = first && now > first.at ? (now - first.at) / 1000 : Number.NaN;
      return { perSecond: Math.round((n - (first?.n ?? 0)) / seconds), seconds };
    }
    if (Date.now() > deadline)
      throw new Error(`${prefix}: only ${n} of ${expected} final after ${timeout_ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
    `SELECT count(*) FILTER (WHERE status = 'committed')::int AS committed,
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
    await new Promise((r) => setTimeout(r, 100));
  }
}
