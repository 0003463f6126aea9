import { Pool } from 'pg';
import type { Logger } from '../logger';

/** How long an ops query (a readiness check, a gauge read at scrape time) may take, connecting included. */
export const OPS_QUERY_TIMEOUT_MS = 1_000;

/**
 * A tiny pool of its own for readiness checks and scrape-time gauges: they must tell whether
 * PostgreSQL answers, not wait behind the service's busy pool, and must give up quickly when it
 * does not. A connection whose query failed or timed out is discarded (pg-pool does so on a
 * failed pool.query), so the next check connects afresh.
 */
export function createOpsPool(options: { url: string; applicationName: string; logger: Logger }): Pool {
  const pool = new Pool({
    connectionString: options.url,
    max: 2,
    application_name: `${options.applicationName}-ops`,
    connectionTimeoutMillis: OPS_QUERY_TIMEOUT_MS,
    query_timeout: OPS_QUERY_TIMEOUT_MS,
    statement_timeout: OPS_QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 10_000,
  });
  // An idle connection dropped by the server is emitted here; unhandled it would end the process.
  pool.on('error', (error) => options.logger.debug({ err: error }, 'ops connection to PostgreSQL lost'));
  return pool;
}
